"""The asset list's pagination: exact counts, deep offsets via anchors, cursors."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assets.api import pagination
from assets.models import Asset
from companies.tests.factories import CompanyFactory

from .factories import AssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_windows(monkeypatch):
    """Make 'deep' mean offset ≥ 6 with an anchor every 4 rows."""
    monkeypatch.setattr(pagination, "DIRECT_OFFSET_LIMIT", 6)
    monkeypatch.setattr(pagination, "ANCHOR_EVERY", 4)


@pytest.fixture
def assets():
    company = CompanyFactory()
    # Duplicate hostnames: the id breaks ties, so pages never overlap.
    names = [f"H{n % 9:02d}" for n in range(30)]
    return [AssetFactory(company=company, hostname=name) for name in names]


def expected_ids(**order):
    return list(Asset.objects.order_by("hostname", "id").values_list("id", flat=True))


def page(api, query):
    response = api.get(f"/api/assets?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_every_offset_matches_plain_slicing(tech_api, assets, small_windows):
    want = expected_ids()
    for limit in (1, 3, 5):
        for offset in range(0, 32):
            body = page(tech_api, f"limit={limit}&offset={offset}")
            assert body["count"] == 30
            got = [row["id"] for row in body["results"]]
            assert got == want[offset : offset + limit], (limit, offset)


def test_deep_pages_stay_right_after_writes(tech_api, assets, small_windows):
    page(tech_api, "limit=3&offset=20")  # builds anchors
    AssetFactory(company=assets[0].company, hostname="H00")  # shifts every position
    Asset.objects.filter(pk=assets[5].pk).delete()
    Asset.objects.filter(pk=assets[7].pk).update(hostname="ZZZ")
    want = expected_ids()
    for offset in (6, 12, 20, 27):
        body = page(tech_api, f"limit=3&offset={offset}")
        assert body["count"] == 30
        assert [row["id"] for row in body["results"]] == want[offset : offset + 3]


def test_cursor_walks_every_row_once(tech_api, assets):
    seen = []
    body = page(tech_api, "limit=7")
    seen += [row["id"] for row in body["results"]]
    while body["next_cursor"]:
        query = body["next_cursor"].split("?", 1)[1]
        body = page(tech_api, query)
        seen += [row["id"] for row in body["results"]]
    assert seen == expected_ids()


def test_cursor_with_descending_ordering(tech_api, assets):
    body = page(tech_api, "limit=4&ordering=-hostname")
    seen = [row["id"] for row in body["results"]]
    while body["next_cursor"]:
        body = page(tech_api, body["next_cursor"].split("?", 1)[1])
        seen += [row["id"] for row in body["results"]]
    want = list(Asset.objects.order_by("-hostname", "id").values_list("id", flat=True))
    assert seen == want


def test_bad_cursor_is_400(tech_api, assets):
    response = tech_api.get("/api/assets?cursor=not-a-cursor")
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_cursor_needs_a_keyset_ordering(tech_api, assets):
    body = page(tech_api, "limit=4")
    query = body["next_cursor"].split("?", 1)[1]
    response = tech_api.get(f"/api/assets?{query}&ordering=last_seen")
    assert response.status_code == 400


def test_nullable_ordering_falls_back_to_offsets(tech_api, assets, small_windows):
    body = page(tech_api, "limit=3&offset=10&ordering=last_seen")
    want = list(Asset.objects.order_by("last_seen", "id").values_list("id", flat=True))
    assert [row["id"] for row in body["results"]] == want[10:13]
    assert body["next_cursor"] is None


def test_count_is_cached_until_a_write(tech_api, assets):
    page(tech_api, "limit=2")
    with CaptureQueriesContext(connection) as queries:
        page(tech_api, "limit=2")
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    AssetFactory(company=assets[0].company)
    assert page(tech_api, "limit=2")["count"] == 31
    Asset.objects.filter(pk=assets[0].pk).delete()
    assert page(tech_api, "limit=2")["count"] == 30


def test_filtered_counts_are_exact(tech_api, assets):
    Asset.objects.filter(pk__in=[a.pk for a in assets[:4]]).update(online=True)
    assert page(tech_api, "online=true")["count"] == 4
    assert page(tech_api, "online=false")["count"] == 26


def test_offset_past_the_end_is_empty(tech_api, assets):
    body = page(tech_api, "offset=500")
    assert body["results"] == [] and body["count"] == 30


def test_bad_limit_is_400(tech_api, assets):
    assert tech_api.get("/api/assets?limit=abc").status_code == 400
    assert tech_api.get("/api/assets?offset=-1").status_code == 400
