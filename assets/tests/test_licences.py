import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from assets.models import LicenceAssignment
from companies.tests.factories import CompanyFactory
from contacts.tests.factories import ContactFactory

from .factories import (
    AssetFactory,
    LicenceAssignmentFactory,
    LicenceFactory,
    SoftwareFactory,
)

pytestmark = pytest.mark.django_db

KEY = "ABCDE-12345-FGHIJ-67890"


def test_key_is_masked_in_list_and_detail(tech_api):
    licence = LicenceFactory(licence_key=KEY)
    row = tech_api.get("/api/licences").json()["results"][0]
    assert row["licence_key"] == "••••••••7890"
    detail = tech_api.get(f"/api/licences/{licence.pk}").json()
    assert detail["licence_key"] == "••••••••7890"
    assert KEY not in tech_api.get("/api/licences").content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("reveal=null", "true or false"),
        ("reveal=yes", "true or false"),
        ("reveal=", "true or false"),
        ("reveal=true&reveal=true", "once"),
    ],
)
def test_reveal_that_is_not_one_boolean_is_400(tech_api, query, message):
    """`reveal` is a boolean in the schema (contract fuzzing: `?reveal=null&reveal=null`
    was answered 200 with the key masked)."""
    licence = LicenceFactory(licence_key=KEY)
    response = tech_api.get(f"/api/licences/{licence.pk}?{query}")
    assert response.status_code == 400, response.content
    assert message in response.json()["reveal"][0]


def test_reveal_false_masks_and_true_reveals(tech_api):
    licence = LicenceFactory(licence_key=KEY)
    url = f"/api/licences/{licence.pk}"
    assert tech_api.get(url, {"reveal": "false"}).json()["licence_key"] != KEY
    assert tech_api.get(url, {"reveal": "true"}).json()["licence_key"] == KEY


def test_key_revealed_only_with_change_permission(tech_api, make_user, api_for):
    licence = LicenceFactory(licence_key=KEY)
    assert (
        tech_api.get(f"/api/licences/{licence.pk}?reveal=1").json()["licence_key"]
        == KEY
    )
    assert tech_api.get(f"/api/licences/{licence.pk}/key").json() == {
        "id": licence.pk,
        "licence_key": KEY,
    }
    billing = api_for(make_user(Role.BILLING))
    assert billing.get(f"/api/licences/{licence.pk}").status_code == 200
    assert billing.get(f"/api/licences/{licence.pk}?reveal=1").status_code == 403
    assert billing.get(f"/api/licences/{licence.pk}/key").status_code == 403


def test_key_stored_encrypted(tech_api):
    software = SoftwareFactory()
    company = CompanyFactory()
    response = tech_api.post(
        "/api/licences",
        {
            "software": software.pk,
            "company_account_number": company.account_number,
            "licence_key": KEY,
            "seats": 2,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["licence_key"] == "••••••••7890"
    assert response.json()["seats_used"] == 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT licence_key FROM assets_licence")
        (stored,) = cursor.fetchone()
    assert KEY not in stored


def test_seats_used_and_over_assignment_refused(tech_api):
    licence = LicenceFactory(seats=2)
    a1, a2, a3 = AssetFactory.create_batch(3, company=licence.company)
    for asset in (a1, a2):
        response = tech_api.post(
            "/api/licence-assignments", {"licence": licence.pk, "asset": asset.pk}
        )
        assert response.status_code == 201, response.content
    response = tech_api.post(
        "/api/licence-assignments", {"licence": licence.pk, "asset": a3.pk}
    )
    assert response.status_code == 400
    assert "2 seats" in response.json()["licence"][0]
    assert tech_api.get(f"/api/licences/{licence.pk}").json()["seats_used"] == 2
    first = LicenceAssignment.objects.filter(licence=licence).first()
    assert tech_api.delete(f"/api/licence-assignments/{first.pk}").status_code == 204
    response = tech_api.post(
        "/api/licence-assignments", {"licence": licence.pk, "asset": a3.pk}
    )
    assert response.status_code == 201


@pytest.mark.parametrize("case", ["none", "two", "other_company", "duplicate"])
def test_bad_assignments_are_400(tech_api, technician, case):
    licence = LicenceFactory(seats=5)
    asset = AssetFactory(company=licence.company)
    LicenceAssignmentFactory(licence=licence, asset=asset)
    payload = {
        "none": {"licence": licence.pk},
        "two": {
            "licence": licence.pk,
            "asset": AssetFactory(company=licence.company).pk,
            "user": technician.pk,
        },
        "other_company": {"licence": licence.pk, "asset": AssetFactory().pk},
        "duplicate": {"licence": licence.pk, "asset": asset.pk},
    }[case]
    response = tech_api.post("/api/licence-assignments", payload)
    assert response.status_code == 400, response.content
    assert set(response.json()) & {"asset", "licence", "user"}


def test_contact_seat_needs_the_licence_company(tech_api):
    licence = LicenceFactory()
    outsider = ContactFactory(companies=[CompanyFactory()])
    insider = ContactFactory(companies=[licence.company])
    response = tech_api.post(
        "/api/licence-assignments", {"licence": licence.pk, "contact": outsider.pk}
    )
    assert response.status_code == 400 and "contact" in response.json()
    response = tech_api.post(
        "/api/licence-assignments", {"licence": licence.pk, "contact": insider.pk}
    )
    assert response.status_code == 201


def test_reducing_seats_below_use_refused(tech_api):
    licence = LicenceFactory(seats=3)
    LicenceAssignmentFactory.create_batch(2, licence=licence)
    response = tech_api.patch(f"/api/licences/{licence.pk}", {"seats": 1})
    assert response.status_code == 400 and "seats" in response.json()
    response = tech_api.patch(f"/api/licences/{licence.pk}", {"seats": 2})
    assert response.status_code == 200 and response.json()["seats_used"] == 2
    assert licence.history.count() == 2


def test_software_crud(tech_api):
    vendor = CompanyFactory(kind="supplier")
    response = tech_api.post(
        "/api/software", {"name": "Office", "version": "2024", "vendor": vendor.pk}
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["vendor_name"] == vendor.name
    client_company = CompanyFactory(kind="client")
    response = tech_api.patch(f"/api/software/{pk}", {"vendor": client_company.pk})
    assert response.status_code == 400 and "vendor" in response.json()
    dup = tech_api.post("/api/software", {"name": "Office", "version": "2024"})
    assert dup.status_code == 400
    assert tech_api.delete(f"/api/software/{pk}").status_code == 204


@pytest.mark.parametrize(
    ("url", "make"),
    [
        ("/api/licences", lambda: LicenceAssignmentFactory().licence),
        ("/api/licence-assignments", LicenceAssignmentFactory),
        ("/api/software", lambda: LicenceFactory().software),
    ],
)
def test_list_queries_do_not_grow(tech_api, django_assert_max_num_queries, url, make):
    for _ in range(2):
        make()
    with CaptureQueriesContext(connection) as few:
        assert tech_api.get(url).status_code == 200
    for _ in range(5):
        make()
    with django_assert_max_num_queries(len(few)):
        response = tech_api.get(url)
    assert response.json()["count"] == 7
