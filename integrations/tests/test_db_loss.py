"""A sync that loses its database (a PostgreSQL restart) ends cleanly on any backend.

bench/faults.py's pg_restart scenario restarts a real server; these tests raise
the same OperationalError psycopg raises, at the same places, without one.
"""

import pytest
from django.db import OperationalError
from django.db.models.query import QuerySet

from integrations.choices import ACTIVE_STATUSES, SyncJobKind, SyncStatus, SyncTrigger
from integrations.models import SyncJob, SyncRun
from integrations.services import execute_run, run_sync_job, start_run
from integrations.services import jobs as job_services
from integrations.services import runs as run_services
from integrations.tasks import execute_sync_run_task, run_sync_job_task

TERMINATED = "terminating connection due to administrator command"
REFUSED = 'connection to server at "127.0.0.1", port 5432 failed: Connection refused'


@pytest.fixture
def waits(monkeypatch):
    """The pauses between write attempts; nothing really sleeps."""
    recorded = []
    monkeypatch.setattr(run_services, "_sleep", recorded.append)
    return recorded


@pytest.fixture
def server_down_for(monkeypatch):
    """server_down_for(n, status): the next n writes that set a SyncRun's status to
    `status` raise as if the server were still restarting (connection refused)."""

    def _down(n: int, status: str) -> list:
        refused = []
        real_update = QuerySet.update

        def update(self, **fields):
            if (
                self.model is SyncRun
                and fields.get("status") == status
                and len(refused) < n
            ):
                refused.append(fields["status"])
                raise OperationalError(REFUSED)
            return real_update(self, **fields)

        monkeypatch.setattr(QuerySet, "update", update)
        return refused

    return _down


@pytest.fixture
def eager_retries(monkeypatch):
    """apply() runs a task's retries at once, in process; keep their exceptions in
    the result instead of raising them."""
    from nexus.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)


def connection_lost_mid_run(monkeypatch, job):
    """The job's service writes progress, then its connection is cut."""

    def runner(recorder, clients, *, dry_run=False):
        recorder.add_total(10)
        recorder.advance(4)
        recorder.flush(force=True)
        raise OperationalError(f"consuming input failed: {TERMINATED}\nSSL closed")

    monkeypatch.setitem(job_services.JOB_RUNNERS, job.kind, runner)


def test_connection_lost_while_server_restarts_fails_run_and_frees_lock(
    seeded_datto_job, monkeypatch, waits, server_down_for
):
    connection_lost_mid_run(monkeypatch, seeded_datto_job)
    refused = server_down_for(
        2, SyncStatus.FAILED
    )  # still down for the first two attempts

    run = run_sync_job(seeded_datto_job, trigger=SyncTrigger.MANUAL)

    run.refresh_from_db()
    assert run.status == SyncStatus.FAILED
    assert run.finished_at is not None
    assert (run.progress_done, run.progress_total) == (4, 10)  # not claimed done
    [error] = run.errors
    assert error["message"].startswith(
        f"Aborted: the database was unavailable (consuming input failed: {TERMINATED})."
    )
    assert "SSL closed" not in error["message"]  # one readable line
    assert "Traceback" not in run.log
    # The end was written on the third attempt, after backing off.
    assert refused == [SyncStatus.FAILED, SyncStatus.FAILED]
    assert waits == [0.5, 1.0]
    # Nothing stays active, so the lock is free at once (no 30-minute reaper wait).
    assert not SyncRun.objects.filter(status__in=ACTIVE_STATUSES).exists()
    assert start_run(seeded_datto_job, trigger=SyncTrigger.MANUAL) is not None


def test_run_can_start_while_server_comes_back(
    seeded_datto_job, monkeypatch, waits, server_down_for
):
    """The QUEUED → RUNNING step waits for the server too; the run then goes on."""

    def runner(recorder, clients, *, dry_run=False):
        recorder.count("created", 3)

    monkeypatch.setitem(job_services.JOB_RUNNERS, seeded_datto_job.kind, runner)
    run = start_run(seeded_datto_job, trigger=SyncTrigger.MANUAL)
    refused = server_down_for(1, SyncStatus.RUNNING)

    run = execute_run(run)

    run.refresh_from_db()
    assert refused == [SyncStatus.RUNNING]
    assert waits == [0.5]
    assert run.status == SyncStatus.SUCCEEDED and run.created_count == 3


def test_server_down_past_the_budget_raises_and_the_reaper_frees_the_lock(
    seeded_datto_job, monkeypatch, settings, waits, server_down_for
):
    settings.NEXUS_SYNC_DB_RETRY_SECONDS = 1.9
    connection_lost_mid_run(monkeypatch, seeded_datto_job)
    server_down_for(100, SyncStatus.FAILED)

    with pytest.raises(OperationalError):
        run_sync_job(seeded_datto_job, trigger=SyncTrigger.MANUAL)

    assert waits == [0.5, 1.0]  # gave up before a wait that passes the budget
    run = SyncRun.objects.get(job=seeded_datto_job)
    assert run.status == SyncStatus.RUNNING  # the row could not be written
    monkeypatch.undo()
    assert start_run(seeded_datto_job) is None  # still locked...
    reaped = run_services.reap_stale_runs(
        now=run.heartbeat_at + run_services.stale_after() * 2
    )
    run.refresh_from_db()
    assert reaped == 1 and run.status == SyncStatus.FAILED  # ...until reaped
    assert start_run(seeded_datto_job) is not None


def test_task_that_cannot_reach_the_database_is_retried(
    connections, monkeypatch, eager_retries
):
    """A worker picking up "Run now" during the restart retries the task; the run
    (still QUEUED) is then carried out once."""
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_FRESHSERVICE)
    run = start_run(job, trigger=SyncTrigger.MANUAL)
    refused = []
    real_filter = SyncRun.objects.filter

    class Manager:
        def filter(self, *args, **kwargs):
            if not refused:
                refused.append(kwargs)
                raise OperationalError(REFUSED)
            return real_filter(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(SyncRun._default_manager, name)

    monkeypatch.setattr("integrations.tasks.SyncRun.objects", Manager())

    result = execute_sync_run_task.apply(args=(run.pk,))

    assert result.successful(), result.traceback
    assert len(refused) == 1  # the first attempt hit the outage
    run.refresh_from_db()
    assert run.status == SyncStatus.SUCCEEDED and run.created_count > 0
    assert SyncRun.objects.filter(job=job).count() == 1


def test_task_gives_up_after_bounded_retries(db, monkeypatch, eager_retries):
    attempts = []

    def down(*args, **kwargs):
        attempts.append(1)
        raise OperationalError(REFUSED)

    monkeypatch.setattr("integrations.tasks.run_sync_job", down)
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)

    result = run_sync_job_task.apply(
        args=(job.pk,), kwargs={"trigger": SyncTrigger.MANUAL}
    )

    assert isinstance(result.result, OperationalError)
    assert len(attempts) == 1 + 5  # the first try and max_retries
