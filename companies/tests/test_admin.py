import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role
from assets.tests.factories import AssetFactory
from companies.models import (
    Company,
    CreditAccount,
    CreditTransaction,
    IssuedAccountNumber,
    Location,
)
from companies.resources import CompanyResource
from companies.services import purchase_credits

from .factories import CompanyFactory, LocationFactory, PlanFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:companies_company_changelist"

COMPANY_FIELDS = [f"companyresource_{name}" for name in CompanyResource.Meta.fields]


def test_company_changelist_search_and_filters(staff_client):
    CompanyFactory(name="Acme", account_number=300001)
    CompanyFactory(name="Bolt", account_number=300002, kind="supplier")
    url = reverse(CHANGELIST)
    response = staff_client.get(url)
    assert response.status_code == 200
    assert b"Acme" in response.content and b"Bolt" in response.content
    response = staff_client.get(url, {"q": "300002"})
    assert b"Bolt" in response.content and b"Acme" not in response.content
    response = staff_client.get(url, {"kind__exact": "supplier"})
    assert b"Bolt" in response.content and b"Acme" not in response.content


@pytest.mark.parametrize(
    "name",
    [
        "admin:companies_company_changelist",
        "admin:companies_location_changelist",
        "admin:companies_rmmsitelink_changelist",
        "admin:companies_plan_changelist",
        "admin:companies_creditaccount_changelist",
        "admin:companies_credittransaction_changelist",
        "admin:companies_issuedaccountnumber_changelist",
    ],
)
def test_changelist_queries_do_not_grow(
    staff_client, name, django_assert_max_num_queries
):
    def make(n):
        for _ in range(n):
            company = CompanyFactory(plan=PlanFactory())
            LocationFactory(company=company)
            company.rmm_sites.create(site_uid=f"uid-{company.pk}", site_name="Site")
            purchase_credits(company, amount=Decimal("1"))
            IssuedAccountNumber.objects.get_or_create(number=company.account_number)

    make(2)
    url = reverse(name)
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(url).status_code == 200
    make(5)
    with django_assert_max_num_queries(len(few)):
        assert staff_client.get(url).status_code == 200


def test_company_change_page_shows_inlines_and_ledger(staff_client):
    company = CompanyFactory(name="Acme")
    LocationFactory(company=company, name="HQ")
    purchase_credits(company, amount=Decimal("7.5"), reference="inv-77")
    response = staff_client.get(
        reverse("admin:companies_company_change", args=[company.pk])
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "HQ" in content
    assert "inv-77" in content
    assert "7.50" in content
    history = staff_client.get(
        reverse("admin:companies_company_history", args=[company.pk])
    )
    assert history.status_code == 200


def test_admin_add_company_generates_number(staff_client):
    response = staff_client.post(
        reverse("admin:companies_company_add"),
        {
            "name": "Fresh Co",
            "account_number": "",
            "kind": "client",
            "status": "active",
            "domains": "[]",
            **_empty_inlines(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    company = Company.objects.get(name="Fresh Co")
    assert 100000 <= company.account_number <= 999999
    assert IssuedAccountNumber.objects.filter(number=company.account_number).exists()


def test_admin_add_company_duplicate_number_shows_error(staff_client):
    CompanyFactory(account_number=424242)
    response = staff_client.post(
        reverse("admin:companies_company_add"),
        {
            "name": "Dup",
            "account_number": "424242",
            "kind": "client",
            "status": "active",
            "domains": "[]",
            **_empty_inlines(),
        },
    )
    assert response.status_code == 200
    assert "account_number" in response.context["adminform"].form.errors


def _empty_inlines():
    data = {}
    for prefix in (
        "locations",
        "rmm_sites",
        "feature_overrides",
        "Contact_companies",
    ):
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    return data


# -------------------------------------------------------------------------- delete


def test_admin_delete_refused_with_readable_message(staff_client):
    company = CompanyFactory(name="Busy Co")
    AssetFactory(company=company)
    url = reverse("admin:companies_company_delete", args=[company.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert "Busy Co: 1 asset" in response.content.decode()
    response = staff_client.post(url, {"post": "yes"})
    assert response.status_code == 200  # the refusal page again, nothing deleted
    assert Company.objects.filter(pk=company.pk).exists()


def test_admin_bulk_delete_refuses_busy_companies(staff_client, portal_user_for):
    busy = CompanyFactory(name="Busy Co")
    portal_user_for(busy)
    idle = CompanyFactory(name="Idle Co")
    response = staff_client.post(
        reverse(CHANGELIST),
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [busy.pk, idle.pk],
            "post": "yes",
        },
    )
    assert response.status_code == 200
    assert "Busy Co: 1 user" in response.content.decode()
    assert Company.objects.count() == 2


def test_admin_delete_allowed_for_idle_company(staff_client):
    company = CompanyFactory()
    response = staff_client.post(
        reverse("admin:companies_company_delete", args=[company.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Company.objects.exists()


# ------------------------------------------------------------------- adjust credits


def test_adjust_credits_action_shows_form_then_records(staff_client):
    a = CompanyFactory(name="A Co")
    b = CompanyFactory(name="B Co")
    url = reverse(CHANGELIST)
    response = staff_client.post(
        url, {"action": "adjust_credits", ACTION_CHECKBOX_NAME: [a.pk, b.pk]}
    )
    assert response.status_code == 200
    assert b"Adjust credits" in response.content
    response = staff_client.post(
        url,
        {
            "action": "adjust_credits",
            ACTION_CHECKBOX_NAME: [a.pk, b.pk],
            "apply": "1",
            "kind": "purchase",
            "amount": "10",
            "reference": "inv-9",
            "note": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Credits recorded for 2 companies." in response.content.decode()
    assert CreditAccount.objects.get(company=a).balance == Decimal("10")
    assert CreditTransaction.objects.filter(reference="inv-9").count() == 2


def test_adjust_credits_action_reports_refusals(staff_client):
    a = CompanyFactory(name="Poor Co")
    response = staff_client.post(
        reverse(CHANGELIST),
        {
            "action": "adjust_credits",
            ACTION_CHECKBOX_NAME: [a.pk],
            "apply": "1",
            "kind": "deduction",
            "amount": "5",
        },
        follow=True,
    )
    assert "Not enough credit" in response.content.decode()
    assert not CreditTransaction.objects.exists()


def test_adjust_credits_action_bad_input_shows_form_errors(staff_client):
    a = CompanyFactory()
    response = staff_client.post(
        reverse(CHANGELIST),
        {
            "action": "adjust_credits",
            ACTION_CHECKBOX_NAME: [a.pk],
            "apply": "1",
            "kind": "purchase",
            "amount": "-5",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert not CreditTransaction.objects.exists()


def test_adjust_credits_action_hidden_without_permission(make_user, client):
    client.force_login(make_user(Role.TECHNICIAN))
    CompanyFactory()
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert b"adjust_credits" not in response.content


# -------------------------------------------------------------------- ledger admin


def test_credit_transactions_are_read_only(staff_client):
    tx = purchase_credits(CompanyFactory(), amount=Decimal("1"))
    assert (
        staff_client.get(reverse("admin:companies_credittransaction_add")).status_code
        == 403
    )
    response = staff_client.post(
        reverse("admin:companies_credittransaction_change", args=[tx.pk]),
        {"amount": "999"},
    )
    assert response.status_code == 403
    tx.refresh_from_db()
    assert tx.amount == Decimal("1")


# ------------------------------------------------------------------ import / export


def _csv(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("companies.csv", text.encode(), content_type="text/csv")


def test_import_dry_run_shows_row_errors_and_writes_nothing(staff_client):
    PlanFactory(name="Gold")
    csv_text = (
        "account_number,name,kind,status,plan,domains\n"
        "500001,Good Co,client,active,Gold,good.test; www.good.test\n"
        "500002,Bad Co,alien,active,,\n"
        ",Generated Co,supplier,active,,\n"
    )
    response = staff_client.post(
        reverse("admin:companies_company_import"),
        {"resource": "0", "format": "0", "import_file": _csv(csv_text)},
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert result.has_validation_errors()
    invalid = result.invalid_rows
    assert len(invalid) == 1
    assert "kind" in invalid[0].error_dict
    assert not Company.objects.exists()  # dry run only


def test_import_valid_file_preview_then_confirm(staff_client):
    PlanFactory(name="Gold")
    existing = CompanyFactory(account_number=500003, name="Old name")
    csv_text = (
        "account_number,name,kind,status,plan,domains\n"
        "500001,Good Co,client,active,Gold,good.test; www.good.test\n"
        ",Generated Co,supplier,active,,\n"
        "500003,New name,client,active,,\n"
    )
    response = staff_client.post(
        reverse("admin:companies_company_import"),
        {"resource": "0", "format": "0", "import_file": _csv(csv_text)},
    )
    assert response.status_code == 200
    assert not response.context["result"].has_errors()
    assert not response.context["result"].has_validation_errors()
    assert Company.objects.count() == 1  # still a preview
    confirm = response.context["confirm_form"]
    response = staff_client.post(
        reverse("admin:companies_company_process_import"),
        {name: confirm.initial.get(name, "") for name in confirm.fields},
    )
    assert response.status_code == 302
    good = Company.objects.get(account_number=500001)
    assert good.plan.name == "Gold"
    assert good.domains == ["good.test", "www.good.test"]
    generated = Company.objects.get(name="Generated Co")
    assert 100000 <= generated.account_number <= 999999
    assert generated.kind == "supplier"
    existing.refresh_from_db()
    assert existing.name == "New name"
    assert IssuedAccountNumber.objects.filter(number=500001).exists()
    assert IssuedAccountNumber.objects.filter(number=generated.account_number).exists()


def _export(staff_client, companies, file_format: str):
    url = reverse(CHANGELIST)
    response = staff_client.post(
        url,
        {
            "action": "export_admin_action",
            ACTION_CHECKBOX_NAME: [c.pk for c in companies],
        },
    )
    assert response.status_code == 200
    return staff_client.post(
        reverse("admin:companies_company_export"),
        {
            "format": file_format,
            "resource": "0",
            "export_items": [c.pk for c in companies],
            **dict.fromkeys(COMPANY_FIELDS, "on"),
        },
    )


def test_export_selected_csv_escapes_formulas(staff_client):
    a = CompanyFactory(name="=HYPERLINK(1)", account_number=600001, domains=["a.test"])
    CompanyFactory(name="Not selected", account_number=600002)
    response = _export(staff_client, [a], "0")
    assert response.status_code == 200
    body = response.content.decode()
    assert "600001" in body
    assert "Not selected" not in body
    assert "=HYPERLINK" not in body.replace("'=HYPERLINK", "")
    assert "a.test" in body


def test_export_selected_xlsx(staff_client):
    a = CompanyFactory(name="Acme", account_number=600001)
    response = _export(staff_client, [a], "1")
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    values = [c.value for c in next(workbook.active.iter_rows(min_row=2, max_row=2))]
    assert "Acme" in values


def test_location_admin_add_and_search(staff_client):
    company = CompanyFactory(name="Acme")
    LocationFactory(company=company, name="Depot")
    response = staff_client.get(
        reverse("admin:companies_location_changelist"), {"q": "Acme"}
    )
    assert b"Depot" in response.content
    response = staff_client.post(
        reverse("admin:companies_location_add"),
        {"company": company.pk, "name": "HQ", "address": "", "phone": "", "notes": ""},
    )
    assert response.status_code == 302
    assert Location.objects.filter(name="HQ").exists()


def test_company_autocomplete_for_other_admins(staff_client):
    CompanyFactory(name="Acme")
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "companies",
            "model_name": "location",
            "field_name": "company",
            "term": "Acm",
        },
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["text"] == "Acme"


def test_admin_delete_company_with_empty_credit_account(staff_client):
    company = CompanyFactory()
    CreditAccount.objects.create(company=company, allow_overdraft=True)
    response = staff_client.post(
        reverse("admin:companies_company_delete", args=[company.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Company.objects.exists()


def test_admin_delete_credit_account_with_ledger_is_protected(staff_client):
    company = CompanyFactory()
    purchase_credits(company, amount=Decimal("1"))
    account = CreditAccount.objects.get(company=company)
    response = staff_client.post(
        reverse("admin:companies_creditaccount_delete", args=[account.pk]),
        {"post": "yes"},
    )
    assert response.status_code == 200  # Django lists the protected ledger rows
    assert CreditAccount.objects.filter(pk=account.pk).exists()


def test_import_and_adjust_permissions_follow_roles(make_user, client):
    CompanyFactory()
    billing = make_user(Role.BILLING)
    client.force_login(billing)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert b"adjust_credits" in response.content
    assert client.get(reverse("admin:companies_company_import")).status_code == 403
    client.force_login(make_user(Role.TECHNICIAN))
    assert client.get(reverse("admin:companies_company_import")).status_code == 200
