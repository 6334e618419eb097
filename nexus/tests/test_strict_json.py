"""JSON bodies are read with the schema's types (nexus.strict, issue 10): each case
below was accepted with a 2xx until the contract fuzzing found it."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/software/", {"name": 0, "version": "1"}, "name"),
        ("/api/software/", {"name": "Office", "version": 2016}, "version"),
        ("/api/companies/", {"name": " " + "x" * 200}, "name"),
        ("/api/threads/", {"title": "t", "members": {}}, "members"),
        (
            "/api/alert-rules/",
            {"company": None, "kind": "offline", "threshold": "5"},
            "threshold",
        ),
        (
            "/api/alert-rules/",
            {"company": None, "kind": "offline", "threshold": 5, "enabled": 1},
            "enabled",
        ),
    ],
)
def test_mistyped_json_value_is_a_400_for_that_field(admin_api, url, body, field):
    response = admin_api.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()


def test_well_typed_json_is_accepted(admin_api):
    response = admin_api.post(
        "/api/software/", {"name": "Office", "version": "2016"}, format="json"
    )
    assert response.status_code == 201, response.content


def test_form_bodies_keep_their_string_values(admin_api):
    """A form sends every value as a string; that stays as it was."""
    response = admin_api.post(
        "/api/alert-rules/",
        {"kind": "offline", "threshold": "5", "enabled": "true", "company": ""},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["threshold"] == 5
