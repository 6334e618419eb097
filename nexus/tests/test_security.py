import logging

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_security_headers_present(client):
    response = client.get(reverse("accounts:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_login_form_requires_csrf(technician):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        reverse("accounts:login"),
        {"username": technician.username, "password": "pass-word-123"},
    )
    assert response.status_code == 403


def test_session_api_write_requires_csrf(technician):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(technician)
    response = strict.post(
        "/api/api-keys/", {"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_api_key_never_logged(technician, api_client, caplog):
    from accounts.services import create_api_key

    _key, plain = create_api_key(technician, name="log-test")
    with caplog.at_level(logging.DEBUG):
        api_client.get("/api/auth/me", HTTP_X_API_KEY=plain)
        api_client.get("/api/auth/me", HTTP_X_API_KEY=plain + "x")
    assert plain.split("_", 2)[2] not in caplog.text


def test_errors_are_json_with_message(api_client):
    response = api_client.get("/api/users/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
