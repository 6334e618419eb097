from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from assets.tests.factories import AssetFactory
from companies.models import (
    Company,
    CompanyFeatureOverride,
    CreditAccount,
    CreditTransaction,
    IssuedAccountNumber,
    Location,
    Plan,
    PlanFeature,
)
from companies.services import deduct_credits, purchase_credits
from contacts.tests.factories import ContactFactory

from .factories import CompanyFactory, LocationFactory, PlanFactory

pytestmark = pytest.mark.django_db


def rows(response):
    data = response.json()
    return data["results"] if isinstance(data, dict) and "results" in data else data


@pytest.fixture
def billing_api(make_user, api_for):
    return api_for(make_user(Role.BILLING))


# ------------------------------------------------------------------------ companies


@pytest.mark.parametrize("path", ["/api/companies", "/api/companies/"])
def test_company_list_with_and_without_slash(tech_api, path):
    CompanyFactory(name="Acme")
    response = tech_api.get(path)
    assert response.status_code == 200
    assert [c["name"] for c in rows(response)] == ["Acme"]
    assert rows(response)[0]["plan_selected"] is None


def test_company_create_generates_number(tech_api):
    response = tech_api.post("/api/companies", {"name": "Acme"}, format="json")
    assert response.status_code == 201, response.content
    number = response.json()["account_number"]
    assert 100000 <= number <= 999999
    assert Company.objects.get(account_number=number).name == "Acme"
    assert IssuedAccountNumber.objects.filter(number=number).exists()


def test_company_create_with_fields(admin_api):
    plan = PlanFactory(name="Gold")
    response = admin_api.post(
        "/api/companies/",
        {
            "name": "Acme",
            "account_number": 654321,
            "plan_id": plan.pk,
            "domains": ["acme.test"],
            "kind": "partner",
            "freshservice_id": 9000000001,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["account_number"] == 654321
    assert body["plan"] == {"id": plan.pk, "name": "Gold"}
    assert body["plan_selected"] == "Gold"
    assert body["domains"] == ["acme.test"]
    assert body["url"].endswith("/api/companies/654321")


def test_company_create_duplicate_number_is_409(tech_api):
    CompanyFactory(account_number=654321)
    response = tech_api.post(
        "/api/companies", {"name": "Again", "account_number": 654321}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert "654321" in body["detail"]
    assert "already exists" in body["account_number"][0]
    assert Company.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "X", "account_number": 12345}, "account_number"),
        ({"name": "X", "account_number": "abc"}, "account_number"),
        ({"name": "X", "kind": "alien"}, "kind"),
        ({"name": "X", "plan_id": 999999}, "plan_id"),
        ({"name": "X", "domains": "not-a-list"}, "domains"),
        ({"name": "X", "portal_url": "nope"}, "portal_url"),
        (
            {"name": "X", "contract_start": "2026-05-01", "contract_end": "2026-01-01"},
            "contract_end",
        ),
    ],
)
def test_company_create_bad_input_is_400(tech_api, payload, field):
    response = tech_api.post("/api/companies", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_company_create_duplicate_freshservice_id_is_400(tech_api):
    CompanyFactory(freshservice_id=77)
    response = tech_api.post(
        "/api/companies", {"name": "X", "freshservice_id": 77}, format="json"
    )
    assert response.status_code == 400
    assert "freshservice_id" in response.json()


def test_company_detail_by_account_number(tech_api):
    company = CompanyFactory(account_number=222333, name="Acme")
    for path in ("/api/companies/222333", "/api/companies/222333/"):
        response = tech_api.get(path)
        assert response.status_code == 200
        assert response.json()["id"] == company.pk
    assert tech_api.get("/api/companies/999998").status_code == 404


def test_company_put_is_partial(tech_api):
    company = CompanyFactory(account_number=222333, name="Acme", head_name="Ann")
    response = tech_api.put(
        "/api/companies/222333", {"main_phone": "+30 210 000"}, format="json"
    )
    assert response.status_code == 200, response.content
    company.refresh_from_db()
    assert company.main_phone == "+30 210 000"
    assert company.name == "Acme"
    assert company.head_name == "Ann"
    assert company.history.count() >= 1


def test_company_patch_bad_input_is_400(tech_api):
    CompanyFactory(account_number=222333)
    response = tech_api.patch(
        "/api/companies/222333", {"status": "zombie"}, format="json"
    )
    assert response.status_code == 400
    assert "status" in response.json()


def test_admin_changes_account_number(admin_api):
    CompanyFactory(account_number=222333)
    response = admin_api.patch(
        "/api/companies/222333", {"account_number": 444555}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["account_number"] == 444555
    assert IssuedAccountNumber.objects.filter(number=444555).exists()


def test_admin_change_to_taken_number_is_409(admin_api):
    CompanyFactory(account_number=222333)
    CompanyFactory(account_number=444555)
    response = admin_api.patch(
        "/api/companies/222333", {"account_number": 444555}, format="json"
    )
    assert response.status_code == 409


def test_technician_cannot_change_account_number(tech_api):
    CompanyFactory(account_number=222333)
    response = tech_api.patch(
        "/api/companies/222333", {"account_number": 444555}, format="json"
    )
    assert response.status_code == 403
    assert Company.objects.filter(account_number=222333).exists()


def test_company_delete(admin_api):
    CompanyFactory(account_number=222333)
    assert admin_api.delete("/api/companies/222333").status_code == 204
    assert not Company.objects.exists()


def test_company_delete_refused_with_assets(admin_api):
    company = CompanyFactory(account_number=222333)
    AssetFactory(company=company)
    response = admin_api.delete("/api/companies/222333")
    assert response.status_code == 409
    assert "assets" in response.json()["detail"]
    assert Company.objects.exists()


def test_technician_cannot_delete_company(tech_api):
    CompanyFactory(account_number=222333)
    assert tech_api.delete("/api/companies/222333").status_code == 403


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=supplier", ["Bolt Supplies"]),
        ("kind=client&kind=partner", ["Acme", "Cobalt"]),
        ("status=inactive", ["Cobalt"]),
        ("account_number=300002", ["Bolt Supplies"]),
        ("freshservice_id=42", ["Acme"]),
        ("name=cob", ["Cobalt"]),
        ("search=bolt", ["Bolt Supplies"]),
        ("search=300003", ["Cobalt"]),
        ("ordering=-account_number", ["Cobalt", "Bolt Supplies", "Acme"]),
    ],
)
def test_company_filters(tech_api, query, expected):
    CompanyFactory(name="Acme", account_number=300001, freshservice_id=42)
    CompanyFactory(name="Bolt Supplies", account_number=300002, kind="supplier")
    CompanyFactory(
        name="Cobalt", account_number=300003, kind="partner", status="inactive"
    )
    response = tech_api.get(f"/api/companies?{query}")
    assert response.status_code == 200
    assert [c["name"] for c in rows(response)] == expected


def test_company_filter_by_plan(tech_api):
    plan = PlanFactory()
    CompanyFactory(name="Planned", plan=plan)
    CompanyFactory(name="Unplanned")
    response = tech_api.get(f"/api/companies?plan={plan.pk}")
    assert [c["name"] for c in rows(response)] == ["Planned"]


def test_company_bad_filter_is_400(tech_api):
    assert tech_api.get("/api/companies?kind=alien").status_code == 400
    assert tech_api.get("/api/companies?account_number=abc").status_code == 400


def test_company_users_action(tech_api, portal_user_for):
    company = CompanyFactory(account_number=222333)
    user = portal_user_for(company, username="alice")
    portal_user_for(CompanyFactory(), username="bob")
    response = tech_api.get("/api/companies/222333/users")
    assert response.status_code == 200
    assert [(u["username"], u["permission_level"]) for u in rows(response)] == [
        ("alice", "client")
    ]
    assert rows(response)[0]["email"] == user.email


def test_company_users_action_ignores_list_filters(tech_api, portal_user_for):
    company = CompanyFactory(account_number=222333, name="Acme")
    portal_user_for(company, username="alice")
    response = tech_api.get("/api/companies/222333/users?search=zzz")
    assert response.status_code == 200
    assert len(rows(response)) == 1


def test_company_locations_action(tech_api):
    company = CompanyFactory(account_number=222333)
    LocationFactory(company=company, name="HQ")
    LocationFactory(name="Elsewhere")
    response = tech_api.get("/api/companies/222333/locations")
    assert [loc["name"] for loc in rows(response)] == ["HQ"]


def test_company_credits_action(tech_api):
    company = CompanyFactory(account_number=222333)
    purchase_credits(company, amount=Decimal("10"))
    deduct_credits(company, amount=Decimal("4"))
    purchase_credits(CompanyFactory(), amount=Decimal("99"))
    response = tech_api.get("/api/companies/222333/credits/")
    assert response.status_code == 200
    assert [(t["kind"], t["amount"]) for t in rows(response)] == [
        ("deduction", "-4.00"),
        ("purchase", "10.00"),
    ]
    detail = tech_api.get("/api/companies/222333").json()
    assert detail["credit_balance"] == "6.00"


# -------------------------------------------------------------------- billing summary


def test_billing_summary_shape(billing_api, portal_user_for):
    plan = PlanFactory(name="Managed Pro")
    PlanFeature.objects.create(plan=plan, key="backup", value="1 TB")
    PlanFeature.objects.create(plan=plan, key="support", value="8x5")
    company = CompanyFactory(
        name="Acme",
        account_number=222333,
        plan=plan,
        main_phone="210",
        domains=["acme.test"],
    )
    CompanyFeatureOverride.objects.create(company=company, key="support", value="24x7")
    CompanyFeatureOverride.objects.create(
        company=company, key="backup", value="5 TB", enabled=False
    )
    AssetFactory(
        company=company, hostname="PC-1", hardware_type="Laptop", operating_system="W11"
    )
    portal_user_for(company, username="alice", email="alice@acme.test")
    response = billing_api.get("/api/billing_summary")
    assert response.status_code == 200, response.content
    assert rows(response) == [
        {
            "account_number": 222333,
            "name": "Acme",
            "plan_selected": "Managed Pro",
            "company_main_number": "210",
            "domains": ["acme.test"],
            "features": {"backup": "1 TB", "support": "24x7"},
            "credit_balance": None,
            "assets": [
                {
                    "hostname": "PC-1",
                    "hardware_type": "Laptop",
                    "operating_system": "W11",
                }
            ],
            "users": [{"username": "alice", "email": "alice@acme.test"}],
        }
    ]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ADMIN, 200),
        (Role.TECHNICIAN, 200),
        (Role.BILLING, 200),
        (Role.OPERATOR, 403),
    ],
)
def test_billing_summary_roles(make_user, api_for, role, status):
    assert api_for(make_user(role)).get("/api/billing_summary/").status_code == status


def test_billing_summary_refused_to_clients(portal_api_for):
    assert (
        portal_api_for(CompanyFactory()).get("/api/billing_summary").status_code == 403
    )


def test_billing_summary_anonymous(api_client):
    assert api_client.get("/api/billing_summary").status_code in (401, 403)


# --------------------------------------------------------------------------- plans


def test_plan_crud_with_features(admin_api):
    response = admin_api.post(
        "/api/plans",
        {
            "name": "Gold",
            "monthly_price": "99.00",
            "features": [{"key": "backup", "value": "1 TB"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    plan_id = response.json()["id"]
    response = admin_api.patch(
        f"/api/plans/{plan_id}",
        {"features": [{"key": "support", "value": "24x7"}]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["features"] == [{"key": "support", "value": "24x7"}]
    assert list(Plan.objects.get().features.values_list("key", flat=True)) == [
        "support"
    ]


def test_plan_duplicate_feature_is_400(admin_api):
    response = admin_api.post(
        "/api/plans",
        {"name": "Gold", "features": [{"key": "a"}, {"key": "a"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "features" in response.json()


def test_plan_patch_with_a_feature_without_key_is_400(admin_api):
    """A PATCH validates nested features partially; a feature without its key
    used to raise KeyError (a 500, found by contract fuzzing)."""
    plan = PlanFactory(name="Gold")
    response = admin_api.patch(
        f"/api/plans/{plan.pk}", {"features": [{"value": "1 TB"}]}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "key" in response.json()["features"][0]
    assert not plan.features.exists()


def test_plan_read_only_for_technicians(tech_api):
    PlanFactory(name="Gold")
    assert tech_api.get("/api/plans").status_code == 200
    assert tech_api.post("/api/plans", {"name": "X"}, format="json").status_code == 403


# ------------------------------------------------------------------------ locations


def test_location_create_and_list(tech_api):
    CompanyFactory(account_number=222333)
    response = tech_api.post(
        "/api/locations",
        {"company_account_number": 222333, "name": "HQ", "address": "Main St 1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["company"]["account_number"] == 222333
    response = tech_api.get("/api/locations?account_number=222333")
    assert [loc["name"] for loc in rows(response)] == ["HQ"]


def test_location_duplicate_name_is_400(tech_api):
    company = CompanyFactory(account_number=222333)
    LocationFactory(company=company, name="HQ")
    response = tech_api.post(
        "/api/locations",
        {"company_account_number": 222333, "name": "HQ"},
        format="json",
    )
    assert response.status_code == 400
    assert "name" in response.json()


def test_location_unknown_company_is_400(tech_api):
    response = tech_api.post(
        "/api/locations",
        {"company_account_number": 999999, "name": "HQ"},
        format="json",
    )
    assert response.status_code == 400
    assert "company_account_number" in response.json()


# -------------------------------------------------------------------------- ledger


def test_credit_transaction_create_by_billing(billing_api):
    company = CompanyFactory(account_number=222333)
    response = billing_api.post(
        "/api/credit-transactions",
        {
            "company_account_number": 222333,
            "kind": "purchase",
            "amount": "12.50",
            "note": "10h pack",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["balance_after"] == "12.50"
    assert body["company"]["account_number"] == 222333
    assert body["actor"]
    response = billing_api.post(
        "/api/credit-transactions/",
        {"company_account_number": 222333, "kind": "deduction", "amount": "2.50"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["amount"] == "-2.50"
    assert CreditAccount.objects.get(company=company).balance == Decimal("10.00")


def test_credit_transaction_adjustment_is_signed(admin_api):
    company = CompanyFactory(account_number=222333)
    purchase_credits(company, amount=Decimal("5"))
    response = admin_api.post(
        "/api/credit-transactions",
        {"company_account_number": 222333, "kind": "adjustment", "amount": "-1.25"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["balance_after"] == "3.75"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "deduction", "amount": "1"}, "amount"),  # balance is zero
        ({"kind": "purchase", "amount": "0"}, "amount"),
        ({"kind": "purchase", "amount": "-3"}, "amount"),
        ({"kind": "purchase", "amount": "1.234"}, "amount"),
        ({"kind": "purchase", "amount": "abc"}, "amount"),
        ({"kind": "adjustment", "amount": "0"}, "amount"),
        ({"kind": "gift", "amount": "1"}, "kind"),
        ({"kind": "purchase"}, "amount"),
        (
            {"kind": "purchase", "amount": "1", "allow_overdraft": True},
            "allow_overdraft",
        ),
    ],
)
def test_credit_transaction_bad_input_is_400(billing_api, payload, field):
    CompanyFactory(account_number=222333)
    response = billing_api.post(
        "/api/credit-transactions",
        {"company_account_number": 222333, **payload},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not CreditTransaction.objects.exists()


def test_credit_transaction_unknown_company_is_400(billing_api):
    response = billing_api.post(
        "/api/credit-transactions",
        {"company_account_number": 999999, "kind": "purchase", "amount": "1"},
        format="json",
    )
    assert response.status_code == 400
    assert "company_account_number" in response.json()


def test_credit_transaction_overdraft_override(admin_api):
    CompanyFactory(account_number=222333)
    response = admin_api.post(
        "/api/credit-transactions",
        {
            "company_account_number": 222333,
            "kind": "deduction",
            "amount": "3",
            "allow_overdraft": True,
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["balance_after"] == "-3.00"


def test_credit_transaction_create_refused_to_technician(tech_api):
    CompanyFactory(account_number=222333)
    response = tech_api.post(
        "/api/credit-transactions",
        {"company_account_number": 222333, "kind": "purchase", "amount": "1"},
        format="json",
    )
    assert response.status_code == 403


def test_credit_transactions_cannot_be_changed(admin_api):
    company = CompanyFactory()
    tx = purchase_credits(company, amount=Decimal("5"))
    assert admin_api.delete(f"/api/credit-transactions/{tx.pk}").status_code == 405
    assert (
        admin_api.patch(
            f"/api/credit-transactions/{tx.pk}", {"amount": "9"}, format="json"
        ).status_code
        == 405
    )


def test_credit_transaction_filters(tech_api):
    a = CompanyFactory(account_number=222333)
    b = CompanyFactory(account_number=222444)
    purchase_credits(a, amount=Decimal("5"), reference="inv-1")
    deduct_credits(a, amount=Decimal("1"), reference="time-entry:9")
    purchase_credits(b, amount=Decimal("7"))
    assert (
        len(rows(tech_api.get("/api/credit-transactions?account_number=222333"))) == 2
    )
    assert len(rows(tech_api.get(f"/api/credit-transactions?company={b.pk}"))) == 1
    got = rows(tech_api.get("/api/credit-transactions?kind=deduction"))
    assert [t["reference"] for t in got] == ["time-entry:9"]
    got = rows(tech_api.get("/api/credit-transactions?search=inv-1"))
    assert [t["reference"] for t in got] == ["inv-1"]


def test_credit_accounts_list_and_settings(admin_api, tech_api):
    company = CompanyFactory(account_number=222333)
    purchase_credits(company, amount=Decimal("1"))
    purchase_credits(CompanyFactory(), amount=Decimal("50"))
    response = tech_api.get("/api/credit-accounts?low=true")
    assert [a["company"]["account_number"] for a in rows(response)] == [222333]
    account = CreditAccount.objects.get(company=company)
    response = tech_api.patch(
        f"/api/credit-accounts/{account.pk}", {"allow_overdraft": True}, format="json"
    )
    assert response.status_code == 403
    response = admin_api.patch(
        f"/api/credit-accounts/{account.pk}",
        {"allow_overdraft": True, "balance": "1000"},
        format="json",
    )
    assert response.status_code == 200
    account.refresh_from_db()
    assert account.allow_overdraft is True
    assert account.balance == Decimal("1")  # read-only: only the ledger moves it


# ------------------------------------------------------------------------ suppliers


def test_suppliers_force_kind(tech_api):
    CompanyFactory(name="Client Co")
    response = tech_api.post(
        "/api/suppliers", {"name": "Parts Ltd", "kind": "client"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "supplier"
    assert [c["name"] for c in rows(tech_api.get("/api/suppliers"))] == ["Parts Ltd"]
    number = body["account_number"]
    response = tech_api.patch(
        f"/api/suppliers/{number}", {"kind": "client", "notes": "x"}, format="json"
    )
    assert response.status_code == 200
    assert Company.objects.get(account_number=number).kind == "supplier"


def test_supplier_endpoint_hides_clients(tech_api):
    CompanyFactory(account_number=222333)
    assert tech_api.get("/api/suppliers/222333").status_code == 404


def test_supplier_delete(admin_api):
    CompanyFactory(account_number=222333, kind="supplier")
    assert admin_api.delete("/api/suppliers/222333").status_code == 204


# ---------------------------------------------------------------------- role matrix


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (Role.ADMIN, 200, 201),
        (Role.TECHNICIAN, 200, 201),
        (Role.MANAGER, 200, 201),
        (Role.BILLING, 200, 403),
        (Role.OPERATOR, 403, 403),
    ],
)
def test_company_role_matrix(make_user, api_for, role, read, write):
    api = api_for(make_user(role))
    CompanyFactory()
    assert api.get("/api/companies").status_code == read
    response = api.post("/api/companies", {"name": "New"}, format="json")
    assert response.status_code == write


def test_anonymous_is_refused(api_client):
    CompanyFactory(account_number=222333)
    for path in (
        "/api/companies",
        "/api/companies/222333",
        "/api/plans",
        "/api/locations",
        "/api/credit-accounts",
        "/api/credit-transactions",
        "/api/suppliers",
    ):
        assert api_client.get(path).status_code in (401, 403), path


# ---------------------------------------------------------------- query counts (R14)


def _assert_constant_queries(api, path, make_rows, django_assert_max_num_queries):
    make_rows(2)
    with CaptureQueriesContext(connection) as few:
        response = api.get(path)
    assert response.status_code == 200
    make_rows(5)
    with django_assert_max_num_queries(len(few)):
        response = api.get(path)
    assert len(rows(response)) >= 7


def _companies(n):
    plan = PlanFactory(name="Q plan")
    PlanFeature.objects.get_or_create(plan=plan, key="backup")
    for _ in range(n):
        company = CompanyFactory(plan=plan)
        purchase_credits(company, amount=Decimal("3"))
        AssetFactory(company=company)
        LocationFactory(company=company)
        CompanyFeatureOverride.objects.create(company=company, key="x", value="y")


@pytest.mark.parametrize(
    "path",
    [
        "/api/companies",
        "/api/suppliers",
        "/api/billing_summary",
        "/api/locations",
        "/api/credit-accounts",
        "/api/credit-transactions",
        "/api/plans",
    ],
)
def test_list_queries_do_not_grow(admin_api, path, django_assert_max_num_queries):
    def make(n):
        _companies(n)
        for i in range(n):
            CompanyFactory(kind="supplier")
            plan = Plan.objects.create(name=f"P{Plan.objects.count()}-{i}")
            PlanFeature.objects.create(plan=plan, key="a")

    _assert_constant_queries(admin_api, path, make, django_assert_max_num_queries)


def test_company_action_queries_do_not_grow(
    admin_api, portal_user_for, django_assert_max_num_queries
):
    company = CompanyFactory(account_number=222333)

    def make(n):
        for _ in range(n):
            portal_user_for(company)
            LocationFactory(company=company)
            purchase_credits(company, amount=Decimal("1"))

    for sub in ("users", "locations", "credits"):
        make(2)
        with CaptureQueriesContext(connection) as few:
            assert admin_api.get(f"/api/companies/222333/{sub}").status_code == 200
        make(5)
        with django_assert_max_num_queries(len(few)):
            admin_api.get(f"/api/companies/222333/{sub}")


def test_contact_link_blocks_delete_via_api(admin_api):
    company = CompanyFactory(account_number=222333)
    ContactFactory().companies.add(company)
    response = admin_api.delete("/api/companies/222333")
    assert response.status_code == 409
    assert "contacts" in response.json()["detail"]
    assert Location.objects.count() == 0


# ---------------------------------------------------------- contacts/assets actions


def test_company_contacts_action(tech_api):
    company = CompanyFactory(account_number=222333)
    ContactFactory(companies=[company], name="Ann", email="ann@acme.test")
    ContactFactory(companies=[CompanyFactory()], name="Other")
    response = tech_api.get("/api/companies/222333/contacts")
    assert response.status_code == 200, response.content
    got = rows(response)
    assert [c["email"] for c in got] == ["ann@acme.test"]
    assert got[0]["company_account_numbers"] == [222333]


def test_company_assets_action(tech_api):
    company = CompanyFactory(account_number=222333)
    AssetFactory(company=company, hostname="ACME-1")
    AssetFactory(hostname="OTHER-1")
    response = tech_api.get("/api/companies/222333/assets/")
    assert response.status_code == 200, response.content
    assert [a["hostname"] for a in rows(response)] == ["ACME-1"]
    assert rows(response)[0]["company_account_number"] == 222333


def test_company_related_actions_need_their_permissions(make_user, api_for):
    from django.contrib.auth.models import Permission

    CompanyFactory(account_number=222333)
    user = make_user()
    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="companies", codename="view_company"
        )
    )
    api = api_for(user)
    assert api.get("/api/companies/222333").status_code == 200
    for sub in ("assets", "contacts", "locations", "credits"):
        assert api.get(f"/api/companies/222333/{sub}").status_code == 403, sub
    assert api.get("/api/companies/222333/users").status_code == 200


def test_company_contact_asset_action_queries_do_not_grow(
    admin_api, django_assert_max_num_queries
):
    company = CompanyFactory(account_number=222333)

    def make(n):
        for _ in range(n):
            ContactFactory(companies=[company, CompanyFactory()])
            AssetFactory(company=company, location=LocationFactory(company=company))

    for sub in ("contacts", "assets"):
        make(2)
        with CaptureQueriesContext(connection) as few:
            assert admin_api.get(f"/api/companies/222333/{sub}").status_code == 200
        make(5)
        with django_assert_max_num_queries(len(few)):
            admin_api.get(f"/api/companies/222333/{sub}")


# ------------------------------------------------------------------ fast read path


def test_fast_representation_matches_drf(rf, admin_user):
    from rest_framework.request import Request

    from companies.api.serializers import (
        CompanyBriefSerializer,
        CompanySerializer,
        CreditAccountSerializer,
        CreditTransactionSerializer,
        LocationSerializer,
        PlanBriefSerializer,
        SupplierSerializer,
    )
    from nexus.representation import FastRepresentationMixin

    plan = PlanFactory(name="Gold")
    full = CompanyFactory(
        plan=plan,
        domains=["a.test"],
        freshservice_id=9000000001,
        start_date="2025-01-02",
        portal_url="https://portal.test/x",
    )
    bare = CompanyFactory()
    purchase_credits(full, amount=Decimal("3.5"))
    deduct_credits(full, amount=Decimal("1.25"), reference="t-1")
    location = LocationFactory(company=full)
    request = Request(rf.get("/api/companies"))
    request.user = admin_user
    context = {"request": request}
    companies = list(Company.objects.for_api().filter(pk__in=[full.pk, bare.pk]))
    cases = [
        (CompanySerializer, companies),
        (SupplierSerializer, companies),
        (CompanyBriefSerializer, companies),
        (PlanBriefSerializer, [plan]),
        (LocationSerializer, list(Location.objects.for_api())),
        (CreditAccountSerializer, list(CreditAccount.objects.for_api())),
        (CreditTransactionSerializer, list(CreditTransaction.objects.for_api())),
    ]
    assert location
    for serializer_class, instances in cases:
        for instance in instances:
            serializer = serializer_class(context=context)
            fast = serializer.to_representation(instance)
            drf = super(FastRepresentationMixin, serializer_class(context=context))
            assert fast == drf.to_representation(instance), serializer_class


def test_technician_put_with_unchanged_number_is_allowed(tech_api):
    """The seed's Freshservice sync PUTs whole rows, account number included."""
    CompanyFactory(account_number=222333, name="Old")
    response = tech_api.put(
        "/api/companies/222333",
        {"account_number": 222333, "name": "New"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["name"] == "New"


@pytest.mark.parametrize(
    "path",
    [
        "/api/companies",
        "/api/companies/222333",
        "/api/suppliers",
        "/api/locations",
        "/api/plans",
        "/api/credit-transactions",
        "/api/credit-accounts",
        "/api/billing_summary",
        "/api/companies/222333/credits",
    ],
)
def test_browsable_api_renders(admin_user, client, path):
    company = CompanyFactory(account_number=222333)
    purchase_credits(company, amount=Decimal("1"))
    client.force_login(admin_user)
    response = client.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"<html" in response.content


def test_schema_marks_company_plan_nullable(admin_api):
    """A company without a plan serialises `plan: null`; the schema must allow it."""
    schema = admin_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    plan = schema["components"]["schemas"]["Company"]["properties"]["plan"]
    assert (
        plan.get("nullable")
        or {"type": "null"} in plan.get("oneOf", [])
        or any("nullable" in part for part in plan.get("allOf", []))
    ), plan
