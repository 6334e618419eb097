import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from companies.tests.factories import CompanyFactory
from contacts.choices import ContactKind
from contacts.models import Contact

from .factories import ContactFactory

pytestmark = pytest.mark.django_db


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_create_contact_with_company_numbers(tech_api):
    a = CompanyFactory(account_number=300001)
    b = CompanyFactory(account_number=300002)
    response = tech_api.post(
        "/api/contacts",
        {
            "name": "Ann Example",
            "email": "Ann@Example.TEST",
            "company_account_numbers": [300002, 300001],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "ann@example.test"
    assert body["company_account_numbers"] == [300001, 300002]
    contact = Contact.objects.get(pk=body["id"])
    assert set(contact.companies.all()) == {a, b}
    assert contact.kind == ContactKind.CLIENT_CONTACT


def test_company_numbers_replace_links_on_put_and_patch(tech_api):
    a, b, c = (CompanyFactory(account_number=n) for n in (310001, 310002, 310003))
    contact = ContactFactory(companies=[a, b])
    response = tech_api.put(
        f"/api/contacts/{contact.pk}",
        {
            "name": contact.name,
            "email": contact.email,
            "company_account_numbers": [c.account_number],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["company_account_numbers"] == [310003]
    assert list(contact.companies.all()) == [c]
    # A write without the field keeps the links; an empty list removes them all.
    tech_api.patch(f"/api/contacts/{contact.pk}", {"title": "CTO"}, format="json")
    assert list(contact.companies.all()) == [c]
    response = tech_api.patch(
        f"/api/contacts/{contact.pk}", {"company_account_numbers": []}, format="json"
    )
    assert response.json()["company_account_numbers"] == []
    assert contact.companies.count() == 0
    assert contact.history.count() >= 3


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "x@example.test"}, "name"),
        ({"name": "X"}, "email"),
        ({"name": "X", "email": "not-an-email"}, "email"),
        (
            {
                "name": "X",
                "email": "x@example.test",
                "company_account_numbers": [999998],
            },
            "company_account_numbers",
        ),
        (
            {"name": "X", "email": "x@example.test", "company_account_numbers": [12]},
            "company_account_numbers",
        ),
        (
            {"name": "X", "email": "x@example.test", "company_account_numbers": "abc"},
            "company_account_numbers",
        ),
        ({"name": "X", "email": "x@example.test", "kind": "boss"}, "kind"),
        (
            {"name": "X", "email": "x@example.test", "secondary_emails": ["nope"]},
            "secondary_emails",
        ),
        ({"name": "X", "email": "x@example.test", "assets": [999999]}, "assets"),
    ],
)
def test_bad_contact_input_is_400(tech_api, payload, field):
    response = tech_api.post("/api/contacts", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_duplicate_email_is_400_case_insensitive(tech_api):
    ContactFactory(email="dup@example.test")
    response = tech_api.post(
        "/api/contacts", {"name": "X", "email": "DUP@example.test"}, format="json"
    )
    assert response.status_code == 400 and "email" in response.json()


def test_unknown_number_message_names_it(tech_api):
    response = tech_api.post(
        "/api/contacts",
        {"name": "X", "email": "x@example.test", "company_account_numbers": [999998]},
        format="json",
    )
    assert response.json()["company_account_numbers"] == [
        "No company with account number 999998."
    ]


def test_contact_filters_and_search(tech_api):
    acme = CompanyFactory(account_number=320001)
    other = CompanyFactory(account_number=320002)
    ann = ContactFactory(name="Ann", email="ann@acme.test", companies=[acme])
    bob = ContactFactory(
        name="Bob",
        email="bob@other.test",
        companies=[other],
        active=False,
        kind=ContactKind.PROFESSIONAL,
        title="Auditor",
    )

    def ids(query):
        return [row["id"] for row in rows(tech_api.get(f"/api/contacts?{query}"))]

    assert ids(f"company={acme.pk}") == [ann.pk]
    assert ids("company_account_number=320002") == [bob.pk]
    assert ids("email=ANN@acme.test") == [ann.pk]
    assert ids("active=false") == [bob.pk]
    assert ids("kind=professional") == [bob.pk]
    assert ids("search=auditor") == [bob.pk]
    assert ids("search=acme") == [ann.pk]
    assert tech_api.get("/api/contacts?kind=boss").status_code == 400


def test_delete_contact(tech_api):
    contact = ContactFactory()
    assert tech_api.delete(f"/api/contacts/{contact.pk}").status_code == 204
    assert tech_api.get(f"/api/contacts/{contact.pk}").status_code == 404


def test_professionals_endpoint_forces_kind(tech_api):
    ContactFactory(name="Client person")
    response = tech_api.post(
        "/api/professionals",
        {"name": "Eve Engineer", "email": "eve@pro.test", "kind": "client_contact"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == ContactKind.PROFESSIONAL
    assert response.json()["url"].endswith(
        f"/api/professionals/{response.json()['id']}"
    )
    listed = rows(tech_api.get("/api/professionals"))
    assert [row["name"] for row in listed] == ["Eve Engineer"]
    client = Contact.objects.get(name="Client person")
    assert tech_api.get(f"/api/professionals/{client.pk}").status_code == 404
    pk = response.json()["id"]
    assert (
        tech_api.patch(f"/api/professionals/{pk}", {"title": "PE"}).status_code == 200
    )
    assert tech_api.delete(f"/api/professionals/{pk}").status_code == 204


@pytest.mark.parametrize("url", ["/api/contacts", "/api/professionals"])
def test_contact_list_queries_do_not_grow(tech_api, django_assert_max_num_queries, url):
    company = CompanyFactory()
    ContactFactory.create_batch(2, companies=[company], kind=ContactKind.PROFESSIONAL)
    with CaptureQueriesContext(connection) as few:
        assert tech_api.get(url).status_code == 200
    ContactFactory.create_batch(
        5, companies=[company, CompanyFactory()], kind=ContactKind.PROFESSIONAL
    )
    with django_assert_max_num_queries(len(few)):
        assert len(rows(tech_api.get(url))) == 7


def test_client_reads_own_contacts_but_cannot_write(portal_api_for):
    own = CompanyFactory()
    mine = ContactFactory(companies=[own])
    api = portal_api_for(own)
    assert [row["id"] for row in rows(api.get("/api/contacts"))] == [mine.pk]
    assert api.patch(f"/api/contacts/{mine.pk}", {"title": "x"}).status_code == 403
    response = api.post(
        "/api/contacts",
        {
            "name": "X",
            "email": "x@example.test",
            "company_account_numbers": [own.account_number],
        },
        format="json",
    )
    assert response.status_code == 403
    assert api.delete(f"/api/contacts/{mine.pk}").status_code == 403
