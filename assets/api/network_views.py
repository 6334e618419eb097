"""Networks and hosts API: CRUD, host lists, free addresses and claims."""

import ipaddress

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from nexus.pagination import LimitOffsetPagination

from ..network_models import Host, Network
from ..networks import (
    bulk_create_hosts,
    claim_next_free,
    iter_free,
    iter_host_list,
    iter_host_list_csv,
    network_summary,
)
from .network_filters import HostFilterSet, NetworkFilterSet
from .network_serializers import (
    AddressRowSerializer,
    BulkCreateHostsSerializer,
    ClaimHostSerializer,
    HostSerializer,
    NetworkHostSerializer,
    NetworkSerializer,
    NetworkSummarySerializer,
)

# JSON numbers beyond 2**53 lose precision in most clients (and IPv6 networks
# have up to 2**128 addresses): such counts are sent as strings.
SAFE_INTEGER = 1 << 53


def json_count(value: int) -> int | str:
    return value if value < SAFE_INTEGER else str(value)


PAGE_PARAMETERS = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Rows per page (≤1000)."),
    OpenApiParameter("offset", OpenApiTypes.INT, description="Rows to skip."),
]


def page_links(request, offset: int, limit: int, count: int) -> tuple:
    pager = LimitOffsetPagination()
    pager.request, pager.limit, pager.offset, pager.count = (
        request,
        limit,
        offset,
        count,
    )
    return pager.get_next_link(), pager.get_previous_link()


class NetworkViewSet(viewsets.ModelViewSet):
    """A company's IP networks; a client sees its own company's, read-only."""

    queryset = Network.objects.none()  # scoped in get_queryset()
    serializer_class = NetworkSerializer
    filterset_class = NetworkFilterSet
    search_fields = ["name", "cidr", "description", "company__name"]
    ordering_fields = ["name", "cidr", "vlan", "created_at"]

    def get_queryset(self):
        return Network.objects.visible_to(self.request.user).for_api()

    def _page(self, request) -> tuple[int, int]:
        pager = LimitOffsetPagination()
        return pager.get_offset(request), pager.get_limit(request)

    def _require_write(self, request):
        if not request.user.has_perm("assets.add_host"):
            raise PermissionDenied(_("You may not add hosts."))

    @extend_schema(
        methods=["get"], parameters=PAGE_PARAMETERS, responses=HostSerializer(many=True)
    )
    @extend_schema(
        methods=["post"], request=NetworkHostSerializer, responses=HostSerializer
    )
    @action(
        detail=True, methods=["get", "post"], serializer_class=NetworkHostSerializer
    )
    def hosts(self, request, pk=None):
        """The network's hosts (GET, paginated) or a new host in it (POST)."""
        network = self.get_object()
        if request.method == "POST":
            self._require_write(request)
            payload = NetworkHostSerializer(
                data=request.data, context=self.get_serializer_context()
            )
            payload.is_valid(raise_exception=True)
            host = payload._save(Host(network=network), payload.validated_data)
            return Response(
                HostSerializer(host, context=self.get_serializer_context()).data,
                status=status.HTTP_201_CREATED,
            )
        queryset = network.hosts.select_related("network", "asset").order_by("ip_key")
        pager = LimitOffsetPagination()
        page = pager.paginate_queryset(queryset, request, view=self)
        data = HostSerializer(page, many=True, context=self.get_serializer_context())
        return pager.get_paginated_response(data.data)

    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses=inline_serializer(
            "HostListPage",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "summary": NetworkSummarySerializer(),
                "results": AddressRowSerializer(many=True),
            },
        ),
    )
    @action(detail=True, methods=["get"], url_path="host-list")
    def host_list(self, request, pk=None):
        """Every usable address with its state, a page at a time."""
        network = self.get_object()
        offset, limit = self._page(request)
        rows = list(iter_host_list(network, offset=offset, limit=limit))
        count = network.usable_count
        next_link, previous_link = page_links(request, offset, limit, count)
        summary = network_summary(network)
        for key in ("usable", "assigned", "reserved", "free"):
            summary[key] = json_count(summary[key])
        return Response(
            {
                "count": json_count(count),
                "next": next_link,
                "previous": previous_link,
                "summary": summary,
                "results": AddressRowSerializer(rows, many=True).data,
            }
        )

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"], url_path="host-list-csv")
    def host_list_csv(self, request, pk=None):
        """The whole host list as CSV (formula-safe), streamed."""
        network = self.get_object()
        return host_list_csv_response(network)

    @extend_schema(
        methods=["get"],
        parameters=[
            OpenApiParameter("start", OpenApiTypes.STR, description="First address."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="At most ≤1000."),
        ],
        responses=inline_serializer(
            "AvailableIps",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "results": serializers.ListField(child=serializers.CharField()),
            },
        ),
    )
    @extend_schema(
        methods=["post"], request=ClaimHostSerializer, responses=HostSerializer
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="available-ips",
        serializer_class=ClaimHostSerializer,
    )
    def available_ips(self, request, pk=None):
        """Free addresses from `start` (GET) or claim the next free one (POST)."""
        network = self.get_object()
        if request.method == "POST":
            self._require_write(request)
            payload = ClaimHostSerializer(
                data=request.data, context=self.get_serializer_context()
            )
            payload.is_valid(raise_exception=True)
            host = claim_next_free(network, **payload.validated_data)
            return Response(
                HostSerializer(host, context=self.get_serializer_context()).data,
                status=status.HTTP_201_CREATED,
            )
        limit = LimitOffsetPagination().get_limit(request)
        start = None
        raw = request.query_params.get("start")
        if raw:
            try:
                address = ipaddress.ip_address(raw)
            except ValueError:
                raise ValidationError(
                    {"start": [_("Enter a valid IP address.")]}
                ) from None
            if address.version != network.version:
                raise ValidationError({"start": [_("Wrong IP version.")]})
            start = int(address)
        free = iter_free(network, start=start)
        results = []
        for value in free:
            results.append(value)
            if len(results) > limit:
                break
        has_more = len(results) > limit
        results = results[:limit]
        next_link = None
        if has_more:
            query = request.query_params.copy()
            query["start"] = str(network.address(results[-1] + 1))
            next_link = request.build_absolute_uri(
                request.path + "?" + query.urlencode()
            )
        return Response(
            {
                "count": json_count(network_summary(network)["free"]),
                "next": next_link,
                "results": [str(network.address(v)) for v in results],
            }
        )

    @extend_schema(
        request=BulkCreateHostsSerializer,
        responses={
            201: inline_serializer(
                "BulkHostsCreated", {"created": serializers.IntegerField()}
            )
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="bulk-hosts",
        serializer_class=BulkCreateHostsSerializer,
    )
    def bulk_hosts(self, request, pk=None):
        """Create one host per address of a range, all or none."""
        network = self.get_object()
        self._require_write(request)
        payload = BulkCreateHostsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        hosts = bulk_create_hosts(network, **payload.validated_data)
        return Response({"created": len(hosts)}, status=status.HTTP_201_CREATED)


def host_list_csv_response(network: Network) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        iter_host_list_csv(network), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="network-{network.pk}-hosts.csv"'
    )
    return response


class HostViewSet(viewsets.ModelViewSet):
    """Hosts (addresses in networks); a client sees its own company's, read-only."""

    queryset = Host.objects.none()
    serializer_class = HostSerializer
    filterset_class = HostFilterSet
    search_fields = ["hostname", "ip", "mac", "notes", "asset__hostname"]
    ordering_fields = ["ip_key", "hostname", "created_at"]

    def get_queryset(self):
        return Host.objects.visible_to(self.request.user).for_api()
