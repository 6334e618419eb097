"""Shared fixtures: users by role, API and page clients (STYLE R20)."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from accounts.choices import Role


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    settings.SECURE_SSL_REDIRECT = False
    settings.NEXUS_API_KEY_FAILURE_LIMIT = 10**6  # tests share 127.0.0.1
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "anon": "10000/min",
            "user": "100000/min",
            "login": "10000/min",
        },
    }
    from nexus.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture
def make_user(db, django_user_model):
    """make_user(role="Technician", company=None, **fields) -> User."""
    from accounts.tests.factories import UserFactory

    def _make(*roles: str, company=None, **fields):
        is_staff = company is None and bool(set(roles) - {Role.CLIENT})
        user = UserFactory(
            company=company, is_staff=fields.pop("is_staff", is_staff), **fields
        )
        if roles:
            user.groups.set(Group.objects.filter(name__in=roles))
        return user

    return _make


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMIN, username="boss", is_superuser=True)


@pytest.fixture
def technician(make_user):
    return make_user(Role.TECHNICIAN)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def admin_api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def tech_api(technician):
    client = APIClient()
    client.force_authenticate(technician)
    return client


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def api_for(make_user):
    """api_for(user) -> an APIClient authenticated as that user."""

    def _api(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _api


@pytest.fixture
def portal_user_for(make_user):
    """portal_user_for(company) -> a Client-role user of that company."""

    def _make(company, **fields):
        return make_user(Role.CLIENT, company=company, **fields)

    return _make


@pytest.fixture
def portal_client_for(portal_user_for, client):
    """portal_client_for(company) -> a Django test client signed in as its client."""

    def _make(company):
        from django.test import Client

        c = Client()
        c.force_login(portal_user_for(company))
        return c

    return _make


@pytest.fixture
def portal_api_for(portal_user_for):
    """portal_api_for(company) -> an APIClient signed in as a client of that company."""

    def _make(company):
        c = APIClient()
        c.force_authenticate(portal_user_for(company))
        return c

    return _make


def pytest_collection_modifyitems(items):
    """Transactional tests flush the database, which would also wipe the rows that
    data migrations create (sync jobs, traveler types, beat schedules) for every
    test that runs after them. Restore them with Django's serialized rollback."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None or not marker.kwargs.get("transaction"):
            continue
        if "serialized_rollback" in marker.kwargs:
            continue
        item.add_marker(
            pytest.mark.django_db(
                *marker.args, **marker.kwargs, serialized_rollback=True
            ),
            append=False,
        )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item (`item.rep_call`…), so fixtures such
    as the browser tests' failure_artifacts can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """Browser tests (pytest-playwright) drive Debian's Chromium, headless; no
    browser is ever downloaded."""
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--headless=new",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
