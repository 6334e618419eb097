"""A sync whose database connection is killed mid-run still records its failure."""

import pytest
from django.db import connection

from integrations.choices import SyncStatus, SyncTrigger
from integrations.models import SyncRun
from integrations.services import jobs as job_services
from integrations.services import run_sync_job, start_run

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="kills a real PostgreSQL backend with pg_terminate_backend",
)


def test_run_killed_backend_ends_failed_and_frees_the_lock(
    seeded_datto_job, monkeypatch
):
    import psycopg

    job = seeded_datto_job
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
    [error] = run.errors
    assert error["message"].startswith(
        "Aborted: the database was unavailable (terminating connection due to "
        "administrator command)."
    )
    # The lock is free at once, not after the reaper's 30 minutes.
    assert start_run(job, trigger=SyncTrigger.MANUAL) is not None
