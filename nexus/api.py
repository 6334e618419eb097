"""The one API router, shared serializer fields and the project-wide error contract."""

import importlib
import logging
import re

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import URLPattern, include, re_path
from django.urls.resolvers import RegexPattern
from rest_framework import exceptions, serializers
from rest_framework.routers import DefaultRouter
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

API_APPS = (
    "accounts",
    "companies",
    "contacts",
    "assets",
    "tickets",
    "projects",
    "knowledge",
    "manufacturing",
    "integrations",
)


class NexusRouter(DefaultRouter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The seeds write paths without the trailing slash; accept both forms.
        self.trailing_slash = "/?"

    def get_urls(self):
        """The router's patterns, grouped by their first path segment.

        A flat list of ~340 patterns made every API request try its regexes one
        by one (~80 for /api/assets, a tenth of a short request's CPU). Grouped,
        Django matches one prefix per segment and then only that segment's
        patterns, in their original order. Patterns of different first segments
        can never match the same path (each segment ends at "/", "." or the end),
        so matching, names and reversing are unchanged; any pattern that does not
        start with a literal segment keeps the flat list as it was.
        """
        urls = super().get_urls()
        groups: dict[str, list] = {}
        grouped = []
        for url in urls:
            regex = str(url.pattern) if isinstance(url, URLPattern) else ""
            match = _SEGMENT.match(regex)
            if match is None:
                if regex in _ROOT_PATTERNS:
                    grouped.append(url)  # the API root and its format suffix
                    continue
                return urls
            segment, rest = match.group(1), regex[match.end(1) :]
            if segment not in groups:
                groups[segment] = []
                grouped.append((segment, groups[segment]))
            groups[segment].append(
                URLPattern(
                    _SegmentRestPattern(
                        "^" + rest, name=url.pattern.name, is_endpoint=True
                    ),
                    url.callback,
                    url.default_args,
                    url.name,
                )
            )
        return [
            item
            if not isinstance(item, tuple)
            else re_path(rf"^{item[0]}", include(item[1]))  # [A-Za-z0-9_-]: literal
            for item in grouped
        ]


class _SegmentRestPattern(RegexPattern):
    """The part of a router pattern after its first segment: it starts with "/"
    on purpose (the segment's include() stops before the slash so that
    `assets`, `assets/` and `assets.json` share one prefix), so Django's
    "route beginning with a '/'" warning (urls.W002) does not apply."""

    def _check_pattern_startswith_slash(self):
        return []


# A literal first segment, then "/", "/?", "\." or the end of the pattern.
_ROOT_PATTERNS = (
    "",
    "<drf_format_suffix:format>",
    "^$",
    r"^(?P<format>\.[a-z0-9]+/?)$",
)
_SEGMENT = re.compile(r"^\^([A-Za-z0-9_-]+)(?=/|\\\.|\$)")


def build_router() -> NexusRouter:
    router = NexusRouter()
    for app_label in API_APPS:
        if not apps.is_installed(app_label):
            continue
        try:
            module = importlib.import_module(f"{app_label}.api.urls")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"{app_label}.api", f"{app_label}.api.urls"):
                raise
            continue
        router.registry.extend(module.router.registry)
    return router


def exception_handler(exc, context):
    """Map Django's exceptions to DRF's so services never import DRF (HackSoft)."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


class VisiblePKField(serializers.PrimaryKeyRelatedField):
    """A related write that accepts only rows the requesting user can see (STYLE R11)."""

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return queryset.visible_to(request.user)


class VisibleSlugField(serializers.SlugRelatedField):
    """Like VisiblePKField, looked up by a slug (e.g. a company's account number)."""

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return queryset.visible_to(request.user)
