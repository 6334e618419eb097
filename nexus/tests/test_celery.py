"""A task really travels through the configured broker (filesystem by default,
Redis when REDIS_URL is set) and is run by a worker."""

import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache

from nexus.celery import app
from nexus.tasks import heartbeat_task


@pytest.mark.django_db(transaction=True)
def test_task_runs_through_broker_and_worker(settings):
    app.conf.task_always_eager = False
    try:
        with start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=10
        ):
            token = uuid.uuid4().hex
            heartbeat_task.delay(token)
            deadline = time.monotonic() + 30
            while (
                time.monotonic() < deadline
                and cache.get(f"nexus:heartbeat:{token}") is None
            ):
                time.sleep(0.1)
            assert cache.get(f"nexus:heartbeat:{token}") == "ok"
    finally:
        app.conf.task_always_eager = True
