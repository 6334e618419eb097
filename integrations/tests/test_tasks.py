import pytest

from integrations.choices import SyncJobKind, SyncStatus, SyncTrigger
from integrations.models import SyncJob, SyncRun
from integrations.services import request_run, start_run
from integrations.tasks import (
    execute_sync_run_task,
    reap_stale_runs_task,
    run_sync_job_task,
)


def test_scheduled_task_runs_the_job_through_connections(connections):
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_FRESHSERVICE)
    run_id = run_sync_job_task(job.pk, SyncTrigger.SCHEDULE)
    run = SyncRun.objects.get(pk=run_id)
    assert run.status == SyncStatus.SUCCEEDED and run.created_count > 0
    assert run.trigger == SyncTrigger.SCHEDULE


def test_scheduled_task_skips_disabled_job_and_missing_job(connections):
    job = SyncJob.objects.get(kind=SyncJobKind.PUSH_ACCOUNT_NUMBERS)
    assert run_sync_job_task(job.pk) is None
    assert run_sync_job_task(987654) is None
    assert not SyncRun.objects.exists()


def test_task_twice_while_running_is_skipped(connections):
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
    held = start_run(job)
    assert run_sync_job_task(job.pk) is None
    assert SyncRun.objects.filter(job=job).count() == 1
    assert held.status == SyncStatus.QUEUED


def test_manual_run_is_queued_and_executed_on_commit(
    connections, django_capture_on_commit_callbacks, technician
):
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_FRESHSERVICE)
    with django_capture_on_commit_callbacks(execute=True):
        run = request_run(job, user=technician)
    run.refresh_from_db()
    assert run.status == SyncStatus.SUCCEEDED
    assert run.triggered_by == technician and run.trigger == SyncTrigger.MANUAL


def test_execute_task_runs_a_queued_run_only_once(connections):
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_FRESHSERVICE)
    run = start_run(job, trigger=SyncTrigger.MANUAL)
    execute_sync_run_task(run.pk)
    execute_sync_run_task(run.pk)  # a redelivery: nothing happens
    run.refresh_from_db()
    assert run.status == SyncStatus.SUCCEEDED
    execute_sync_run_task(123456)  # gone: returns quietly


def test_unconfigured_connection_fails_the_run_clearly(db):
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
    run = SyncRun.objects.get(pk=run_sync_job_task(job.pk))
    assert run.status == SyncStatus.FAILED
    assert "base URL and credentials" in run.errors[0]["message"]


@pytest.mark.django_db
def test_reap_task_returns_count():
    assert reap_stale_runs_task() == 0
