import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role
from companies.tests.factories import CompanyFactory
from integrations.choices import SyncJobKind, SyncStatus
from integrations.models import SyncJob, SyncRun

from .factories import SyncRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tech_client(client, technician):
    client.force_login(technician)
    return client


def test_jobs_page_lists_jobs_with_run_buttons(tech_client):
    SyncRunFactory()
    response = tech_client.get(reverse("integrations:jobs"))
    assert response.status_code == 200
    body = response.content.decode()
    for job in SyncJob.objects.all():
        assert str(job) in body
    assert "Run now" in body and "Dry run" in body
    assert 'name="job1-crontab"' not in body  # technicians may run, not reschedule


def test_jobs_page_queries_do_not_grow(staff_client, django_assert_max_num_queries):
    SyncRunFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        staff_client.get(reverse("integrations:jobs"))
    for kind in SyncJobKind.values:
        SyncRunFactory.create_batch(3, job=SyncJob.objects.get(kind=kind))
    with django_assert_max_num_queries(len(few)):
        staff_client.get(reverse("integrations:jobs"))


def test_admin_changes_schedule_and_beat_follows(staff_client):
    job = SyncJob.objects.get(kind=SyncJobKind.PUSH_ACCOUNT_NUMBERS)
    p = f"job{job.pk}-"
    response = staff_client.post(
        reverse("integrations:job_update", args=[job.pk]),
        {
            p + "enabled": "on",
            p + "interval_minutes": "60",
            p + "crontab": "30 3 * * 1-5",
        },
    )
    assert response.status_code == 302
    job.refresh_from_db()
    task = job.periodic_task
    assert job.enabled and task.enabled
    assert task.crontab is not None and task.interval is None
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == (
        "30",
        "3",
        "1-5",
    )
    response = staff_client.post(
        reverse("integrations:job_update", args=[job.pk]),
        {p + "interval_minutes": "15", p + "crontab": ""},
    )
    task.refresh_from_db()
    assert not task.enabled and task.interval.every == 15 and task.crontab is None


def test_bad_schedule_is_a_form_error_not_a_500(staff_client):
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
    p = f"job{job.pk}-"
    response = staff_client.post(
        reverse("integrations:job_update", args=[job.pk]),
        {p + "enabled": "on", p + "interval_minutes": "0", p + "crontab": "99 * *"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "five fields" in body or "Give five" in body
    job.refresh_from_db()
    assert job.interval_minutes == 1440 and job.crontab == ""


def test_technician_cannot_change_schedule(tech_client):
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
    response = tech_client.post(reverse("integrations:job_update", args=[job.pk]), {})
    assert response.status_code == 403


def test_run_now_redirects_to_live_run_page(
    tech_client, django_capture_on_commit_callbacks
):
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
    with django_capture_on_commit_callbacks(execute=False):
        response = tech_client.post(reverse("integrations:job_run", args=[job.pk]))
    run = SyncRun.objects.get()
    assert response.status_code == 302 and response.url == run.get_absolute_url()
    page = tech_client.get(response.url).content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert reverse("integrations:run_progress", args=[run.pk]) in page
    again = tech_client.post(
        reverse("integrations:job_run", args=[job.pk]), follow=True
    )
    assert "already queued or running" in again.content.decode()


def test_progress_partial_stops_polling_when_finished(tech_client):
    running = SyncRunFactory(status=SyncStatus.RUNNING, progress_done=5, progress_total=20,
                             finished_at=None)  # fmt: skip
    url = reverse("integrations:run_progress", args=[running.pk])
    body = tech_client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in body and "width: 25%" in body
    SyncRun.objects.filter(pk=running.pk).update(status=SyncStatus.SUCCEEDED)
    body = tech_client.get(url).content.decode()
    assert "hx-trigger" not in body and "width: 100%" in body


def test_pages_refuse_portal_users_and_other_roles(
    portal_client_for, client, make_user
):
    run = SyncRunFactory()
    operator = make_user(Role.OPERATOR)
    client.force_login(operator)
    portal = portal_client_for(CompanyFactory())
    for c in (client, portal):
        assert c.get(reverse("integrations:jobs")).status_code == 403
        assert (
            c.get(reverse("integrations:run_detail", args=[run.pk])).status_code == 403
        )
        assert (
            c.post(reverse("integrations:job_run", args=[run.job_id])).status_code
            == 403
        )
    assert SyncRun.objects.count() == 1


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("integrations:jobs"))
    assert response.status_code == 302 and "login" in response.url


def test_dashboard_health_tag_renders_each_job(
    technician, django_assert_max_num_queries
):
    SyncRunFactory(status=SyncStatus.FAILED)
    request = RequestFactory().get("/")
    request.user = technician
    template = Template("{% load integrations_tags %}{% sync_job_health %}")
    technician.has_perm("integrations.view_syncjob")  # warm the permission cache
    with django_assert_max_num_queries(2):
        html = template.render(Context({"request": request}))
    assert "Sync Datto RMM assets" in html and "pill-bad" in html


def test_dashboard_health_tag_hidden_without_permission(portal_user_for):
    request = RequestFactory().get("/")
    request.user = portal_user_for(CompanyFactory())
    template = Template("{% load integrations_tags %}{% sync_job_health %}")
    assert template.render(Context({"request": request})).strip() == ""


def test_nav_item_for_staff_with_permission(technician, make_user):
    from nexus.navigation import nav_for

    assert "Integrations" in [str(item["label"]) for item in nav_for(technician)]
    operator = make_user(Role.OPERATOR)
    assert "Integrations" not in [str(item["label"]) for item in nav_for(operator)]
