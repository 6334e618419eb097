"""Celery app: configured from Django settings (CELERY_*), tasks autodiscovered."""

import os

from celery import Celery

from .broker import register as register_broker

register_broker()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus.settings")

app = Celery("nexus")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="nexus.ping")
def ping() -> str:
    """Round-trip check used by the smoke test and /api/status; harmless to repeat."""
    return "pong"
