""" "Run now" with the broker down fails the run cleanly instead of answering 500."""

import pytest
from django.urls import reverse
from kombu.exceptions import OperationalError

from accounts.choices import Role
from integrations import tasks
from integrations.choices import SyncJobKind, SyncStatus
from integrations.models import SyncJob, SyncRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError(
            "Error 111 connecting to 127.0.0.1:6379. Connection refused."
        )

    monkeypatch.setattr(tasks.execute_sync_run_task, "delay", refuse)


def test_page_run_now_with_broker_down(
    client, make_user, broker_down, django_capture_on_commit_callbacks
):
    client.force_login(make_user(Role.ADMIN))
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("integrations:job_run", args=[job.pk]))
    run = SyncRun.objects.get()
    assert response.status_code == 302 and response.url == run.get_absolute_url()
    assert run.status == SyncStatus.FAILED and run.finished_at is not None
    assert "task queue is unavailable" in run.errors[0]["message"]
    page = client.get(response.url).content.decode()
    assert "task queue is unavailable" in page
    # The job is not locked by the run that never reached a worker.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("integrations:job_run", args=[job.pk]))
    assert again.status_code == 302 and SyncRun.objects.count() == 2


def test_api_run_now_with_broker_down(
    admin_api, broker_down, django_capture_on_commit_callbacks
):
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_FRESHSERVICE)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(f"/api/sync-jobs/{job.pk}/run/", {}, format="json")
    assert response.status_code == 202
    assert SyncRun.objects.get().status == SyncStatus.FAILED
