"""Tenant isolation matrix: a client of company A gets nothing of company B from
any inventory endpoint or page, and its writes to B are refused."""

import pytest

from companies.tests.factories import CompanyFactory

from .factories import AssetFactory, LicenceAssignmentFactory, LicenceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    a, b = CompanyFactory(name="Alpha"), CompanyFactory(name="Bravo")
    mine = AssetFactory(company=a, hostname="ALPHA-1", serial_number="SN-A")
    theirs = AssetFactory(company=b, hostname="BRAVO-1", serial_number="SN-B")
    my_licence = LicenceFactory(company=a, licence_key="KEY-A-1234")
    their_licence = LicenceFactory(company=b, licence_key="KEY-B-5678")
    my_seat = LicenceAssignmentFactory(licence=my_licence, asset=mine)
    their_seat = LicenceAssignmentFactory(licence=their_licence, asset=theirs)
    return {
        "a": a,
        "b": b,
        "asset": (mine, theirs),
        "licence": (my_licence, their_licence),
        "seat": (my_seat, their_seat),
    }


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


LISTS = [
    ("/api/assets", "asset"),
    ("/api/licences", "licence"),
    ("/api/licence-assignments", "seat"),
]


@pytest.mark.parametrize(("url", "kind"), LISTS)
def test_lists_hold_only_own_rows(portal_api_for, world, url, kind):
    api = portal_api_for(world["a"])
    mine, theirs = world[kind]
    assert ids(api.get(url)) == {mine.pk}
    assert ids(api.get(f"{url}?company={world['b'].pk}")) == set()
    assert ids(api.get(f"{url}?search=Bravo")) == set()
    assert api.get(f"{url}/{theirs.pk}").status_code == 404
    assert api.get(f"{url}/{mine.pk}").status_code == 200


def test_asset_filters_and_search_never_reach_b(portal_api_for, world):
    api = portal_api_for(world["a"])
    b = world["b"]
    for query in (
        f"company_account_number={b.account_number}",
        "hostname=BRAVO-1",
        "search=SN-B",
        "search=BRAVO",
        "limit=1000&offset=0",
    ):
        assert world["asset"][1].pk not in ids(api.get(f"/api/assets?{query}"))


def test_software_shows_only_products_licensed_to_own_company(portal_api_for, world):
    api = portal_api_for(world["a"])
    my_software = world["licence"][0].software
    their_software = world["licence"][1].software
    assert ids(api.get("/api/software")) == {my_software.pk}
    assert api.get(f"/api/software/{their_software.pk}").status_code == 404


def test_client_cannot_reveal_keys(portal_api_for, world):
    api = portal_api_for(world["a"])
    mine = world["licence"][0]
    assert api.get(f"/api/licences/{mine.pk}?reveal=1").status_code == 403
    assert api.get(f"/api/licences/{mine.pk}/key").status_code == 403
    assert "KEY-A-1234" not in api.get("/api/licences").content.decode()


def test_writes_to_b_refused(portal_api_for, world):
    api = portal_api_for(world["a"])
    theirs = world["asset"][1]
    their_licence = world["licence"][1]
    assert api.patch(f"/api/assets/{theirs.pk}", {"hostname": "X"}).status_code in (
        403,
        404,
    )
    assert api.delete(f"/api/assets/{theirs.pk}").status_code in (403, 404)
    response = api.post(
        "/api/assets",
        {"hostname": "X", "company_account_number": world["b"].account_number},
    )
    assert response.status_code == 403
    response = api.post(
        "/api/licence-assignments",
        {"licence": their_licence.pk, "asset": world["asset"][0].pk},
    )
    assert response.status_code == 403
    assert api.delete(
        f"/api/licence-assignments/{world['seat'][1].pk}"
    ).status_code in (
        403,
        404,
    )
    theirs.refresh_from_db()
    assert theirs.hostname == "BRAVO-1"


def test_staff_cannot_attach_rows_a_portal_scope_hides(
    portal_api_for, world, make_user, api_for
):
    """Writes by a staff member still validate related rows (sanity)."""
    tech = api_for(make_user("Technician"))
    response = tech.post(
        "/api/licence-assignments",
        {"licence": world["licence"][1].pk, "asset": world["asset"][0].pk},
    )
    assert response.status_code == 400


def test_pages_and_export_hold_only_own_rows(portal_client_for, world):
    client = portal_client_for(world["a"])
    mine, theirs = world["asset"]
    page = client.get("/assets/").content.decode()
    assert "ALPHA-1" in page and "BRAVO-1" not in page
    page = client.get(f"/assets/?company_account_number={world['b'].account_number}")
    assert "BRAVO-1" not in page.content.decode()
    page = client.get("/assets/?search=BRAVO").content.decode()
    assert "BRAVO-1" not in page
    assert client.get(f"/assets/{theirs.pk}/").status_code == 404
    assert client.get(f"/assets/{mine.pk}/").status_code == 200
    export = client.get("/assets/export.csv").content.decode()
    assert "ALPHA-1" in export and "BRAVO-1" not in export
    export = client.get("/assets/export.csv?search=BRAVO").content.decode()
    assert "BRAVO-1" not in export
    licences = client.get("/assets/licences/")
    # Licences are a staff page; a portal user sees their own licences via the API.
    assert licences.status_code in (200, 403)
    if licences.status_code == 200:
        assert world["b"].name not in licences.content.decode()


def test_portal_user_cannot_use_the_admin(portal_client_for, world):
    client = portal_client_for(world["a"])
    response = client.get("/admin/assets/asset/")
    assert response.status_code in (302, 403)
