import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.choices import ConnectionKind, SyncJobKind, SyncStatus
from integrations.models import Connection, SyncJob, SyncRun

from .conftest import DATTO_KEY, DATTO_SECRET
from .factories import SyncRunFactory

pytestmark = pytest.mark.django_db


def test_connection_secrets_are_write_only(staff_client):
    connection = Connection.objects.get(kind=ConnectionKind.DATTO)
    connection.api_key, connection.api_secret = "super-secret-key", "super-secret-value"
    connection.save()
    url = reverse("admin:integrations_connection_change", args=[connection.pk])
    page = staff_client.get(url).content.decode()
    assert "super-secret-key" not in page and "super-secret-value" not in page
    changelist = staff_client.get(reverse("admin:integrations_connection_changelist"))
    assert "super-secret" not in changelist.content.decode()
    assert "-key" in changelist.content.decode()  # the masked tail only
    response = staff_client.post(
        url,
        {
            "kind": ConnectionKind.DATTO,
            "base_url": "https://merlot-api.centrastage.net",
            "api_key": "",
            "api_secret": "",
            "enabled": "on",
            "timeout_seconds": "20",
            "rate_limit_per_minute": "600",
        },
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.api_key == "super-secret-key"  # empty keeps the stored value
    assert connection.base_url == "https://merlot-api.centrastage.net"
    staff_client.post(
        url,
        {
            "kind": ConnectionKind.DATTO,
            "base_url": "https://merlot-api.centrastage.net",
            "api_key": "new-key",
            "api_secret": "",
            "timeout_seconds": "20",
            "rate_limit_per_minute": "600",
        },
    )
    connection.refresh_from_db()
    assert (
        connection.api_key == "new-key"
        and connection.api_secret == "super-secret-value"
    )
    assert not connection.enabled


def test_connection_bad_url_is_a_form_error(staff_client):
    connection = Connection.objects.get(kind=ConnectionKind.FRESHSERVICE)
    url = reverse("admin:integrations_connection_change", args=[connection.pk])
    response = staff_client.post(
        url,
        {"kind": "freshservice", "base_url": "ftp://x", "timeout_seconds": "0",
         "rate_limit_per_minute": "0"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["adminform"].form.errors


def test_check_connection_action_reports_each_result(staff_client, datto_sandbox):
    Connection.objects.filter(kind=ConnectionKind.DATTO).update(
        base_url=datto_sandbox.url
    )
    datto = Connection.objects.get(kind=ConnectionKind.DATTO)
    datto.api_key, datto.api_secret = DATTO_KEY, DATTO_SECRET
    datto.save()
    response = staff_client.post(
        reverse("admin:integrations_connection_changelist"),
        {"action": "check_connection", "_selected_action": [c.pk for c in Connection.objects.all()]},
        follow=True,
    )  # fmt: skip
    text = response.content.decode()
    assert "Sandbox MSP" in text
    assert "set its base URL and credentials" in text
    assert DATTO_SECRET not in text


def test_job_admin_run_now_action_queues_runs(
    staff_client, django_capture_on_commit_callbacks
):
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
    with django_capture_on_commit_callbacks(execute=False):
        staff_client.post(
            reverse("admin:integrations_syncjob_changelist"),
            {"action": "dry_run", "_selected_action": [job.pk]},
        )
    run = SyncRun.objects.get()
    assert run.dry_run and run.status == SyncStatus.QUEUED


def test_job_admin_disable_action_updates_beat(staff_client):
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
    staff_client.post(
        reverse("admin:integrations_syncjob_changelist"),
        {"action": "disable", "_selected_action": [job.pk]},
    )
    job.refresh_from_db()
    assert not job.enabled and not job.periodic_task.enabled


def test_job_admin_edit_updates_periodic_task(staff_client):
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_FRESHSERVICE)
    response = staff_client.post(
        reverse("admin:integrations_syncjob_change", args=[job.pk]),
        {"enabled": "on", "interval_minutes": "120", "crontab": ""},
    )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.periodic_task.interval.every == 120


def test_run_admin_is_read_only_and_lists_without_n_plus_one(
    staff_client, django_assert_max_num_queries
):
    SyncRunFactory.create_batch(2)
    url = reverse("admin:integrations_syncrun_changelist")
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(url).status_code == 200
    SyncRunFactory.create_batch(5)
    with django_assert_max_num_queries(len(few)):
        staff_client.get(url, {"status__exact": "succeeded"})
    run = SyncRun.objects.first()
    detail = staff_client.get(
        reverse("admin:integrations_syncrun_change", args=[run.pk])
    )
    assert detail.status_code == 200 and run.log in detail.content.decode()
    assert (
        staff_client.get(reverse("admin:integrations_syncrun_add")).status_code == 403
    )


def test_job_admin_changelist_loads(staff_client):
    SyncRunFactory()
    response = staff_client.get(reverse("admin:integrations_syncjob_changelist"))
    assert response.status_code == 200
    assert "Sync Datto RMM assets" in response.content.decode()
