"""Inventory API: assets, software, licences and seat assignments (STYLE R10)."""

from functools import cached_property

import orjson
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from nexus.filters import boolean_param
from nexus.renderers import renders_fragments

from ..models import Asset, Licence, LicenceAssignment, Software
from ..services import assign_licence_seat
from . import sqljson
from .filters import (
    AssetFilterSet,
    LicenceAssignmentFilterSet,
    LicenceFilterSet,
    SoftwareFilterSet,
)
from .pagination import KeysetOffsetPagination
from .serializers import (
    AssetSerializer,
    LicenceAssignmentSerializer,
    LicenceSerializer,
    SoftwareSerializer,
)


class AssetViewSet(viewsets.ModelViewSet):
    """Hardware assets; a client sees only its own company's (read-only)."""

    queryset = Asset.objects.none()  # scoped in get_queryset()
    serializer_class = AssetSerializer
    filterset_class = AssetFilterSet
    pagination_class = KeysetOffsetPagination
    # Each has a trigram index on PostgreSQL (migration 0004); a company is
    # found with ?company= or ?company_account_number=, not by text search.
    search_fields = [
        "hostname",
        "name",
        "serial_number",
        "asset_tag",
        "last_logged_in_user",
    ]
    ordering_fields = [
        "id",
        "hostname",
        "name",
        "status",
        "last_seen",
        "warranty_expires",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self):
        queryset = Asset.objects.visible_to(self.request.user)
        if self.sql_documents_serializer is not None:
            return queryset  # rows are read by id in SQL: no loading options
        return queryset.for_api()

    # -- reads rendered by PostgreSQL (assets.api.sqljson) ---------------------------

    @cached_property
    def sql_documents_serializer(self):
        """The serializer whose JSON PostgreSQL renders for this request, or None:
        only for list and detail reads answered in JSON (not the browsable API),
        on PostgreSQL, and when no permission class checks objects one by one."""
        if getattr(self, "action", None) not in ("list", "retrieve"):
            return None
        if not renders_fragments(self.request):
            return None
        if any(
            type(permission).has_object_permission
            is not BasePermission.has_object_permission
            for permission in self.get_permissions()
        ):
            return None
        serializer_class = self.get_serializer_class()
        return serializer_class if sqljson.available(serializer_class) else None

    def list(self, request, *args, **kwargs):
        if self.sql_documents_serializer is None:
            return super().list(request, *args, **kwargs)
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(sqljson.fragment(rows))

    def retrieve(self, request, *args, **kwargs):
        serializer_class = self.sql_documents_serializer
        if serializer_class is None:
            return super().retrieve(request, *args, **kwargs)
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        queryset = self.filter_queryset(self.get_queryset())
        try:
            ids = queryset.filter(**{self.lookup_field: lookup}).values_list("pk")
        except (TypeError, ValueError, DjangoValidationError):
            raise Http404 from None  # as get_object_or_404 answers a malformed id
        rows = sqljson.documents(
            serializer_class, ids, [("pk", False)], request, prepare=True
        )
        if not rows:
            raise Http404
        return Response(orjson.Fragment(rows[0][-1].encode()))

    def filter_queryset(self, queryset):
        # Query-string filters choose the rows of a list; building the FilterSet
        # (~3 ms: it deep-copies ~20 filters and builds a form) is skipped for a
        # detail and for a list that names none of its filters (both are
        # throughput targets of issue 3).
        if self.action != "list":
            return queryset
        params = self.request.query_params
        for backend in self.filter_backends:
            if issubclass(backend, DjangoFilterBackend) and params.keys().isdisjoint(
                AssetFilterSet.base_filters
            ):
                continue
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset


class SoftwareViewSet(viewsets.ModelViewSet):
    queryset = Software.objects.none()
    serializer_class = SoftwareSerializer
    filterset_class = SoftwareFilterSet
    search_fields = ["name", "version", "category", "vendor__name"]
    ordering_fields = ["name", "version", "category", "created_at"]

    def get_queryset(self):
        return Software.objects.visible_to(self.request.user).for_api()


REVEAL_PARAMETER = OpenApiParameter(
    "reveal",
    OpenApiTypes.BOOL,
    description="Show the full licence key (needs assets.change_licence).",
)


class LicenceViewSet(viewsets.ModelViewSet):
    """Licences; keys are masked unless revealed by someone who may change them."""

    queryset = Licence.objects.none()
    serializer_class = LicenceSerializer
    filterset_class = LicenceFilterSet
    search_fields = ["software__name", "company__name", "notes"]
    ordering_fields = ["expires_on", "seats", "purchase_date", "created_at"]

    def get_queryset(self):
        return Licence.objects.visible_to(self.request.user).for_api()

    def _may_reveal(self) -> bool:
        return self.request.user.has_perm("assets.change_licence")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action == "retrieve" and boolean_param(
            self.request.query_params, "reveal"
        ):
            if not self._may_reveal():
                raise PermissionDenied(_("You may not see licence keys."))
            context["reveal_key"] = True
        return context

    @extend_schema(parameters=[REVEAL_PARAMETER])
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        responses=inline_serializer(
            "LicenceKey",
            {"id": serializers.IntegerField(), "licence_key": serializers.CharField()},
        )
    )
    @action(detail=True, methods=["get"], url_path="key")
    def key(self, request, pk=None):
        """The full licence key (assets.change_licence only)."""
        licence = self.get_object()
        if not self._may_reveal():
            raise PermissionDenied(_("You may not see licence keys."))
        return Response({"id": licence.pk, "licence_key": licence.licence_key})


class LicenceAssignmentViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Seats of licences; assigning past the licence's seats is refused (400)."""

    queryset = LicenceAssignment.objects.none()
    serializer_class = LicenceAssignmentSerializer
    filterset_class = LicenceAssignmentFilterSet
    search_fields = [
        "licence__software__name",
        "asset__hostname",
        "contact__name",
        "user__username",
    ]
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        return LicenceAssignment.objects.visible_to(self.request.user).for_api()

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = assign_licence_seat(
            data["licence"],
            asset=data.get("asset"),
            user=data.get("user"),
            contact=data.get("contact"),
        )
