"""Fleet API: enrolment, telemetry ingest, jobs, isolation between agents (issue 9)."""

import base64

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.choices import Role
from assets.choices import JobStatus
from assets.fleet import create_enrolment_token, enrol_agent, queue_jobs
from assets.fleet_models import (
    Agent,
    AgentReport,
    AgentScreenshot,
    AlertRule,
    FleetAlert,
    FleetJob,
)
from assets.tests.factories import AssetFactory
from companies.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def enrolled(company=None, hostname="pc-1", **fields) -> tuple[Agent, APIClient]:
    company = company or CompanyFactory()
    _token, raw = create_enrolment_token(company, name="t")
    agent, key = enrol_agent(raw, hostname=hostname, **fields)
    client = APIClient()
    client.credentials(HTTP_X_AGENT_KEY=key)
    return agent, client


def telemetry(**extra) -> dict:
    return {
        "hostname": "pc-1",
        "operating_system": "Linux 6.1",
        "uptime_seconds": 3600,
        "cpu_percent": 12.5,
        "memory_percent": 40,
        "disk_percent": 55,
        "logged_in_user": "alice",
        "ip_addresses": ["10.0.0.5", "fe80::1"],
        **extra,
    }


def test_enrol_with_token_links_asset_and_shows_key_once(api_client):
    company = CompanyFactory()
    asset = AssetFactory(company=company, serial_number="SER-1", hostname="other")
    token, raw = create_enrolment_token(company, name="office")
    response = api_client.post(
        "/api/fleet/enrol",
        {"token": raw, "hostname": "ws-1", "serial": "SER-1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["key"].startswith("nxa_") and data["asset"] == asset.pk
    agent = Agent.objects.get(pk=data["agent_id"])
    assert data["key"] not in agent.key_hash and agent.company == company
    token.refresh_from_db()
    assert token.uses == 1 and raw.split("_")[2] not in token.key_hash


@pytest.mark.parametrize("raw", ["", "nxe_nope_nope", "garbage"])
def test_enrol_with_bad_token_is_400(api_client, raw):
    response = api_client.post(
        "/api/fleet/enrol", {"token": raw, "hostname": "x"}, format="json"
    )
    assert response.status_code == 400
    assert Agent.objects.count() == 0


def test_enrol_token_max_uses_and_revocation(api_client):
    company = CompanyFactory()
    _token, raw = create_enrolment_token(company, name="once", max_uses=1)
    ok = api_client.post("/api/fleet/enrol", {"token": raw, "hostname": "a"})
    again = api_client.post("/api/fleet/enrol", {"token": raw, "hostname": "b"})
    assert (ok.status_code, again.status_code) == (201, 400)


def test_ingest_stores_report_updates_agent_and_asset():
    company = CompanyFactory()
    asset = AssetFactory(company=company, hostname="PC-1")
    agent, client = enrolled(company, hostname="pc-1")
    assert agent.asset == asset  # matched by hostname
    response = client.post(
        "/api/fleet/ingest",
        telemetry(screenshot=base64.b64encode(PNG).decode()),
        format="json",
    )
    assert response.status_code == 202, response.content
    agent.refresh_from_db()
    asset.refresh_from_db()
    assert agent.online and agent.disk_percent == 55 and agent.logged_in_user == "alice"
    assert asset.online and asset.last_logged_in_user == "alice"
    assert bytes(AgentScreenshot.objects.get(agent=agent).png) == PNG
    assert AgentReport.objects.filter(agent=agent).count() == 1


@pytest.mark.parametrize(
    "body",
    [
        telemetry(cpu_percent=150),
        telemetry(ip_addresses=["not-an-ip"]),
        telemetry(uptime_seconds=-1),
        telemetry(screenshot="!!notbase64!!"),
        telemetry(screenshot=base64.b64encode(b"GIF89a....").decode()),
        {"cpu_percent": 3},
        [1, 2, 3],
    ],
)
def test_malformed_telemetry_is_400_and_not_stored(body):
    agent, client = enrolled()
    response = client.post("/api/fleet/ingest", body, format="json")
    assert response.status_code == 400
    assert response.json()
    assert AgentReport.objects.count() == 0
    agent.refresh_from_db()
    assert agent.last_seen_at is None


def test_unparseable_json_is_400():
    _agent, client = enrolled()
    response = client.post(
        "/api/fleet/ingest", b"{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert AgentReport.objects.count() == 0


def test_oversized_screenshot_and_body_are_refused(settings):
    settings.NEXUS_FLEET_MAX_SCREENSHOT_BYTES = 1000
    settings.NEXUS_FLEET_MAX_INGEST_BYTES = 20_000
    _agent, client = enrolled()
    big_png = base64.b64encode(PNG + b"\x00" * 2000).decode()
    response = client.post(
        "/api/fleet/ingest", telemetry(screenshot=big_png), format="json"
    )
    assert response.status_code == 400 and "screenshot" in response.json()
    huge = telemetry(operating_system="x" * 30_000)
    response = client.post("/api/fleet/ingest", huge, format="json")
    assert response.status_code == 413
    assert AgentReport.objects.count() == 0 and AgentScreenshot.objects.count() == 0


def test_ingest_is_rate_limited_per_agent_key(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "ingest": "3/min",
        },
    }
    _a, first = enrolled(hostname="a")
    _b, second = enrolled(hostname="b")
    codes = [first.post("/api/fleet/ingest", telemetry()).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    assert second.post("/api/fleet/ingest", telemetry()).status_code == 202


def test_agent_endpoints_refuse_users_and_bad_keys(admin_api, api_client):
    assert admin_api.post("/api/fleet/ingest", telemetry()).status_code in (401, 403)
    assert admin_api.get("/api/fleet/jobs").status_code in (401, 403)
    api_client.credentials(HTTP_X_AGENT_KEY="nxa_bad_key")
    assert api_client.post("/api/fleet/ingest", telemetry()).status_code == 401


def test_agent_key_cannot_be_used_as_user_elsewhere():
    _agent, client = enrolled()
    assert client.get("/api/assets").status_code in (401, 403)
    assert client.get("/api/agents").status_code in (401, 403)


def test_agent_of_company_a_cannot_fetch_or_answer_jobs_of_b(technician):
    _agent_a, client_a = enrolled(CompanyFactory(), hostname="a")
    agent_b, client_b = enrolled(CompanyFactory(), hostname="b")
    [job_b] = queue_jobs(by=technician, agents=[agent_b], script="echo b")
    assert client_a.get("/api/fleet/jobs").json() == []
    response = client_a.post(
        f"/api/fleet/jobs/{job_b.pk}/result", {"exit_code": 0, "stdout": "pwned"}
    )
    assert response.status_code == 404
    job_b.refresh_from_db()
    assert job_b.status == JobStatus.QUEUED and job_b.stdout == ""
    # A's reports only ever touch A.
    client_a.post("/api/fleet/ingest", telemetry(hostname="b-spoof"))
    agent_b.refresh_from_db()
    assert agent_b.last_seen_at is None
    assert not AgentReport.objects.filter(agent=agent_b).exists()
    fetched = client_b.get("/api/fleet/jobs").json()
    assert [j["id"] for j in fetched] == [job_b.pk]


def test_job_round_trip_cancel_and_result_rules(tech_api, technician):
    agent, client = enrolled()
    response = tech_api.post(
        "/api/fleet-jobs", {"agents": [agent.pk], "script": "echo hi"}, format="json"
    )
    assert response.status_code == 201, response.content
    job_id = response.json()[0]["id"]
    [fetched] = client.get("/api/fleet/jobs").json()
    assert fetched["id"] == job_id and fetched["script"] == "echo hi"
    assert client.get("/api/fleet/jobs").json() == []  # sent once
    response = client.post(
        f"/api/fleet/jobs/{job_id}/result", {"exit_code": 0, "stdout": "hi\n"}
    )
    assert response.status_code == 200
    job = FleetJob.objects.get(pk=job_id)
    assert job.status == JobStatus.SUCCEEDED and job.stdout == "hi\n"
    assert job.created_by == technician
    again = client.post(f"/api/fleet/jobs/{job_id}/result", {"exit_code": 1})
    assert again.status_code == 400
    assert (
        client.post(f"/api/fleet/jobs/{job_id}/result", {"exit_code": "x"}).status_code
        == 400
    )
    [queued] = queue_jobs(by=technician, agents=[agent], script="sleep 1")
    response = tech_api.post(f"/api/fleet-jobs/{queued.pk}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert response.json()["cancelled_by"] == technician.username
    assert tech_api.post(f"/api/fleet-jobs/{queued.pk}/cancel").status_code == 400
    assert client.get("/api/fleet/jobs").json() == []


def test_queue_for_company_tag_and_file(tech_api):
    company = CompanyFactory()
    a, _ = enrolled(company, hostname="a")
    b, _ = enrolled(company, hostname="b")
    Agent.objects.filter(pk=a.pk).update(tags="servers linux")
    response = tech_api.post(
        "/api/fleet-jobs",
        {"company_id": company.pk, "tag": "servers", "script": "uptime"},
        format="json",
    )
    assert response.status_code == 201
    assert [j["agent"]["id"] for j in response.json()] == [a.pk]
    response = tech_api.post(
        "/api/fleet-jobs", {"company_id": company.pk, "script": "uptime"}, format="json"
    )
    assert len(response.json()) == 2 and response.json()[0]["batch"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = tech_api.post(
        "/api/fleet-jobs",
        {
            "agents": [b.pk],
            "file": SimpleUploadedFile("cfg.txt", b"k=v"),
            "destination": "/tmp",
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()[0]["kind"] == "file" and response.json()[0]["file_size"] == 3
    for bad in (
        {"script": "x"},
        {"agents": [b.pk]},
        {"agents": [b.pk], "script": "x", "shell": "cmd"},
    ):
        assert tech_api.post("/api/fleet-jobs", bad, format="json").status_code == 400


def test_disk_alert_opens_ticket_when_rule_says_so():
    from tickets.models import Ticket

    company = CompanyFactory()
    AlertRule.objects.create(kind="disk_full", threshold=80, open_ticket=True)
    agent, client = enrolled(company)
    client.post("/api/fleet/ingest", telemetry(disk_percent=95))
    client.post("/api/fleet/ingest", telemetry(disk_percent=96))
    alert = FleetAlert.objects.get(agent=agent, kind="disk_full")
    assert alert.ticket is not None and alert.ticket.company == company
    assert Ticket.objects.count() == 1
    client.post("/api/fleet/ingest", telemetry(disk_percent=50))
    alert.refresh_from_db()
    assert alert.resolved_at is not None


def test_disk_alert_without_ticket_by_default():
    agent, client = enrolled()
    client.post("/api/fleet/ingest", telemetry(disk_percent=91))
    alert = FleetAlert.objects.get(agent=agent)
    assert alert.ticket is None and alert.resolved_at is None


def test_portal_user_sees_no_fleet_data(portal_api_for):
    company = CompanyFactory()
    enrolled(company)
    api = portal_api_for(company)
    for url in (
        "/api/agents",
        "/api/fleet-jobs",
        "/api/enrolment-tokens",
        "/api/job-schedules",
    ):
        response = api.get(url)
        assert response.status_code == 403 or response.json()["count"] == 0
    assert (
        api.post(
            "/api/fleet-jobs", {"company_id": company.pk, "script": "x"}, format="json"
        ).status_code
        == 403
    )


def test_enrolment_token_api_shows_token_once(tech_api):
    company = CompanyFactory()
    response = tech_api.post(
        "/api/enrolment-tokens", {"company_id": company.pk, "name": "HQ"}, format="json"
    )
    assert response.status_code == 201
    raw = response.json()["token"]
    assert raw.startswith("nxe_")
    listed = tech_api.get("/api/enrolment-tokens").json()["results"]
    assert "token" not in listed[0]
    revoked = tech_api.post(f"/api/enrolment-tokens/{listed[0]['id']}/revoke")
    assert revoked.json()["is_active"] is False
    assert (
        APIClient()
        .post("/api/fleet/enrol", {"token": raw, "hostname": "x"})
        .status_code
        == 400
    )


def test_fleet_lists_queries_do_not_grow(
    tech_api, technician, django_assert_max_num_queries
):
    def batch(n):
        for i in range(n):
            agent, _ = enrolled(hostname=f"h{i}")
            queue_jobs(by=technician, agents=[agent], script="echo")

    batch(2)
    for url in ("/api/agents", "/api/fleet-jobs", "/api/enrolment-tokens"):
        with CaptureQueriesContext(connection) as few:
            assert tech_api.get(url).status_code == 200
        batch(5)
        with django_assert_max_num_queries(len(few)):
            tech_api.get(url)


def test_agent_revoke_stops_key(tech_api):
    agent, client = enrolled()
    assert tech_api.post(f"/api/agents/{agent.pk}/revoke").status_code == 200
    assert client.post("/api/fleet/ingest", telemetry()).status_code == 401


def test_staff_role_without_fleet_perms_is_refused(make_user, api_for):
    billing = api_for(make_user(Role.BILLING))
    assert billing.get("/api/agents").status_code == 403


def test_queue_jobs_schema_is_the_plain_list_it_answers_with():
    """POST /api/fleet-jobs answers 201 with a list of jobs; the schema said a
    paginated page, with the job list's filters as query parameters."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/fleet-jobs/"]["post"]
    assert not [p for p in operation.get("parameters", []) if p["in"] == "query"]
    body = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert body == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/FleetJob"},
    }
    listing = schema["paths"]["/api/fleet-jobs/"]["get"]
    assert {"limit", "offset", "status"} <= {p["name"] for p in listing["parameters"]}
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert page == {"$ref": "#/components/schemas/PaginatedFleetJobList"}


def test_fleet_alerts_filter_open_and_resolved(tech_api):
    _agent, client = enrolled()
    client.post("/api/fleet/ingest", telemetry(disk_percent=91))
    client.post("/api/fleet/ingest", telemetry(disk_percent=40))  # resolves it
    client.post("/api/fleet/ingest", telemetry(disk_percent=93))  # a new one
    ids = {
        value: [
            a["id"]
            for a in tech_api.get("/api/fleet-alerts", {"open": value}).json()[
                "results"
            ]
        ]
        for value in ("true", "false")
    }
    open_alert = FleetAlert.objects.get(resolved_at__isnull=True)
    resolved = FleetAlert.objects.get(resolved_at__isnull=False)
    assert ids == {"true": [open_alert.pk], "false": [resolved.pk]}
    assert len(tech_api.get("/api/fleet-alerts").json()["results"]) == 2
    for bad in ({"open": "yes"}, {"open": ""}, {"open": ["true", "true"]}):
        response = tech_api.get("/api/fleet-alerts", bad)
        assert response.status_code == 400
        assert "open" in response.json()
