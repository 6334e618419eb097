from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.choices import ConnectionKind, JobHealth, SyncJobKind, SyncStatus
from integrations.models import Connection, SyncJob, SyncRun

from .factories import SyncRunFactory

pytestmark = pytest.mark.django_db


def test_seed_creates_four_jobs_with_original_defaults():
    jobs = {j.kind: j for j in SyncJob.objects.select_related("periodic_task")}
    assert set(jobs) == set(SyncJobKind.values)
    assert jobs[SyncJobKind.SYNC_FRESHSERVICE].enabled
    assert jobs[SyncJobKind.SYNC_DATTO].enabled
    assert not jobs[SyncJobKind.ASSIGN_ACCOUNT_NUMBERS].enabled
    assert not jobs[SyncJobKind.PUSH_ACCOUNT_NUMBERS].enabled
    for job in jobs.values():
        task = job.periodic_task
        assert task.task == "integrations.tasks.run_sync_job_task"
        assert task.enabled == job.enabled
        assert task.interval.every == 1440 and task.interval.period == "minutes"
        assert f'"job_id": {job.pk}' in task.kwargs


def test_one_active_run_per_job_is_a_database_constraint():
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
    SyncRunFactory(job=job, status=SyncStatus.RUNNING, finished_at=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncRunFactory(job=job, status=SyncStatus.QUEUED, finished_at=None)
    SyncRunFactory(job=job, status=SyncStatus.FAILED)  # finished runs are unlimited


def test_connection_secrets_are_encrypted_at_rest():
    connection = Connection.objects.get(kind=ConnectionKind.DATTO)
    connection.api_key, connection.api_secret = "plain-key-123", "plain-secret-456"
    connection.save()
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute(
            "SELECT api_key, api_secret FROM integrations_connection WHERE id = %s",
            [connection.pk],
        )
        stored = cursor.fetchone()
    assert "plain-key-123" not in stored[0] and "plain-secret-456" not in stored[1]
    connection.refresh_from_db()
    assert connection.api_secret == "plain-secret-456"
    assert (
        connection.masked_key.endswith("-123") and "plain" not in connection.masked_key
    )


def test_connection_falls_back_to_environment(settings):
    settings.NEXUS_FRESHSERVICE_URL = "https://acme.freshservice.com"
    settings.NEXUS_FRESHSERVICE_API_KEY = "env-key"
    connection = Connection.objects.get(kind=ConnectionKind.FRESHSERVICE)
    assert connection.effective_base_url == "https://acme.freshservice.com"
    assert connection.effective_api_key == "env-key"
    assert connection.is_configured
    connection.base_url = "https://other.example"
    assert connection.effective_base_url == "https://other.example"


def test_job_health_follows_latest_run():
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
    assert job.health() == JobHealth.IDLE
    SyncRunFactory(job=job, status=SyncStatus.SUCCEEDED)
    assert SyncJob.objects.with_last_run().get(pk=job.pk).health() == JobHealth.OK
    SyncRunFactory(job=job, status=SyncStatus.FAILED)
    assert SyncJob.objects.with_last_run().get(pk=job.pk).health() == JobHealth.BAD
    old = SyncRunFactory(job=job, status=SyncStatus.SUCCEEDED)
    SyncRun.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - timedelta(days=3)
    )
    assert job.health() == JobHealth.WARN  # overdue: the schedule stalled
    job.enabled = False
    assert job.health() == JobHealth.DISABLED


def test_run_percent_and_schedule_display():
    run = SyncRunFactory.build(
        status=SyncStatus.RUNNING, progress_done=1, progress_total=4
    )
    assert run.percent == 25
    job = SyncJob(kind=SyncJobKind.SYNC_DATTO, interval_minutes=90)
    assert job.schedule_display == "every 90 min"
    job.crontab = "0 2 * * *"
    assert job.schedule_display == "cron 0 2 * * *"
