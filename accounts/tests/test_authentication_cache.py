"""API keys are authenticated from a short-lived shared cache; every change that
must refuse a key (revocation, expiry, deletion, deactivation, lost roles) still
takes effect on the very next request."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import authentication_cache
from accounts.choices import Role
from accounts.models import ApiKey
from accounts.services import create_api_key, revoke_api_key

pytestmark = pytest.mark.django_db


def _get(plain, path="/api/departments/"):
    return APIClient().get(path, HTTP_X_API_KEY=plain)


def _key_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if '"accounts_apikey"' in q["sql"]]


def test_second_request_reads_the_key_from_the_cache(technician):
    _key, plain = create_api_key(technician, name="script")
    assert _get(plain).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert _get(plain).status_code == 200
    assert _key_queries(ctx.captured_queries) == []
    # Neither the permissions nor the roles are read from the database either.
    assert not [q for q in ctx.captured_queries if "auth_permission" in q["sql"]]
    assert not [q for q in ctx.captured_queries if "auth_group" in q["sql"]]


def test_revocation_applies_to_a_cached_key(technician):
    key, plain = create_api_key(technician, name="script")
    assert _get(plain).status_code == 200
    revoke_api_key(ApiKey.objects.get(pk=key.pk))
    response = _get(plain)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_deleted_key_is_refused_although_cached(technician):
    key, plain = create_api_key(technician, name="script")
    assert _get(plain).status_code == 200
    ApiKey.objects.get(pk=key.pk).delete()
    assert _get(plain).status_code == 401


def test_expiry_is_checked_on_every_request(technician):
    key, plain = create_api_key(
        technician, name="short", expires_at=timezone.now() + timedelta(hours=1)
    )
    assert _get(plain).status_code == 200
    key.expires_at = timezone.now() - timedelta(seconds=1)
    key.save()
    response = _get(plain)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_deactivated_user_is_refused_although_cached(technician):
    _key, plain = create_api_key(technician, name="script")
    assert _get(plain).status_code == 200
    technician.is_active = False
    technician.save()
    response = _get(plain)
    assert response.status_code == 401
    assert "inactive" in response.json()["detail"]


def test_lost_role_applies_to_a_cached_key(technician):
    _key, plain = create_api_key(technician, name="script")
    assert _get(plain, "/api/assets").status_code == 200
    technician.groups.remove(Group.objects.get(name=Role.TECHNICIAN))
    assert _get(plain, "/api/assets").status_code == 403
    technician.groups.add(Group.objects.get(name=Role.TECHNICIAN))
    assert _get(plain, "/api/assets").status_code == 200


def test_wrong_secret_is_refused_even_with_a_cached_entry(technician):
    _key, plain = create_api_key(technician, name="script")
    assert _get(plain).status_code == 200
    assert _get(plain[:-3] + "xyz").status_code == 401


def test_entry_of_an_old_generation_is_not_used(technician):
    """A reader that loaded the row before a revocation stored it under the
    generation it read first; the revocation's new generation makes it unused."""
    key, plain = create_api_key(technician, name="script")
    assert _get(plain).status_code == 200
    entry_name = authentication_cache.entry_key(key.prefix)
    stale = cache.get(entry_name)
    assert stale is not None and stale["key"].revoked_at is None
    revoke_api_key(ApiKey.objects.get(pk=key.pk))
    cache.set(entry_name, stale, 30)  # the racing reader writes after the delete
    assert _get(plain).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(technician):
    key, plain = create_api_key(technician, name="script")
    assert _get(plain).status_code == 200
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as ctx:
        assert _get(plain).status_code == 200
    assert not [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first
