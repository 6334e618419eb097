import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers

from assets.api.serializers import AssetSerializer
from assets.choices import AssetStatus
from assets.models import Asset
from companies.tests.factories import CompanyFactory, LocationFactory
from contacts.tests.factories import ContactFactory

from .factories import AssetFactory

pytestmark = pytest.mark.django_db


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_asset_list_has_seed_fields_and_nested_company(tech_api):
    company = CompanyFactory(account_number=123456, name="Acme")
    asset = AssetFactory(company=company, hostname="WS-01", online=True)
    rows = results(tech_api.get("/api/assets"))
    assert rows[0]["id"] == asset.pk
    assert rows[0]["hostname"] == "WS-01"
    assert rows[0]["company_account_number"] == 123456
    assert rows[0]["company"] == {
        "id": company.pk,
        "account_number": 123456,
        "name": "Acme",
    }
    assert rows[0]["url"] == f"http://testserver/api/assets/{asset.pk}"
    # Seed paths work with and without the trailing slash.
    assert tech_api.get(f"/api/assets/{asset.pk}").status_code == 200
    assert tech_api.get("/api/assets/").status_code == 200


def test_fast_representation_matches_drf(rf, technician):
    company = CompanyFactory()
    location = LocationFactory(company=company)
    contact = ContactFactory(companies=[company])
    asset = AssetFactory(
        company=company,
        location=location,
        assigned_contact=contact,
        assigned_user=technician,
        last_seen=timezone.now(),
        last_reboot=timezone.now() - dt.timedelta(days=1),
        warranty_expires=dt.date(2030, 1, 2),
        backup_usage_tb="1.50",
        udfs={"udf1": "x"},
        asset_tag="TAG-1",
        rmm_device_uid="dev-1",
    )
    asset = Asset.objects.for_api().get(pk=asset.pk)
    request = rf.get("/api/assets/")
    request.user = technician
    fast = AssetSerializer(asset, context={"request": request}).data
    # DRF's own Serializer.to_representation over the same declared fields.
    reference = serializers.ModelSerializer.to_representation(
        AssetSerializer(context={"request": request}), asset
    )
    assert dict(fast) == dict(reference)
    assert list(fast) == list(reference) == list(AssetSerializer.Meta.fields)
    assert fast["last_seen"].endswith("Z")
    assert fast["backup_usage_tb"] == "1.50"
    assert fast["location"] == location.pk


def test_create_asset_by_account_number(tech_api):
    company = CompanyFactory(account_number=222333)
    response = tech_api.post(
        "/api/assets",
        {"hostname": "SRV-1", "company_account_number": 222333, "status": "in_stock"},
    )
    assert response.status_code == 201, response.content
    asset = Asset.objects.get(pk=response.json()["id"])
    assert asset.company == company and asset.status == AssetStatus.IN_STOCK
    assert asset.history.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"company_account_number": 222333}, "hostname"),
        ({"hostname": "X"}, "company_account_number"),
        ({"hostname": "X", "company_account_number": 999998}, "company_account_number"),
        ({"hostname": "X", "company_account_number": "abc"}, "company_account_number"),
        (
            {"hostname": "X", "company_account_number": 222333, "status": "lost"},
            "status",
        ),
        (
            {"hostname": "X", "company_account_number": 222333, "last_seen": "soon"},
            "last_seen",
        ),
        ({"hostname": "X", "company_account_number": 222333, "udfs": [1]}, "udfs"),
        (
            {"hostname": "X", "company_account_number": 222333, "location": 999999},
            "location",
        ),
    ],
)
def test_create_asset_bad_input_is_400_with_field(tech_api, payload, field):
    CompanyFactory(account_number=222333)
    response = tech_api.post("/api/assets", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_unknown_account_number_message(tech_api):
    response = tech_api.post(
        "/api/assets", {"hostname": "X", "company_account_number": 999998}
    )
    assert response.json()["company_account_number"] == [
        "No company with account number 999998."
    ]


def test_location_of_another_company_refused(tech_api):
    company = CompanyFactory()
    other_location = LocationFactory()
    response = tech_api.post(
        "/api/assets",
        {
            "hostname": "X",
            "company_account_number": company.account_number,
            "location": other_location.pk,
        },
    )
    assert response.status_code == 400
    assert "location" in response.json()


def test_duplicate_rmm_uid_and_asset_tag_are_400(tech_api):
    AssetFactory(rmm_device_uid="dev-9", asset_tag="T-9")
    company = CompanyFactory()
    for field, value in (("rmm_device_uid", "dev-9"), ("asset_tag", "T-9")):
        response = tech_api.post(
            "/api/assets",
            {
                "hostname": "X",
                "company_account_number": company.account_number,
                field: value,
            },
        )
        assert response.status_code == 400
        assert field in response.json()


def test_blank_asset_tags_do_not_collide(tech_api):
    company = CompanyFactory()
    for name in ("A", "B"):
        response = tech_api.post(
            "/api/assets",
            {
                "hostname": name,
                "company_account_number": company.account_number,
                "asset_tag": "",
            },
        )
        assert response.status_code == 201, response.content


def test_put_patch_delete_asset(tech_api):
    asset = AssetFactory(hostname="OLD")
    other = CompanyFactory()
    response = tech_api.patch(f"/api/assets/{asset.pk}", {"hostname": "NEW"})
    assert response.status_code == 200 and response.json()["hostname"] == "NEW"
    response = tech_api.put(
        f"/api/assets/{asset.pk}",
        {"hostname": "MOVED", "company_account_number": other.account_number},
    )
    assert response.status_code == 200, response.content
    asset.refresh_from_db()
    assert asset.hostname == "MOVED" and asset.company == other
    history = list(asset.history.all())
    assert len(history) == 3
    assert history[0].history_user is not None
    assert tech_api.delete(f"/api/assets/{asset.pk}").status_code == 204
    assert not Asset.objects.filter(pk=asset.pk).exists()
    assert tech_api.get(f"/api/assets/{asset.pk}").status_code == 404


def test_asset_filters(tech_api):
    now = timezone.now()
    acme = CompanyFactory(account_number=400001)
    other = CompanyFactory(account_number=400002)
    a = AssetFactory(
        company=acme,
        hostname="ACME-WS1",
        online=True,
        operating_system="Microsoft Windows 11 Pro",
        last_seen=now - dt.timedelta(days=1),
        warranty_expires=dt.date(2026, 1, 1),
        rmm_device_uid="uid-a",
        status=AssetStatus.IN_USE,
    )
    b = AssetFactory(
        company=other,
        hostname="OTHER-SRV",
        online=False,
        operating_system="Ubuntu 24.04",
        last_seen=now - dt.timedelta(days=30),
        warranty_expires=dt.date(2031, 1, 1),
        status=AssetStatus.RETIRED,
        serial_number="SN-777",
    )

    def ids(query):
        return [row["id"] for row in results(tech_api.get(f"/api/assets?{query}"))]

    assert ids(f"company={acme.pk}") == [a.pk]
    assert ids("company_account_number=400002") == [b.pk]
    assert ids("hostname=acme-ws1") == [a.pk]
    assert ids("status=retired") == [b.pk]
    assert ids("status=retired&status=in_use") == [a.pk, b.pk]
    assert ids("online=true") == [a.pk]
    assert ids("online=false") == [b.pk]
    assert ids("operating_system=windows") == [a.pk]
    since = (now - dt.timedelta(days=7)).isoformat().replace("+00:00", "Z")
    assert ids(f"last_seen_after={since}") == [a.pk]
    assert ids(f"last_seen_before={since}") == [b.pk]
    assert ids("warranty_expires_before=2027-01-01") == [a.pk]
    assert ids("rmm_device_uid=uid-a") == [a.pk]
    assert ids("search=SN-777") == [b.pk]
    assert ids("search=acme") == [a.pk]
    assert ids("ordering=-hostname") == [b.pk, a.pk]
    bad = tech_api.get("/api/assets?last_seen_after=yesterday")
    assert bad.status_code == 400 and "last_seen_after" in bad.json()
    assert tech_api.get("/api/assets?status=lost").status_code == 400


def test_asset_list_queries_do_not_grow(tech_api, django_assert_max_num_queries):
    AssetFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        assert tech_api.get("/api/assets").status_code == 200
    AssetFactory.create_batch(5)
    with django_assert_max_num_queries(len(few)):
        assert len(results(tech_api.get("/api/assets"))) == 7


def test_asset_detail_query_count_is_small(tech_api, django_assert_max_num_queries):
    asset = AssetFactory()
    with django_assert_max_num_queries(4):
        assert tech_api.get(f"/api/assets/{asset.pk}").status_code == 200


def test_client_cannot_write_assets(portal_api_for):
    own = CompanyFactory()
    asset = AssetFactory(company=own)
    api = portal_api_for(own)
    assert api.get(f"/api/assets/{asset.pk}").status_code == 200
    assert (
        api.post(
            "/api/assets",
            {"hostname": "X", "company_account_number": own.account_number},
        ).status_code
        == 403
    )
    assert api.patch(f"/api/assets/{asset.pk}", {"hostname": "Y"}).status_code == 403
    assert api.delete(f"/api/assets/{asset.pk}").status_code == 403


def test_anonymous_gets_401(api_client):
    assert api_client.get("/api/assets").status_code == 401
