"""The one API router, shared serializer fields and the project-wide error contract."""

import importlib
import logging

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
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
