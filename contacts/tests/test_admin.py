import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from companies.tests.factories import CompanyFactory
from contacts.models import Contact
from contacts.resources import ContactResource

from .factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_changelist_queries_do_not_grow(staff_client, django_assert_max_num_queries):
    ContactFactory.create_batch(2, companies=[CompanyFactory()])
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get("/admin/contacts/contact/").status_code == 200
    ContactFactory.create_batch(5, companies=[CompanyFactory(), CompanyFactory()])
    with django_assert_max_num_queries(len(few)):
        assert staff_client.get("/admin/contacts/contact/").status_code == 200


def test_changelist_search_by_company(staff_client):
    company = CompanyFactory(name="Searchable Ltd")
    ContactFactory(name="Found Person", companies=[company])
    ContactFactory(name="Other Person")
    body = staff_client.get("/admin/contacts/contact/?q=Searchable").content.decode()
    assert "Found Person" in body and "Other Person" not in body


def post_import(staff_client, csv: str):
    return staff_client.post(
        "/admin/contacts/contact/import/",
        {
            "import_file": SimpleUploadedFile("contacts.csv", csv.encode()),
            "format": "0",
            "resource": "0",
        },
    )


def test_import_dry_run_reports_bad_rows(staff_client):
    CompanyFactory(account_number=710001)
    csv = (
        "email,name,kind,company_account_numbers\n"
        "good@example.test,Good,client_contact,710001\n"
        "bad-email,Bad,client_contact,710001\n"
        "kind@example.test,Kind,boss,710001\n"
    )
    response = post_import(staff_client, csv)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Some rows failed to validate" in body
    assert "boss" in body and "bad-email" in body
    assert not Contact.objects.exists()


def test_import_confirm_links_companies(staff_client):
    company = CompanyFactory(account_number=710002)
    csv = "email,name,kind,company_account_numbers\nNew@Example.test,New,client_contact,710002\n"
    response = post_import(staff_client, csv)
    form = response.context["confirm_form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    assert (
        staff_client.post("/admin/contacts/contact/process_import/", data).status_code
        == 302
    )
    contact = Contact.objects.get(email="new@example.test")
    assert list(contact.companies.all()) == [company]


def test_export_selected(staff_client):
    contact = ContactFactory(
        email="exp@example.test", companies=[CompanyFactory(account_number=710003)]
    )
    response = staff_client.post(
        "/admin/contacts/contact/",
        {"action": "export_admin_action", "_selected_action": [contact.pk]},
    )
    assert response.status_code == 200
    response = staff_client.post(
        "/admin/contacts/contact/export/",
        {
            "format": "0",
            "resource": "0",
            "export_items": [contact.pk],
            **dict.fromkeys(
                [f"contactresource_{name}" for name in ContactResource.Meta.fields],
                "on",
            ),
        },
    )
    body = response.content.decode()
    assert "exp@example.test" in body and "710003" in body


def test_history_kept_and_visible(staff_client):
    contact = ContactFactory()
    contact.title = "New title"
    contact.save()
    assert contact.history.count() == 2
    response = staff_client.get(f"/admin/contacts/contact/{contact.pk}/history/")
    assert response.status_code == 200
