"""ModelPermissions names the model from the view's `queryset` placeholder
instead of building get_queryset() a second time per request: every API view's
placeholder must be of the model its get_queryset() returns."""

import pytest
from django.urls import get_resolver
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from nexus.permissions import ModelPermissions

pytestmark = pytest.mark.django_db


def _api_views():
    found, seen = [], set()

    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns)
                continue
            view_class = getattr(pattern.callback, "cls", None)
            actions = getattr(pattern.callback, "actions", None) or {}
            if view_class is None or view_class in seen:
                continue
            seen.add(view_class)
            if getattr(view_class, "queryset", None) is not None:
                found.append((view_class, actions))

    walk(get_resolver().url_patterns)
    return found


def test_every_placeholder_queryset_is_of_the_views_model(admin_user):
    views = _api_views()
    assert len(views) > 40
    checked = 0
    for view_class, actions in views:
        if "get_queryset" not in vars(view_class) and not any(
            "get_queryset" in vars(base)
            for base in view_class.__mro__[1:]
            if base.__module__.split(".")[0] not in ("rest_framework",)
        ):
            continue
        view = view_class()
        view.action_map = actions
        view.action = next(iter(actions.values()), None)
        view.format_kwarg = None
        request = Request(APIRequestFactory().get("/api/"))
        request.user = admin_user
        view.request, view.args, view.kwargs = request, (), {}
        try:
            real = view.get_queryset()
        except (KeyError, AttributeError, TypeError, ValueError):
            # Nested under a parent's URL kwarg: resolved with a real URL below.
            continue
        assert real.model is view_class.queryset.model, view_class
        checked += 1
    assert checked > 40


def test_permission_uses_the_placeholder_without_building_the_queryset(admin_user):
    class View:
        queryset = type(admin_user).objects.none()

        def get_queryset(self):  # pragma: no cover - must not be called
            raise AssertionError("get_queryset() built for a permission check")

    request = Request(APIRequestFactory().get("/api/"))
    request.user = admin_user
    assert ModelPermissions().has_permission(request, View()) is True


def test_nested_list_still_needs_the_view_permission(make_user, client):
    from rest_framework.test import APIClient

    from companies.tests.factories import CompanyFactory

    CompanyFactory(account_number=222333)
    nobody = make_user()  # no role, no permissions
    api = APIClient()
    api.force_authenticate(nobody)
    assert api.get("/api/companies/222333/contacts").status_code == 403
    assert api.get("/api/knowledge").status_code == 403
