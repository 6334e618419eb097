"""Asset rows rendered by PostgreSQL (assets.api.sqljson) equal the serializer's.

On PostgreSQL the JSON list and detail use the SQL documents; every response
here is compared with the same request answered by the Python serializer path.
On SQLite the SQL path is unavailable and the API answers from Python.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from assets.api import sqljson
from assets.api.serializers import AssetSerializer
from companies.tests.factories import CompanyFactory, LocationFactory
from contacts.tests.factories import ContactFactory

from .factories import AssetFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


@pytest.fixture
def python_path(monkeypatch):
    """Answer the next requests from the serializer (the reference)."""

    def _switch(enabled: bool):
        if enabled:
            monkeypatch.setattr(sqljson, "available", lambda serializer_class: False)
        else:
            monkeypatch.undo()

    return _switch


def _both(api, path, python_path):
    fast = api.get(path)
    python_path(True)
    slow = api.get(path)
    python_path(False)
    assert fast.status_code == slow.status_code
    return fast, slow


@pytest.fixture
def varied_assets(technician):
    company = CompanyFactory(account_number=345678, name='Ω "Quoted" \\ Co')
    other = CompanyFactory(account_number=456789, name="Other")
    location = LocationFactory(company=company)
    contact = ContactFactory(companies=[company])
    return [
        AssetFactory(
            company=company,
            location=location,
            assigned_contact=contact,
            assigned_user=technician,
            hostname="WS-01",
            name="",  # display falls back to the hostname
            last_seen=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),  # no micros
            last_reboot=dt.datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC),
            last_audit=None,
            warranty_expires=dt.date(2031, 12, 31),
            backup_usage_tb=Decimal("1.50"),
            udfs={"udf1": "x", "nested": {"b": [1, 2.5, None, True]}, "a": "ü"},
            asset_tag="TAG-1",
            rmm_device_uid="dev-1",
            notes='line1\nline2\t"quoted" </script>',
            online=True,
        ),
        AssetFactory(
            company=other,
            hostname="SRV-02",
            name="Main server",
            last_seen=dt.datetime(999, 5, 6, 7, 8, 9, 1, tzinfo=UTC),
            backup_usage_tb=Decimal("0.00"),
            warranty_expires=None,
            udfs={},
        ),
        AssetFactory(company=other, hostname="a-lower", backup_usage_tb=None),
    ]


def test_sql_path_is_used_exactly_on_postgresql():
    expected = connection.vendor == "postgresql"
    assert sqljson.available(AssetSerializer) is expected


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?limit=2",
        "?limit=1&offset=1",
        "?ordering=-last_seen",
        "?ordering=name",
        "?ordering=-warranty_expires&limit=2",
        "?search=WS",
        "?online=true",
        "?offset=10",
    ],
)
def test_list_equals_the_serializer_output(tech_api, varied_assets, python_path, query):
    fast, slow = _both(tech_api, f"/api/assets{query}", python_path)
    assert fast.status_code == 200
    assert fast.json() == slow.json()
    for row in fast.json()["results"]:
        assert list(row) == list(AssetSerializer.Meta.fields)


def test_detail_equals_the_serializer_output(tech_api, varied_assets, python_path):
    for asset in varied_assets:
        fast, slow = _both(tech_api, f"/api/assets/{asset.pk}", python_path)
        assert fast.status_code == 200
        assert fast.json() == slow.json()
    body = tech_api.get(f"/api/assets/{varied_assets[0].pk}").json()
    assert body["display"] == "WS-01"
    assert body["last_seen"] == "2026-01-02T03:04:05Z"
    assert body["last_reboot"] == "2026-01-02T03:04:05.120000Z"
    assert body["backup_usage_tb"] == "1.50"
    assert body["company"]["name"] == 'Ω "Quoted" \\ Co'
    assert body["udfs"]["nested"] == {"b": [1, 2.5, None, True]}
    second = tech_api.get(f"/api/assets/{varied_assets[1].pk}").json()
    assert second["last_seen"] == "0999-05-06T07:08:09.000001Z"


@pytest.mark.parametrize("lookup", ["0", "abc", "99999999999999999999", "-1"])
def test_detail_of_a_missing_or_malformed_id_is_404(tech_api, lookup):
    assert tech_api.get(f"/api/assets/{lookup}").status_code == 404


def test_cursor_pages_equal_the_serializer_output(tech_api, varied_assets, python_path):
    first = tech_api.get("/api/assets?limit=1").json()
    cursor = first["next_cursor"]
    assert cursor
    fast, slow = _both(tech_api, cursor, python_path)
    assert fast.json() == slow.json()
    assert fast.json()["results"][0]["id"] != first["results"][0]["id"]


def test_portal_user_gets_only_its_company_from_the_sql_path(
    portal_api_for, varied_assets, python_path
):
    own = varied_assets[0].company
    api = portal_api_for(own)
    fast, slow = _both(api, "/api/assets", python_path)
    assert fast.json() == slow.json()
    assert [row["id"] for row in fast.json()["results"]] == [varied_assets[0].pk]
    assert api.get(f"/api/assets/{varied_assets[1].pk}").status_code == 404


def test_browsable_api_is_kept_for_browsers(tech_api, varied_assets):
    html = tech_api.get("/api/assets", HTTP_ACCEPT="text/html")
    assert html.status_code == 200
    assert html["Content-Type"].startswith("text/html")
    assert "WS-01" in html.content.decode()
    detail = tech_api.get(f"/api/assets/{varied_assets[0].pk}?format=api")
    assert detail.status_code == 200 and detail["Content-Type"].startswith("text/html")
    as_json = tech_api.get("/api/assets", HTTP_ACCEPT="application/json")
    assert as_json["Content-Type"] == "application/json"
    assert as_json.json()["count"] == 3


def test_same_output_without_prepared_statements(
    tech_api, varied_assets, python_path, settings
):
    settings.NEXUS_API_PREPARED_STATEMENTS = False
    for path in (
        "/api/assets?ordering=-last_seen",
        f"/api/assets/{varied_assets[0].pk}",
    ):
        fast, slow = _both(tech_api, path, python_path)
        assert fast.status_code == 200 and fast.json() == slow.json()


def test_page_query_is_logged_and_prepared(tech_api, varied_assets):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert tech_api.get("/api/assets").status_code == 200
    assert ctx.captured_queries and all(q["sql"] for q in ctx.captured_queries)
    if connection.vendor == "postgresql":
        assert any("json_build_object" in q["sql"] for q in ctx.captured_queries)
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            statements = [row[0] for row in cursor.fetchall()]
        assert any("json_build_object" in text for text in statements)
        # A searched page is planned for its own pattern (a generic plan of
        # LIKE $1 would scan the table): never prepared.
        assert tech_api.get("/api/assets?search=WS").status_code == 200
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            assert not any("LIKE" in row[0].upper() for row in cursor.fetchall())
