import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from accounts.choices import Role
from companies.tests.factories import CompanyFactory
from integrations.choices import SyncJobKind, SyncStatus
from integrations.models import SyncJob, SyncRun

from .factories import SyncRunFactory

pytestmark = pytest.mark.django_db


def test_jobs_list_shows_health_schedule_and_last_run(tech_api):
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
    run = SyncRunFactory(job=job)
    response = tech_api.get("/api/sync-jobs")
    assert response.status_code == 200
    rows = {row["kind"]: row for row in response.json()["results"]}
    assert set(rows) == set(SyncJobKind.values)
    assert rows["sync_datto"]["last_run"]["id"] == run.pk
    assert rows["sync_datto"]["health"] == "ok"
    assert rows["assign_account_numbers"]["health"] == "disabled"
    assert rows["sync_freshservice"]["schedule"] == "every day"


def test_runs_list_filters_and_detail_has_log(tech_api):
    SyncRunFactory(status=SyncStatus.FAILED)
    ok = SyncRunFactory(status=SyncStatus.SUCCEEDED)
    response = tech_api.get("/api/sync-runs/", {"status": "succeeded"})
    assert [r["id"] for r in response.json()["results"]] == [ok.pk]
    assert "log" not in response.json()["results"][0]
    detail = tech_api.get(f"/api/sync-runs/{ok.pk}")
    assert detail.status_code == 200 and detail.json()["log"] == ok.log
    assert tech_api.get("/api/sync-runs", {"status": "bogus"}).status_code == 400


def test_run_without_a_user_has_null_triggered_by_as_the_schema_says(tech_api):
    """Scheduled runs have no user: `null`, which the schema now allows (contract
    fuzzing found `null` where the schema said string)."""
    run = SyncRunFactory(triggered_by=None)
    assert tech_api.get(f"/api/sync-runs/{run.pk}").json()["triggered_by"] is None
    assert tech_api.get("/api/sync-runs").json()["results"][0]["triggered_by"] is None
    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"][
        "schemas"
    ]
    for component in ("SyncRun", "SyncRunDetail"):
        assert schemas[component]["properties"]["triggered_by"]["nullable"] is True


def test_runs_list_queries_do_not_grow(tech_api, django_assert_max_num_queries):
    SyncRunFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        assert tech_api.get("/api/sync-runs").status_code == 200
    SyncRunFactory.create_batch(5)
    with django_assert_max_num_queries(len(few)):
        assert len(tech_api.get("/api/sync-runs").json()["results"]) == 7


def test_jobs_list_queries_do_not_grow(tech_api, django_assert_max_num_queries):
    SyncRunFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        tech_api.get("/api/sync-jobs")
    for kind in SyncJobKind.values:
        SyncRunFactory.create_batch(2, job=SyncJob.objects.get(kind=kind))
    with django_assert_max_num_queries(len(few)):
        tech_api.get("/api/sync-jobs")


def test_technician_can_run_a_job(tech_api, django_capture_on_commit_callbacks):
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = tech_api.post(f"/api/sync-jobs/{job.pk}/run", {"dry_run": True})
    assert response.status_code == 202
    run = SyncRun.objects.get(pk=response.json()["id"])
    assert run.dry_run and run.status == SyncStatus.QUEUED
    assert len(callbacks) == 1
    busy = tech_api.post(f"/api/sync-jobs/{job.pk}/run", {})
    assert busy.status_code == 400 and "already" in str(busy.json())
    bad = tech_api.post(f"/api/sync-jobs/{job.pk}/run", {"dry_run": "maybe"})
    assert bad.status_code == 400


def test_manager_can_view_but_not_run(make_user, api_for):
    api = api_for(make_user(Role.MANAGER))
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
    assert api.get("/api/sync-jobs").status_code == 200
    assert api.get("/api/sync-runs").status_code == 200
    assert api.post(f"/api/sync-jobs/{job.pk}/run", {}).status_code == 403
    assert not SyncRun.objects.exists()


def test_portal_users_and_strangers_get_nothing(
    portal_api_for, api_client, make_user, api_for
):
    run = SyncRunFactory()
    portal = portal_api_for(CompanyFactory())
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
    for api in (portal, api_for(make_user(Role.OPERATOR)), api_client):
        assert api.get("/api/sync-runs").status_code in (401, 403)
        assert api.get(f"/api/sync-runs/{run.pk}").status_code in (401, 403)
        assert api.get("/api/sync-jobs", {"search": "datto"}).status_code in (401, 403)
        assert api.post(f"/api/sync-jobs/{job.pk}/run", {}).status_code in (401, 403)
    assert SyncRun.objects.count() == 1


def test_runs_are_read_only(admin_api):
    run = SyncRunFactory()
    assert admin_api.delete(f"/api/sync-runs/{run.pk}").status_code == 405
    assert (
        admin_api.patch(f"/api/sync-jobs/{run.job_id}", {"enabled": False}).status_code
        == 405
    )
