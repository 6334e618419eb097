import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from assets.tests.factories import AssetFactory
from companies.tests.factories import CompanyFactory

from .factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_contact_list_search_filter_paginate(staff_client):
    company = CompanyFactory(account_number=700001)
    ContactFactory.create_batch(51, companies=[company])
    ContactFactory(name="Zed Unique", email="zed@example.test", active=False)
    body = staff_client.get("/contacts/").content.decode()
    assert "Page 1 of 2" in body
    assert "Zed Unique" in staff_client.get("/contacts/?search=zed").content.decode()
    assert "Zed Unique" in staff_client.get("/contacts/?active=false").content.decode()
    body = staff_client.get("/contacts/?company_account_number=700001").content
    assert "Zed Unique" not in body.decode()
    response = staff_client.get("/contacts/?kind=boss")
    assert response.status_code == 200 and "errorlist" in response.content.decode()


def test_contact_detail_shows_assets_and_history(staff_client):
    contact = ContactFactory(name="Dora Detail")
    asset = AssetFactory(hostname="DORA-PC")
    contact.assets.add(asset)
    contact.title = "CFO"
    contact.save()
    body = staff_client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "DORA-PC" in body and "CFO" in body and "History" in body


def test_contact_pages_need_permission(client, make_user):
    assert client.get("/contacts/").status_code == 302
    client.force_login(make_user(Role.OPERATOR))
    assert client.get("/contacts/").status_code == 403


@pytest.mark.parametrize("url", ["/contacts/", "/contacts/export.csv"])
def test_contact_pages_queries_do_not_grow(
    staff_client, django_assert_max_num_queries, url
):
    ContactFactory.create_batch(2, companies=[CompanyFactory()])
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(url).status_code == 200
    ContactFactory.create_batch(5, companies=[CompanyFactory(), CompanyFactory()])
    with django_assert_max_num_queries(len(few)):
        assert staff_client.get(url).status_code == 200
