from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.choices import Role
from accounts.models import ApiKey
from accounts.services import create_api_key, revoke_api_key

pytestmark = pytest.mark.django_db


def test_api_key_header_and_bearer_forms_authenticate(technician):
    _key, plain = create_api_key(technician, name="script")
    client = APIClient()
    for headers in (
        {"HTTP_X_API_KEY": plain},
        {"HTTP_AUTHORIZATION": f"Bearer {plain}"},
    ):
        response = client.get("/api/auth/me", **headers)
        assert response.status_code == 200
        assert response.json()["username"] == technician.username


@pytest.mark.parametrize("mutate", ["wrong_secret", "unknown_prefix", "garbage"])
def test_api_key_wrong_values_get_401(technician, mutate):
    _key, plain = create_api_key(technician, name="script")
    bad = {
        "wrong_secret": plain[:-3] + "xyz",
        "unknown_prefix": f"nx_00000000_{plain.split('_', 2)[2]}",
        "garbage": "nx_",
    }[mutate]
    response = APIClient().get("/api/auth/me", HTTP_X_API_KEY=bad)
    assert response.status_code == 401


def test_revoked_and_expired_keys_get_401(technician):
    key, plain = create_api_key(technician, name="old")
    revoke_api_key(key)
    assert APIClient().get("/api/auth/me", HTTP_X_API_KEY=plain).status_code == 401
    key2, plain2 = create_api_key(
        technician, name="short", expires_at=timezone.now() + timedelta(seconds=30)
    )
    ApiKey.objects.filter(pk=key2.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = APIClient().get("/api/auth/me", HTTP_X_API_KEY=plain2)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_database_holds_no_usable_key(technician):
    key, plain = create_api_key(technician, name="script")
    secret = plain.split("_", 2)[2]
    row = ApiKey.objects.values().get(pk=key.pk)
    assert all(secret not in str(value) for value in row.values())
    assert row["key_hash"] != secret and len(row["key_hash"]) == 64


def test_api_key_never_grants_more_than_its_user(make_user):
    client_user_company = None  # a staff user without the admin role
    user = make_user(Role.TECHNICIAN, company=client_user_company)
    _key, plain = create_api_key(user, name="script")
    response = APIClient().get("/api/users/", HTTP_X_API_KEY=plain)
    assert response.status_code == 403


def test_api_key_created_over_api_is_shown_once(tech_api):
    response = tech_api.post("/api/api-keys/", {"name": "ci"}, format="json")
    assert response.status_code == 201
    plain = response.json()["key"]
    assert plain.startswith("nx_")
    listed = tech_api.get("/api/api-keys/").json()["results"]
    assert plain not in str(listed)
    assert APIClient().get("/api/auth/me", HTTP_X_API_KEY=plain).status_code == 200


def test_api_key_expiry_in_past_is_400(tech_api):
    response = tech_api.post(
        "/api/api-keys/",
        {"name": "x", "expires_at": "2000-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert "expires_at" in response.json()


def test_jwt_pair_refresh_and_logout_blacklists(technician):
    client = APIClient()
    pair = client.post(
        "/api/auth/token/",
        {"username": technician.username, "password": "pass-word-123"},
        format="json",
    )
    assert pair.status_code == 200
    access, refresh = pair.json()["access"], pair.json()["refresh"]
    me = client.get("/api/auth/me/", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert me.status_code == 200 and me.json()["username"] == technician.username
    refreshed = client.post(
        "/api/auth/token/refresh/", {"refresh": refresh}, format="json"
    )
    assert refreshed.status_code == 200
    new_refresh = refreshed.json()["refresh"]
    assert (
        client.post(
            "/api/auth/logout/", {"refresh": new_refresh}, format="json"
        ).status_code
        == 205
    )
    again = client.post(
        "/api/auth/token/refresh/", {"refresh": new_refresh}, format="json"
    )
    assert again.status_code == 401


def test_nexo_login_with_email(technician):
    response = APIClient().post(
        "/api/auth/login",
        {"email": technician.email, "password": "pass-word-123"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert {"access", "refresh", "user"} <= body.keys()


def test_legacy_token_endpoint(technician):
    client = APIClient()
    response = client.post(
        "/api/token",
        {"username": technician.username, "password": "pass-word-123"},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert (
        client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code
        == 200
    )
    bad = client.post(
        "/api/token",
        {"username": technician.username, "password": "nope"},
        format="json",
    )
    assert bad.status_code == 401
    missing = client.post(
        "/api/token", {"username": technician.username}, format="json"
    )
    assert missing.status_code == 400 and "password" in missing.json()


def test_users_endpoint_admin_only(admin_api, tech_api, admin_user):
    assert tech_api.get("/api/users/").status_code == 403
    assert tech_api.get(f"/api/users/{admin_user.pk}/").status_code == 403
    response = admin_api.get("/api/users")
    assert response.status_code == 200
    assert response.json()["count"] >= 1
    detail = admin_api.get(f"/api/users/{admin_user.pk}").json()
    assert detail["permission_level"] == "admin"


def test_anonymous_gets_401(api_client):
    assert api_client.get("/api/users/").status_code == 401


def test_registration_refused_by_default(api_client):
    response = api_client.post(
        "/api/auth/register",
        {"username": "new", "email": "new@example.test", "password": "A-long-pass-123"},
        format="json",
    )
    assert response.status_code == 403


def test_registration_when_enabled_creates_user_without_roles(api_client, settings):
    settings.NEXUS_ALLOW_REGISTRATION = True
    response = api_client.post(
        "/api/auth/register",
        {"username": "new", "email": "new@example.test", "password": "A-long-pass-123"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["roles"] == []
    weak = api_client.post(
        "/api/auth/register",
        {"username": "new2", "email": "new2@example.test", "password": "123"},
        format="json",
    )
    assert weak.status_code == 400 and "password" in weak.json()


def test_request_id_is_returned_and_accepted(api_client):
    response = api_client.get("/api/status")
    assert len(response["X-Request-ID"]) >= 16
    echoed = api_client.get("/api/status", HTTP_X_REQUEST_ID="abc-123-def")
    assert echoed["X-Request-ID"] == "abc-123-def"


def test_pagination_limit_is_capped(admin_api, make_user):
    for _ in range(3):
        make_user(Role.TECHNICIAN)
    body = admin_api.get("/api/users/?limit=2").json()
    assert len(body["results"]) == 2 and body["count"] >= 4 and body["next"]
    assert admin_api.get("/api/users/?limit=5000").status_code == 200


def test_employee_created_with_generated_code_username_and_hire_date(admin_api):
    from django.utils import timezone

    from accounts.tests.factories import DepartmentFactory

    DepartmentFactory(name="IT")
    response = admin_api.post(
        "/api/employees",
        {
            "email": "emp@nexo.test",
            "full_name": "John Employee",
            "position": "Developer",
            "department": "IT",
            "roles": ["Technician"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["employee_code"].startswith("EMP-")
    assert body["username"] == "emp"
    assert body["hire_date"] == timezone.localdate().isoformat()
    assert body["department"] == "IT" and body["roles"] == ["Technician"]


def test_employee_bad_input_is_400(admin_api):
    response = admin_api.post(
        "/api/employees", {"email": "not-an-email", "department": "Nope"}, format="json"
    )
    assert response.status_code == 400
    assert {"email", "department"} <= response.json().keys()


def test_employee_delete_deactivates(admin_api, technician):
    assert admin_api.delete(f"/api/employees/{technician.pk}").status_code == 204
    technician.refresh_from_db()
    assert technician.is_active is False


def test_employees_hidden_from_portal_and_readonly_for_technician(
    tech_api, portal_api_for
):
    from companies.tests.factories import CompanyFactory

    assert tech_api.get("/api/employees").status_code == 200
    assert (
        tech_api.post(
            "/api/employees", {"email": "x@y.test"}, format="json"
        ).status_code
        == 403
    )
    portal = portal_api_for(CompanyFactory())
    assert portal.get("/api/employees").status_code == 403


@pytest.mark.parametrize(
    "query", ["limit=abc", "offset=-1", "limit=0", "offset=x&offset=y"]
)
def test_malformed_pagination_is_400(admin_api, query):
    response = admin_api.get(f"/api/users/?{query}")
    assert response.status_code == 400


def test_permission_changes_apply_immediately_despite_cache(technician, api_for):
    from django.contrib.auth.models import Group

    api = api_for(technician)
    assert api.get("/api/users/").status_code == 403
    technician.groups.add(Group.objects.get(name="Admin"))
    fresh = type(technician).objects.get(pk=technician.pk)
    assert api_for(fresh).get("/api/users/").status_code == 200
    fresh.groups.remove(Group.objects.get(name="Admin"))
    again = type(technician).objects.get(pk=technician.pk)
    assert api_for(again).get("/api/users/").status_code == 403


def test_permissions_cached_across_requests(technician, django_assert_max_num_queries):
    from rest_framework.test import APIClient

    from accounts.services import create_api_key

    _key, plain = create_api_key(technician, name="perf")
    client = APIClient()
    client.get("/api/departments/", HTTP_X_API_KEY=plain)
    # key+user lookup, the list and its count: permissions and roles come from the cache
    with django_assert_max_num_queries(3):
        assert client.get("/api/departments/", HTTP_X_API_KEY=plain).status_code == 200


def test_schema_marks_token_endpoints_as_open(admin_api):
    """Login/refresh need no credentials; the OpenAPI document must say so."""
    schema = admin_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/auth/login/", "/api/auth/token/", "/api/auth/refresh/"):
        assert {} in schema["paths"][path]["post"]["security"], path


def test_repeated_bad_api_keys_are_throttled(api_client, technician, settings):
    """Brute force on API keys: 401 per bad key, then 429 for that address."""
    from accounts.services import create_api_key

    settings.NEXUS_API_KEY_FAILURE_LIMIT = 3
    _key, plain = create_api_key(technician, name="brute")
    address = {"REMOTE_ADDR": "198.51.100.77"}
    for attempt in range(3):
        response = api_client.get(
            "/api/auth/me", HTTP_X_API_KEY=f"nx_dead{attempt}_guess", **address
        )
        assert response.status_code == 401
    response = api_client.get("/api/auth/me", HTTP_X_API_KEY=plain, **address)
    assert response.status_code == 429
    other = api_client.get(
        "/api/auth/me", HTTP_X_API_KEY=plain, REMOTE_ADDR="198.51.100.78"
    )
    assert other.status_code == 200
