from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.choices import Role
from assets.tests.factories import AssetFactory, LicenceFactory
from companies.models import Company, CreditAccount, IssuedAccountNumber
from companies.services import deduct_credits, purchase_credits
from contacts.tests.factories import ContactFactory
from nexus.navigation import nav_for

from .factories import CompanyFactory, LocationFactory, PlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tech_client(client, technician):
    client.force_login(technician)
    return client


# ------------------------------------------------------------------------ dashboard


def test_dashboard_shows_counts_and_lists(tech_client):
    now = timezone.now()
    today = timezone.localdate()
    plan = PlanFactory(name="Managed Pro")
    company = CompanyFactory(name="Acme", plan=plan)
    CompanyFactory(name="NoPlan Co")
    CompanyFactory(name="Supplier Co", kind="supplier")  # not in the plan chart
    AssetFactory(company=company, hostname="OLD-PC", last_seen=now - timedelta(days=9))
    AssetFactory(company=company, hostname="NEW-PC", last_seen=now, online=True)
    AssetFactory(
        company=company,
        hostname="WARRANTY-PC",
        warranty_expires=today + timedelta(days=10),
    )
    AssetFactory(
        company=company,
        hostname="LATER-PC",
        warranty_expires=today + timedelta(days=90),
    )
    LicenceFactory(company=company, expires_on=today + timedelta(days=5))
    ContactFactory(companies=[company])
    purchase_credits(company, amount=Decimal("1"))
    response = tech_client.get(reverse("companies:dashboard"))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["counts"] == {"companies": 3, "contacts": 1, "assets": 4}
    assert [a.hostname for a in ctx["offline"]] == ["OLD-PC"]
    assert [a.hostname for a in ctx["warranties"]] == ["WARRANTY-PC"]
    assert ctx["licence_count"] == 1
    assert [a.company.name for a in ctx["low_balances"]] == ["Acme"]
    assert {p["name"]: p["n"] for p in ctx["plans"]} == {"Managed Pro": 1, "No plan": 1}
    assert b"<svg" in response.content


def test_dashboard_queries_do_not_grow(tech_client, django_assert_max_num_queries):
    now = timezone.now()

    def make(n):
        for _ in range(n):
            company = CompanyFactory(plan=PlanFactory())
            AssetFactory(company=company, last_seen=now - timedelta(days=30))
            AssetFactory(
                company=company,
                warranty_expires=timezone.localdate() + timedelta(days=3),
            )
            LicenceFactory(
                company=company, expires_on=timezone.localdate() + timedelta(days=3)
            )
            purchase_credits(company, amount=Decimal("1"))

    make(2)
    with CaptureQueriesContext(connection) as few:
        tech_client.get(reverse("companies:dashboard"))
    make(5)
    with django_assert_max_num_queries(len(few)):
        tech_client.get(reverse("companies:dashboard"))


def test_dashboard_needs_permission(client, make_user):
    client.force_login(make_user(Role.OPERATOR))
    assert client.get(reverse("companies:dashboard")).status_code == 403


def test_pages_need_login(client):
    company = CompanyFactory()
    for url in (
        reverse("companies:dashboard"),
        reverse("companies:company_list"),
        reverse("companies:my_company"),
        company.get_absolute_url(),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


# ---------------------------------------------------------------------------- list


def test_company_list_search_sort_and_filter(tech_client):
    CompanyFactory(name="Acme", account_number=300001)
    CompanyFactory(name="Bolt", account_number=300002, kind="supplier")
    CompanyFactory(name="Cobalt", account_number=300003, status="inactive")
    url = reverse("companies:company_list")
    names = lambda r: [c.name for c in r.context["page"]]  # noqa: E731
    assert names(tech_client.get(url)) == ["Acme", "Bolt", "Cobalt"]
    assert names(tech_client.get(url, {"q": "bol"})) == ["Bolt"]
    assert names(tech_client.get(url, {"q": "300003"})) == ["Cobalt"]
    assert names(tech_client.get(url, {"sort": "-account_number"})) == [
        "Cobalt",
        "Bolt",
        "Acme",
    ]
    assert names(tech_client.get(url, {"kind": "supplier"})) == ["Bolt"]
    assert names(tech_client.get(url, {"status": "inactive"})) == ["Cobalt"]
    assert names(tech_client.get(url, {"sort": "nonsense"})) == [
        "Acme",
        "Bolt",
        "Cobalt",
    ]
    response = tech_client.get(url, {"kind": "alien"})
    assert response.status_code == 200
    assert names(response) == []


def test_company_list_paginates_by_50(tech_client):
    Company.objects.bulk_create(
        Company(name=f"Co {i:03d}", account_number=400000 + i) for i in range(120)
    )
    url = reverse("companies:company_list")
    page1 = tech_client.get(url)
    assert len(page1.context["page"]) == 50
    page3 = tech_client.get(url, {"page": 3})
    assert len(page3.context["page"]) == 20
    assert tech_client.get(url, {"page": "zzz"}).status_code == 200


def test_company_list_queries_do_not_grow(tech_client, django_assert_max_num_queries):
    def make(n):
        for _ in range(n):
            company = CompanyFactory(plan=PlanFactory())
            purchase_credits(company, amount=Decimal("2"))

    make(2)
    url = reverse("companies:company_list")
    with CaptureQueriesContext(connection) as few:
        tech_client.get(url)
    make(5)
    with django_assert_max_num_queries(len(few)):
        tech_client.get(url)


def test_portal_user_is_sent_to_my_company(portal_client_for):
    client = portal_client_for(CompanyFactory())
    response = client.get(reverse("companies:company_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("companies:my_company")


# -------------------------------------------------------------------------- detail


@pytest.mark.parametrize(
    "tab",
    ["overview", "locations", "contacts", "assets", "licences", "credits", "history"],
)
def test_company_detail_tabs(staff_client, tab):
    plan = PlanFactory(name="Gold")
    plan.features.create(key="backup", value="1 TB")
    company = CompanyFactory(name="Acme", plan=plan)
    LocationFactory(company=company, name="HQ-LOC")
    ContactFactory(companies=[company], name="Zed Contact")
    AssetFactory(company=company, hostname="ACME-PC1")
    LicenceFactory(company=company)
    purchase_credits(company, amount=Decimal("8"), reference="inv-88")
    response = staff_client.get(company.get_absolute_url(), {"tab": tab})
    assert response.status_code == 200
    assert response.context["tab"] == tab
    content = response.content.decode()
    expected = {
        "overview": "1 TB",
        "locations": "HQ-LOC",
        "contacts": "Zed Contact",
        "assets": "ACME-PC1",
        "licences": "Product",
        "credits": "inv-88",
        "history": "Acme",
    }[tab]
    assert expected in content


@pytest.mark.parametrize("tab", ["contacts", "assets", "credits", "locations"])
def test_company_detail_tab_queries_do_not_grow(
    staff_client, tab, django_assert_max_num_queries
):
    company = CompanyFactory()

    def make(n):
        for _ in range(n):
            LocationFactory(company=company)
            ContactFactory(companies=[company])
            AssetFactory(company=company, location=LocationFactory(company=company))
            purchase_credits(company, amount=Decimal("1"))

    make(2)
    with CaptureQueriesContext(connection) as few:
        staff_client.get(company.get_absolute_url(), {"tab": tab})
    make(5)
    with django_assert_max_num_queries(len(few)):
        staff_client.get(company.get_absolute_url(), {"tab": tab})


def test_company_detail_unknown_is_404(staff_client):
    assert staff_client.get("/companies/999999/").status_code == 404


def test_company_detail_unknown_tab_falls_back(staff_client):
    company = CompanyFactory()
    response = staff_client.get(company.get_absolute_url(), {"tab": "secret"})
    assert response.context["tab"] == "overview"


# --------------------------------------------------------------------------- forms


def test_create_company_page_generates_number(tech_client):
    response = tech_client.post(
        reverse("companies:company_create"),
        {
            "name": "Page Co",
            "kind": "client",
            "status": "active",
            "domains": "a.test, b.test",
        },
    )
    company = Company.objects.get(name="Page Co")
    assert response.status_code == 302
    assert response["Location"] == company.get_absolute_url()
    assert company.domains == ["a.test", "b.test"]
    assert IssuedAccountNumber.objects.filter(number=company.account_number).exists()


def test_create_company_page_duplicate_number_shows_error(tech_client):
    CompanyFactory(account_number=424242)
    response = tech_client.post(
        reverse("companies:company_create"),
        {
            "name": "Dup",
            "account_number": "424242",
            "kind": "client",
            "status": "active",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["account_number"][0]


def test_create_company_page_bad_input(tech_client):
    response = tech_client.post(
        reverse("companies:company_create"),
        {
            "name": "",
            "kind": "alien",
            "status": "active",
            "contract_start": "2026-05-01",
            "contract_end": "2026-01-01",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "name" in errors and "kind" in errors
    assert not Company.objects.exists()


def test_create_company_page_model_errors_are_form_errors(tech_client):
    response = tech_client.post(
        reverse("companies:company_create"),
        {
            "name": "Dates",
            "kind": "client",
            "status": "active",
            "contract_start": "2026-05-01",
            "contract_end": "2026-01-01",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Company.objects.exists()


def test_edit_company_page(tech_client):
    company = CompanyFactory(name="Old", account_number=222333)
    url = reverse("companies:company_update", args=[222333])
    assert tech_client.get(url).status_code == 200
    response = tech_client.post(
        url,
        {
            "name": "New",
            "account_number": "999111",  # disabled for non-admins: ignored
            "kind": "client",
            "status": "inactive",
        },
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert (company.name, company.status, company.account_number) == (
        "New",
        "inactive",
        222333,
    )


def test_admin_can_change_number_on_edit_page(staff_client):
    company = CompanyFactory(name="Old", account_number=222333)
    response = staff_client.post(
        reverse("companies:company_update", args=[222333]),
        {
            "name": "Old",
            "account_number": "999111",
            "kind": "client",
            "status": "active",
        },
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.account_number == 999111


def test_forms_need_permission(client, make_user):
    client.force_login(make_user(Role.BILLING))
    company = CompanyFactory()
    assert client.get(reverse("companies:company_create")).status_code == 403
    assert (
        client.get(
            reverse("companies:company_update", args=[company.account_number])
        ).status_code
        == 403
    )


# ---------------------------------------------------------------------- my company


def test_my_company_page(portal_client_for):
    company = CompanyFactory(name="Client Co")
    AssetFactory(company=company, hostname="CLIENT-PC")
    ContactFactory(companies=[company], name="Cara Client")
    purchase_credits(company, amount=Decimal("5"))
    deduct_credits(company, amount=Decimal("1.5"), reference="T-1")
    client = portal_client_for(company)
    response = client.get(reverse("companies:my_company"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "CLIENT-PC" in content
    assert "Cara Client" in content
    assert "3.50" in content
    assert "T-1" in content


def test_my_company_is_404_for_staff(tech_client):
    assert tech_client.get(reverse("companies:my_company")).status_code == 404


def test_my_company_queries_do_not_grow(
    portal_client_for, django_assert_max_num_queries
):
    company = CompanyFactory()
    client = portal_client_for(company)

    def make(n):
        for _ in range(n):
            AssetFactory(company=company, location=LocationFactory(company=company))
            ContactFactory(companies=[company])
            purchase_credits(company, amount=Decimal("1"))

    make(2)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("companies:my_company"))
    make(5)
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("companies:my_company"))


# ---------------------------------------------------------------------- navigation


def test_nav_items_for_staff_and_portal(technician, portal_user_for):
    staff_labels = [str(i["label"]) for i in nav_for(technician)]
    assert "Dashboard" in staff_labels and "Companies" in staff_labels
    assert "My company" not in staff_labels
    portal_labels = [
        str(i["label"]) for i in nav_for(portal_user_for(CompanyFactory()))
    ]
    assert "My company" in portal_labels
    assert "Companies" not in portal_labels and "Dashboard" not in portal_labels


def test_low_balance_flag_on_my_company(portal_client_for):
    company = CompanyFactory()
    CreditAccount.objects.create(company=company, low_balance_threshold=Decimal("5"))
    response = portal_client_for(company).get(reverse("companies:my_company"))
    assert "Low balance" in response.content.decode()


# ------------------------------------------------------------------ record credits


@pytest.fixture
def billing_client(client, make_user):
    client.force_login(make_user(Role.BILLING))
    return client


def test_record_credits_page(billing_client):
    company = CompanyFactory(account_number=222333)
    url = reverse("companies:company_credits_add", args=[222333])
    assert billing_client.get(url).status_code == 200
    response = billing_client.post(
        url, {"kind": "purchase", "amount": "12.5", "reference": "inv-5", "note": ""}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?tab=credits")
    assert CreditAccount.objects.get(company=company).balance == Decimal("12.50")


def test_record_credits_refusal_is_a_form_error(billing_client):
    CompanyFactory(account_number=222333)
    response = billing_client.post(
        reverse("companies:company_credits_add", args=[222333]),
        {"kind": "deduction", "amount": "5"},
    )
    assert response.status_code == 200
    assert "Not enough credit" in response.context["form"].errors["amount"][0]


def test_record_credits_bad_input(billing_client):
    CompanyFactory(account_number=222333)
    response = billing_client.post(
        reverse("companies:company_credits_add", args=[222333]),
        {"kind": "gift", "amount": "abc"},
    )
    assert response.status_code == 200
    assert {"kind", "amount"} <= set(response.context["form"].errors)


def test_record_credits_needs_permission(tech_client, portal_client_for):
    company = CompanyFactory(account_number=222333)
    url = reverse("companies:company_credits_add", args=[222333])
    assert tech_client.get(url).status_code == 403
    portal = portal_client_for(company)
    assert portal.post(url, {"kind": "purchase", "amount": "5"}).status_code == 302
    assert not CreditAccount.objects.filter(company=company).exists()
