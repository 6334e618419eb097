"""A sync whose database connection is killed mid-run still records its failure."""

from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection

from integrations.choices import SyncJobKind, SyncStatus, SyncTrigger
from integrations.models import SyncJob, SyncRun
from integrations.services import jobs as job_services
from integrations.services import run_sync_job, start_run

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="kills a real PostgreSQL backend with pg_terminate_backend",
)


@pytest.mark.django_db(transaction=True)
def test_run_killed_backend_ends_failed_and_frees_the_lock(monkeypatch):
    import psycopg

    # A transactional test starts from a flushed database: seed the jobs again.
    import_module("integrations.migrations.0002_seed_jobs_and_schedules").seed(
        apps, None
    )
    # get_or_create: an earlier transactional test may have flushed the seeded jobs
    job, _ = SyncJob.objects.get_or_create(
        kind=SyncJobKind.SYNC_DATTO,
        defaults={"enabled": True, "interval_minutes": 1440},
    )
    params = connection.get_connection_params()

    def killed_mid_run(recorder, clients, *, dry_run=False):
        recorder.log("working")
        pid = connection.connection.info.backend_pid
        with psycopg.connect(
            **{k: v for k, v in params.items() if k != "cursor_factory"},
            autocommit=True,
        ) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        SyncRun.objects.count()  # the dead connection raises here

    monkeypatch.setitem(job_services.JOB_RUNNERS, job.kind, killed_mid_run)

    run = run_sync_job(job, trigger=SyncTrigger.MANUAL)

    run.refresh_from_db()
    assert run.status == SyncStatus.FAILED
    assert run.finished_at is not None
    assert any("Internal error" in e["message"] for e in run.errors)
    # The lock is free at once, not after the reaper's 30 minutes.
    assert start_run(job, trigger=SyncTrigger.MANUAL) is not None
