"""Tenant isolation: a client of company A never gets a row of company B."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from assets.tests.factories import AssetFactory
from companies.models import Company, CreditTransaction, Location
from companies.services import purchase_credits
from contacts.tests.factories import ContactFactory

from .factories import CompanyFactory, LocationFactory, PlanFactory

pytestmark = pytest.mark.django_db

A_NUMBER, B_NUMBER = 111111, 222222
B_MARKERS = ("Bravo Corp", str(B_NUMBER), "bravo-secret", "BRAVO-PC", "Bravo HQ")


@pytest.fixture
def tenants(portal_user_for, portal_api_for, portal_client_for):
    plan_a = PlanFactory(name="Alpha plan")
    plan_b = PlanFactory(name="Bravo plan")
    a = CompanyFactory(name="Alpha Corp", account_number=A_NUMBER, plan=plan_a)
    b = CompanyFactory(
        name="Bravo Corp",
        account_number=B_NUMBER,
        plan=plan_b,
        notes="bravo-secret",
        kind="client",
    )
    for company, tag in ((a, "ALPHA"), (b, "BRAVO")):
        LocationFactory(company=company, name=f"{tag.title()} HQ")
        AssetFactory(company=company, hostname=f"{tag}-PC")
        ContactFactory(companies=[company], name=f"{tag.title()} Person")
        purchase_credits(company, amount=Decimal("10"), reference=f"{tag.lower()}-ref")
        portal_user_for(company, username=f"{tag.lower()}-user")
    return {
        "a": a,
        "b": b,
        "api": portal_api_for(a),
        "page": portal_client_for(a),
    }


def _text(response) -> str:
    return response.content.decode()


def assert_no_b(response):
    body = _text(response)
    for marker in B_MARKERS:
        assert marker not in body, (marker, response.request["PATH_INFO"])


LIST_ENDPOINTS = [
    "/api/companies",
    "/api/locations",
    "/api/credit-accounts",
    "/api/credit-transactions",
    "/api/plans",
    "/api/suppliers",
    f"/api/companies/{A_NUMBER}/users",
    f"/api/companies/{A_NUMBER}/locations",
    f"/api/companies/{A_NUMBER}/credits",
    f"/api/companies/{A_NUMBER}/contacts",
    f"/api/companies/{A_NUMBER}/assets",
]


@pytest.mark.parametrize("path", LIST_ENDPOINTS)
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?search=Bravo",
        f"?search={B_NUMBER}",
        f"?account_number={B_NUMBER}",
        "?company={b_pk}",
        "?name=Bravo",
        "?limit=1000",
        "?format=json",
    ],
)
def test_client_lists_hold_only_own_rows(tenants, path, query):
    response = tenants["api"].get(path + query.format(b_pk=tenants["b"].pk))
    # 403: the Client role has no permission on that resource at all (plans).
    assert response.status_code in (200, 400, 403), response.content
    assert_no_b(response)


def test_client_company_list_is_its_own_row(tenants):
    response = tenants["api"].get("/api/companies")
    assert [c["account_number"] for c in response.json()["results"]] == [A_NUMBER]


def test_client_own_detail_and_actions(tenants):
    api = tenants["api"]
    assert api.get(f"/api/companies/{A_NUMBER}").status_code == 200
    assert api.get(f"/api/companies/{A_NUMBER}/credits").status_code == 200
    assert api.get(f"/api/companies/{A_NUMBER}/locations").status_code == 200
    users = api.get(f"/api/companies/{A_NUMBER}/users").json()["results"]
    names = {u["username"] for u in users}
    assert "alpha-user" in names
    assert "bravo-user" not in names


@pytest.mark.parametrize(
    "path",
    [
        f"/api/companies/{B_NUMBER}",
        f"/api/companies/{B_NUMBER}/users",
        f"/api/companies/{B_NUMBER}/locations",
        f"/api/companies/{B_NUMBER}/credits",
        f"/api/companies/{B_NUMBER}/contacts",
        f"/api/companies/{B_NUMBER}/assets",
        f"/api/suppliers/{B_NUMBER}",
    ],
)
def test_client_gets_404_for_other_company_details(tenants, path):
    response = tenants["api"].get(path)
    assert response.status_code == 404
    assert_no_b(response)


def test_client_gets_404_for_other_rows_by_id(tenants):
    b = tenants["b"]
    api = tenants["api"]
    location = Location.objects.get(company=b)
    tx = CreditTransaction.objects.get(account__company=b)
    for path in (
        f"/api/locations/{location.pk}",
        f"/api/credit-accounts/{b.credit_account.pk}",
        f"/api/credit-transactions/{tx.pk}",
        f"/api/plans/{b.plan_id}",
    ):
        response = api.get(path)
        assert response.status_code in (403, 404), path
        assert_no_b(response)


def test_client_billing_summary_refused(tenants):
    assert tenants["api"].get("/api/billing_summary").status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("put", f"/api/companies/{B_NUMBER}", {"name": "Hacked"}),
        ("patch", f"/api/companies/{B_NUMBER}", {"name": "Hacked"}),
        ("delete", f"/api/companies/{B_NUMBER}", None),
        ("post", "/api/companies", {"name": "Mine now"}),
        ("post", "/api/suppliers", {"name": "Mine now"}),
        (
            "post",
            "/api/locations",
            {"company_account_number": B_NUMBER, "name": "Hacked"},
        ),
        (
            "post",
            "/api/credit-transactions",
            {"company_account_number": B_NUMBER, "kind": "purchase", "amount": "5"},
        ),
        ("post", "/api/plans", {"name": "Free for me"}),
    ],
)
def test_client_writes_to_other_company_refused(tenants, method, path, payload):
    response = getattr(tenants["api"], method)(path, payload, format="json")
    assert response.status_code in (403, 404), response.content
    b = Company.objects.get(pk=tenants["b"].pk)
    assert b.name == "Bravo Corp"
    assert not Location.objects.filter(name="Hacked").exists()
    assert CreditTransaction.objects.filter(account__company=b).count() == 1


def test_client_cannot_put_own_company(tenants):
    """Seed compatibility: a client gets 403 on PUT of its own company."""
    response = tenants["api"].put(
        f"/api/companies/{A_NUMBER}", {"name": "Renamed"}, format="json"
    )
    assert response.status_code == 403
    assert Company.objects.get(account_number=A_NUMBER).name == "Alpha Corp"


def test_client_cannot_move_own_location_to_b(tenants):
    location = Location.objects.get(company=tenants["a"])
    response = tenants["api"].patch(
        f"/api/locations/{location.pk}",
        {"company_account_number": B_NUMBER},
        format="json",
    )
    assert response.status_code in (400, 403)
    location.refresh_from_db()
    assert location.company_id == tenants["a"].pk


def test_staff_cannot_attach_location_to_invisible_company(tech_api):
    # Scoped related writes resolve only visible rows (R11); staff see all, so a
    # missing number is the only way to fail here.
    response = tech_api.post(
        "/api/locations", {"company_account_number": 123999, "name": "X"}, format="json"
    )
    assert response.status_code == 400


# ---------------------------------------------------------------------------- pages


@pytest.mark.parametrize(
    "url",
    [
        f"/companies/{B_NUMBER}/",
        f"/companies/{B_NUMBER}/?tab=credits",
        f"/companies/{B_NUMBER}/edit/",
        f"/companies/{B_NUMBER}/credits/add/",
    ],
)
def test_client_pages_of_other_company_refused(tenants, url):
    response = tenants["page"].get(url)
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert response["Location"] == reverse("companies:my_company")
    assert_no_b(response)


@pytest.mark.parametrize(
    "url",
    [
        "/companies/my/",
        f"/companies/{A_NUMBER}/",
        f"/companies/{A_NUMBER}/?tab=locations",
        f"/companies/{A_NUMBER}/?tab=contacts",
        f"/companies/{A_NUMBER}/?tab=assets",
        f"/companies/{A_NUMBER}/?tab=credits",
        f"/companies/{A_NUMBER}/?tab=history",
        "/companies/",
        "/companies/?q=Bravo",
        "/companies/dashboard/",
    ],
)
def test_client_pages_show_nothing_of_b(tenants, url):
    response = tenants["page"].get(url, follow=True)
    assert response.status_code in (200, 403, 404)
    assert_no_b(response)


def test_my_company_shows_own_rows(tenants):
    body = _text(tenants["page"].get("/companies/my/"))
    assert "Alpha Corp" in body
    assert "ALPHA-PC" in body
    assert "Alpha Person" in body


def test_client_post_to_other_company_edit_refused(tenants):
    response = tenants["page"].post(
        f"/companies/{B_NUMBER}/edit/", {"name": "Hacked", "kind": "client"}
    )
    assert response.status_code in (302, 403, 404)
    assert Company.objects.get(account_number=B_NUMBER).name == "Bravo Corp"


def test_client_has_no_admin_export(tenants):
    response = tenants["page"].get(reverse("admin:companies_company_changelist"))
    assert response.status_code == 302  # the admin's login: portal users are not staff
    response = tenants["page"].post(
        reverse("admin:companies_company_export"), {"format": "0"}
    )
    assert response.status_code == 302
    assert_no_b(response)


def test_client_api_schema_paths_do_not_leak(tenants):
    # The browsable/JSON renderers give the same rows; check JSON explicitly.
    response = tenants["api"].get("/api/companies", HTTP_ACCEPT="application/json")
    assert all(
        row["account_number"] == A_NUMBER
        for row in json.loads(response.content)["results"]
    )
