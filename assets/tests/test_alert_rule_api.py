"""Alert rules through the API: duplicates are refused with a 400 (issue 10 fuzzing
found a 500 from the database's unique constraint)."""

import pytest

from assets.fleet_models import AlertRule
from companies.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

RULE = {
    "company": None,
    "kind": "disk_full",
    "threshold": 90,
    "open_ticket": False,
    "enabled": True,
}


def test_second_default_rule_of_a_kind_is_a_400(admin_api):
    assert admin_api.post("/api/alert-rules/", RULE, format="json").status_code == 201
    response = admin_api.post("/api/alert-rules/", RULE, format="json")
    assert response.status_code == 400, response.content
    assert response.json()  # a message, not an empty body
    assert AlertRule.objects.filter(company=None, kind="disk_full").count() == 1


def test_second_rule_of_a_kind_for_one_company_is_a_400(admin_api):
    company = CompanyFactory()
    body = {**RULE, "company": company.pk}
    assert admin_api.post("/api/alert-rules/", body, format="json").status_code == 201
    response = admin_api.post("/api/alert-rules/", body, format="json")
    assert response.status_code == 400, response.content
    assert AlertRule.objects.filter(company=company).count() == 1


def test_a_rule_can_be_updated_in_place(admin_api):
    created = admin_api.post("/api/alert-rules/", RULE, format="json").json()
    response = admin_api.patch(
        f"/api/alert-rules/{created['id']}/", {"threshold": 80}, format="json"
    )
    assert response.status_code == 200, response.content
    assert AlertRule.objects.get(pk=created["id"]).threshold == 80
    put = admin_api.put(
        f"/api/alert-rules/{created['id']}/", {**RULE, "threshold": 70}, format="json"
    )
    assert put.status_code == 200, put.content
