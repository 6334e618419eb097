import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_signs_in_by_username_or_email(client, technician):
    response = client.post(
        reverse("accounts:login"),
        {"username": technician.email, "password": "pass-word-123"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_lockout_after_repeated_failures(client, technician, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post(
            reverse("accounts:login"),
            {"username": technician.username, "password": "wrong"},
        )
    assert response.status_code == 429
    # Even the right password is refused while locked out.
    response = client.post(
        reverse("accounts:login"),
        {"username": technician.username, "password": "pass-word-123"},
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_api_lockout_after_repeated_failures(api_client, technician, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        api_client.post(
            "/api/token",
            {"username": technician.username, "password": "wrong"},
            format="json",
        )
    response = api_client.post(
        "/api/token",
        {"username": technician.username, "password": "pass-word-123"},
        format="json",
    )
    assert response.status_code in (403, 429)
    assert "token" not in response.json()


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_greek_page_renders_translated_strings(client):
    client.cookies["django_language"] = "el"
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="el")
    assert response.status_code == 200
    assert "Σύνδεση" in response.content.decode()


def test_api_key_page_creates_and_revokes(client, technician):
    client.force_login(technician)
    response = client.post(reverse("accounts:api_keys"), {"name": "laptop"})
    assert response.status_code == 200
    assert "nx_" in response.content.decode()
    key = technician.api_keys.get()
    client.post(reverse("accounts:revoke_key", args=[key.pk]))
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_admin_branded_nexus(staff_client):
    response = staff_client.get("/admin/")
    assert "Nexus" in response.content.decode()
