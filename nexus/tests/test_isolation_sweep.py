"""Isolation sweep (ARCHITECTURE rule 1): a client user of company A, with the demo
data of every app loaded, receives no row of any other client company from any API
endpoint or page. Endpoints and pages are discovered from the URLconf, so new ones
are covered without editing this test."""

import re

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch
from django.utils.html import escape
from rest_framework.test import APIClient

from companies.choices import CompanyKind
from companies.models import Company
from nexus.api import build_router

pytestmark = pytest.mark.django_db

# Pages that are not tenant data (auth, language switch, API docs) or that act
# on POST only are not swept.
SKIP_NAMES = {"logout", "set_language", "revoke_key"}


def _leaks(body: str, foreign_names: list[str]) -> list[str]:
    return [name for name in foreign_names if name in body or escape(name) in body]


@pytest.fixture
def sweep(portal_user_for):
    call_command("load_demo", stdout=open("/dev/null", "w"))
    clients = list(Company.objects.filter(kind=CompanyKind.CLIENT).order_by("pk"))
    assert len(clients) >= 2, "demo data must hold at least two client companies"
    own = clients[0]
    foreign = [c.name for c in clients[1:] if len(c.name) >= 6]
    user = portal_user_for(own)
    return own, foreign, user


def _router_entries():
    yield from build_router().registry


def test_api_endpoints_leak_nothing_of_other_companies(sweep):
    _own, foreign, user = sweep
    api = APIClient()
    api.force_authenticate(user)
    checked = 0
    for _prefix, viewset, basename in _router_entries():
        try:
            url = reverse(f"api:{basename}-list")
        except NoReverseMatch:
            continue
        response = api.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code == 200:
            leaks = _leaks(response.content.decode(), foreign)
            assert not leaks, f"{url} leaks {leaks}"
        checked += 1
        model = getattr(getattr(viewset, "queryset", None), "model", None)
        manager = getattr(model, "objects", None)
        if manager is None or not hasattr(manager.all(), "visible_to"):
            continue
        lookup = getattr(viewset, "lookup_field", "pk")
        hidden = model.objects.exclude(
            pk__in=model.objects.visible_to(user).values("pk")
        )
        for obj in hidden[:3]:
            try:
                detail = reverse(f"api:{basename}-detail", args=[getattr(obj, lookup)])
            except NoReverseMatch:
                break
            response = api.get(detail)
            assert response.status_code in (401, 403, 404), (
                detail,
                response.status_code,
            )
    assert checked >= 5


def _page_patterns(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns in ("admin", "api"):
                continue
            yield from _page_patterns(entry, prefix + str(entry.pattern), ns)
        elif (
            isinstance(entry, URLPattern)
            and entry.name
            and entry.name not in SKIP_NAMES
        ):
            yield namespace, entry.name, prefix + str(entry.pattern)


def test_pages_leak_nothing_of_other_companies(sweep, client):
    own, foreign, user = sweep
    client.force_login(user)
    other_ids = list(
        Company.objects.exclude(pk=own.pk).values_list("pk", "account_number")[:3]
    )
    checked = 0
    for namespace, name, pattern in _page_patterns():
        full = f"{namespace}:{name}" if namespace else name
        params = re.findall(r"<(?:(\w+):)?(\w+)>", pattern)
        candidates = []
        if not params:
            candidates = [()]
        elif len(params) == 1 and params[0][0] in ("int", ""):
            # Guess ids of rows that belong to other companies.
            candidates = [(pk,) for pk, _n in other_ids] + [
                (n,) for _pk, n in other_ids
            ]
        for args in candidates:
            try:
                url = reverse(full, args=args)
            except NoReverseMatch:
                continue
            response = client.get(url)
            assert response.status_code < 500, (url, response.status_code)
            if response.status_code == 200 and "html" in response.get(
                "Content-Type", ""
            ):
                leaks = _leaks(response.content.decode(), foreign)
                assert not leaks, f"{url} leaks {leaks}"
            checked += 1
    assert checked >= 3
