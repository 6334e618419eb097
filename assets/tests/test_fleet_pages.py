"""Fleet pages and admin: dashboard, agent detail, screenshots, scheduler (issue 9)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.choices import JobStatus
from assets.fleet import ingest_telemetry, queue_jobs
from assets.fleet_models import AgentScreenshot, FleetJob, JobSchedule
from assets.tests.test_fleet_services import agent_of
from companies.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 32


def test_dashboard_shows_pills_health_and_screenshot(staff_client):
    agent = agent_of(hostname="web-01")
    ingest_telemetry(
        agent, {"hostname": "web-01", "disk_percent": 95, "screenshot": PNG}
    )
    agent_of(hostname="quiet-01")
    body = staff_client.get("/assets/fleet/").content.decode()
    assert "web-01" in body and "quiet-01" in body
    assert "1 online" in body and "1 offline" in body
    assert f"/assets/fleet/agents/{agent.pk}/screenshot.png" in body
    assert "Disk almost full" in body
    response = staff_client.get(f"/assets/fleet/agents/{agent.pk}/screenshot.png")
    assert response["Content-Type"] == "image/png" and response.content == PNG


def test_agent_page_polls_status_and_queues_job(staff_client):
    agent = agent_of(hostname="pc-9")
    body = staff_client.get(f"/assets/fleet/agents/{agent.pk}/").content.decode()
    assert 'hx-trigger="every 10s"' in body
    partial = staff_client.get(f"/assets/fleet/agents/{agent.pk}/status/")
    assert partial.status_code == 200 and b"<html" not in partial.content
    response = staff_client.post(
        f"/assets/fleet/agents/{agent.pk}/",
        {"shell": "sh", "script": "hostname", "timeout_seconds": 60},
    )
    assert response.status_code == 302
    job = FleetJob.objects.get(agent=agent)
    assert job.script == "hostname" and job.created_by.username == "boss"
    response = staff_client.post(
        f"/assets/fleet/agents/{agent.pk}/", {"shell": "sh", "timeout_seconds": 60}
    )
    assert response.status_code == 200 and FleetJob.objects.count() == 1


def test_scheduler_queues_cancels_and_schedules(staff_client):
    company = CompanyFactory()
    agent = agent_of(company, hostname="a")
    response = staff_client.post(
        "/assets/fleet/scheduler/",
        {
            "form": "queue",
            "company": company.pk,
            "shell": "sh",
            "script": "ls",
            "timeout_seconds": 30,
        },
    )
    assert response.status_code == 302
    job = FleetJob.objects.get(agent=agent)
    response = staff_client.post(
        f"/assets/fleet/jobs/{job.pk}/cancel/", {"next": "https://evil.example/"}
    )
    assert (
        response.status_code == 302
        and response["Location"] == "/assets/fleet/scheduler/"
    )
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    response = staff_client.post(
        "/assets/fleet/scheduler/",
        {
            "form": "schedule",
            "name": "nightly",
            "company": company.pk,
            "shell": "sh",
            "script": "df",
            "interval_minutes": 1440,
            "timeout_seconds": 300,
            "enabled": "on",
        },
    )
    assert response.status_code == 302, response.content
    schedule = JobSchedule.objects.get(name="nightly")
    assert schedule.periodic_task is not None
    body = staff_client.get("/assets/fleet/scheduler/").content.decode()
    assert "nightly" in body
    staff_client.post(f"/assets/fleet/schedules/{schedule.pk}/delete/")
    assert not JobSchedule.objects.exists()


def test_fleet_pages_queries_do_not_grow(
    staff_client, admin_user, django_assert_max_num_queries
):
    def batch(n):
        for i in range(n):
            agent = agent_of(hostname=f"h{i}")
            ingest_telemetry(agent, {"hostname": f"h{i}", "disk_percent": 95})
            queue_jobs(by=admin_user, agents=[agent], script="echo")

    batch(2)
    urls = (
        "/assets/fleet/",
        "/assets/fleet/scheduler/",
        "/admin/assets/agent/",
        "/admin/assets/fleetjob/",
        "/admin/assets/fleetalert/",
        "/admin/assets/agentreport/",
        "/admin/assets/enrolmenttoken/",
    )
    for url in urls:
        with CaptureQueriesContext(connection) as few:
            assert staff_client.get(url).status_code == 200, url
        batch(5)
        with django_assert_max_num_queries(len(few)):
            staff_client.get(url)


def test_portal_user_gets_no_fleet_pages(portal_client_for):
    company = CompanyFactory()
    agent = agent_of(company)
    AgentScreenshot.objects.create(agent=agent, png=PNG)
    client = portal_client_for(company)
    for url in (
        "/assets/fleet/",
        "/assets/fleet/scheduler/",
        f"/assets/fleet/agents/{agent.pk}/",
        f"/assets/fleet/agents/{agent.pk}/status/",
        f"/assets/fleet/agents/{agent.pk}/screenshot.png",
    ):
        assert client.get(url).status_code == 403, url
    assert b"/assets/fleet/" not in client.get("/assets/networks/").content


def test_screenshot_needs_permission(make_user, client):
    from accounts.choices import Role

    agent = agent_of()
    AgentScreenshot.objects.create(agent=agent, png=PNG)
    client.force_login(make_user(Role.BILLING))
    assert (
        client.get(f"/assets/fleet/agents/{agent.pk}/screenshot.png").status_code == 403
    )
    client.logout()
    response = client.get(f"/assets/fleet/agents/{agent.pk}/screenshot.png")
    assert response.status_code == 302  # to the login page
