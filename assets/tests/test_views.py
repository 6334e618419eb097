import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from companies.tests.factories import CompanyFactory
from contacts.tests.factories import ContactFactory

from .factories import AssetFactory, LicenceAssignmentFactory, LicenceFactory

pytestmark = pytest.mark.django_db


def test_asset_list_page_filters_and_paginates(staff_client):
    company = CompanyFactory(account_number=500001)
    AssetFactory.create_batch(55, company=company, online=True)
    AssetFactory(hostname="LONELY", online=False, operating_system="Ubuntu")
    page = staff_client.get("/assets/")
    assert page.status_code == 200
    assert "Page 1 of 2" in page.content.decode()
    assert "LONELY" in staff_client.get("/assets/?online=false").content.decode()
    assert "LONELY" not in staff_client.get("/assets/?online=true").content.decode()
    body = staff_client.get("/assets/?operating_system=ubuntu").content.decode()
    assert "LONELY" in body and "HOST-" not in body
    body = staff_client.get("/assets/?company_account_number=500001&page=2").content
    assert "Page 2 of 2" in body.decode()
    assert staff_client.get("/assets/?search=lonely").content.decode().count("LONELY")


def test_bad_filter_shows_error_not_500(staff_client):
    AssetFactory()
    response = staff_client.get("/assets/?status=lost&company=abc")
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_asset_detail_shows_fields_licences_and_history(staff_client):
    asset = AssetFactory(hostname="DETAIL-1", serial_number="SER-42")
    asset.notes = "changed"
    asset.save()
    seat = LicenceAssignmentFactory(
        licence=LicenceFactory(company=asset.company), asset=asset
    )
    contact = ContactFactory(companies=[asset.company])
    contact.assets.add(asset)
    body = staff_client.get(f"/assets/{asset.pk}/").content.decode()
    assert "SER-42" in body
    assert str(seat.licence.software) in body
    assert contact.name in body
    assert "Changed" in body or "changed" in body.lower()


def test_asset_export_csv(staff_client):
    AssetFactory(hostname="CSV-1")
    response = staff_client.get("/assets/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "CSV-1" in response.content.decode()


def test_licence_page_shows_seats(staff_client):
    licence = LicenceFactory(seats=4, licence_key="SECRET-KEY-9999")
    LicenceAssignmentFactory(licence=licence)
    body = staff_client.get("/assets/licences/").content.decode()
    assert "1 / 4" in body
    assert "SECRET-KEY-9999" not in body and "9999" in body


def test_pages_need_login_and_permission(client, make_user):
    assert client.get("/assets/").status_code == 302
    client.force_login(make_user(Role.OPERATOR))
    assert client.get("/assets/").status_code == 403


@pytest.mark.parametrize(
    ("url", "make"),
    [
        ("/assets/", lambda: AssetFactory()),
        ("/assets/licences/", lambda: LicenceAssignmentFactory()),
        ("/assets/export.csv", lambda: AssetFactory()),
    ],
)
def test_page_queries_do_not_grow(
    staff_client, django_assert_max_num_queries, url, make
):
    for _ in range(2):
        make()
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(url).status_code == 200
    for _ in range(5):
        make()
    with django_assert_max_num_queries(len(few)):
        assert staff_client.get(url).status_code == 200


def test_nav_shows_assets_to_staff_and_portal(staff_client, portal_client_for):
    assert 'href="/assets/"' in staff_client.get("/").content.decode()
    portal = portal_client_for(CompanyFactory())
    assert 'href="/assets/"' in portal.get("/").content.decode()
