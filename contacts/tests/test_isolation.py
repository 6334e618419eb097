"""Tenant isolation: a client of company A gets no contact of company B."""

import pytest

from companies.tests.factories import CompanyFactory

from .factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    a, b = CompanyFactory(name="Alpha"), CompanyFactory(name="Bravo")
    mine = ContactFactory(name="Ann Alpha", email="ann@alpha.test", companies=[a])
    theirs = ContactFactory(name="Bob Bravo", email="bob@bravo.test", companies=[b])
    both = ContactFactory(name="Cat Both", email="cat@both.test", companies=[a, b])
    return {"a": a, "b": b, "mine": mine, "theirs": theirs, "both": both}


def test_api_isolation(portal_api_for, world):
    api = portal_api_for(world["a"])
    listed = api.get("/api/contacts").json()["results"]
    assert {row["id"] for row in listed} == {world["mine"].pk, world["both"].pk}
    # A contact shared with B shows only A among its companies.
    both = next(row for row in listed if row["id"] == world["both"].pk)
    assert both["company_account_numbers"] == [world["a"].account_number]
    assert [c["name"] for c in both["companies"]] == ["Alpha"]
    for query in (
        f"company={world['b'].pk}",
        f"company_account_number={world['b'].account_number}",
        "email=bob@bravo.test",
        "search=Bravo",
    ):
        rows = api.get(f"/api/contacts?{query}").json()["results"]
        assert world["theirs"].pk not in {row["id"] for row in rows}
    assert api.get(f"/api/contacts/{world['theirs'].pk}").status_code == 404
    assert api.get(f"/api/professionals/{world['theirs'].pk}").status_code == 404
    assert api.patch(
        f"/api/contacts/{world['theirs'].pk}", {"name": "X"}
    ).status_code in (
        403,
        404,
    )
    assert api.delete(f"/api/contacts/{world['theirs'].pk}").status_code in (403, 404)


def test_staff_cannot_link_unknown_numbers_but_client_numbers_are_scoped(
    portal_api_for, world
):
    api = portal_api_for(world["a"])
    response = api.post(
        "/api/contacts",
        {
            "name": "X",
            "email": "x@x.test",
            "company_account_numbers": [world["b"].account_number],
        },
        format="json",
    )
    assert response.status_code == 403


def test_pages_and_export_isolation(portal_client_for, world):
    client = portal_client_for(world["a"])
    page = client.get("/contacts/").content.decode()
    assert "Ann Alpha" in page and "Bob Bravo" not in page and "Bravo" not in page
    assert "Bob Bravo" not in client.get("/contacts/?search=Bob").content.decode()
    assert client.get(f"/contacts/{world['theirs'].pk}/").status_code == 404
    detail = client.get(f"/contacts/{world['both'].pk}/").content.decode()
    assert "Bravo" not in detail
    export = client.get("/contacts/export.csv").content.decode()
    assert "ann@alpha.test" in export and "bob@bravo.test" not in export
    assert str(world["b"].account_number) not in export
