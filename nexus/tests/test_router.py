"""The API router's patterns are grouped by first segment; matching is unchanged."""

import re

import pytest
from django.urls import Resolver404, URLResolver, resolve, reverse
from rest_framework.routers import DefaultRouter

from nexus.urls import router


def _sample_paths():
    paths = set()
    for url in DefaultRouter.get_urls(router):  # the flat list, as DRF builds it
        body = str(url.pattern).lstrip("^").rstrip("$")
        body = re.sub(r"\(\?P<format>[^)]*\)", "json", body)
        body = re.sub(r"\(\?P<\w+>[^)]*\)", "123", body)
        body = body.replace("/?", "/").replace("\\.", ".")
        paths.update({f"/api/{body}", f"/api/{body}".rstrip("/")})
    return sorted(paths)


def test_patterns_are_grouped_by_segment():
    flat = [url for url in router.urls if not isinstance(url, URLResolver)]
    assert [str(url.pattern) for url in flat] == ["", "<drf_format_suffix:format>"]
    assert len(router.urls) < len(DefaultRouter.get_urls(router)) / 4


@pytest.mark.parametrize("path", _sample_paths())
def test_every_path_resolves_as_in_the_flat_list(path):
    flat = DefaultRouter.get_urls(router)
    expected = None
    for url in flat:
        match = url.pattern.match(path.removeprefix("/api/"))
        if match:
            expected = (url.name, match[2])
            break
    try:
        found = resolve(path)
    except Resolver404:
        found = None
    if expected is None:
        assert found is None or not found.view_name.startswith("api:")
    else:
        assert found.url_name == expected[0]
        assert found.kwargs == expected[1]


def test_reverse_is_unchanged():
    assert reverse("api:asset-list") == "/api/assets"
    assert reverse("api:asset-detail", kwargs={"pk": 5}) == "/api/assets/5"
    assert reverse("api:asset-detail", kwargs={"pk": 5, "format": "json"}) == (
        "/api/assets/5.json"
    )
    assert reverse("api:api-root") == "/api/"
    assert reverse("api:company-users", kwargs={"account_number": 123456}) == (
        "/api/companies/123456/users"
    )
    with pytest.raises(Resolver404):
        resolve("/api/assetsx")
