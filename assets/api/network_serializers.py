"""Network and host serializers (full + brief, STYLE R11)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from companies.models import Company, Location
from nexus.api import VisiblePKField

from ..choices import AddressState, HostRole
from ..models import Asset
from ..network_models import Host, Network, normalise_mac
from ..networks import save_network
from .serializers import CompanyRefSerializer


def _as_drf_error(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(serializers.as_serializer_error(exc))


class NetworkBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:network-detail")
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Network
        fields = ["id", "url", "display", "name", "cidr"]


class NetworkSerializer(serializers.ModelSerializer):
    """A network; overlapping another network of the company is refused (400)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:network-detail")
    display = serializers.CharField(source="__str__", read_only=True)
    company = CompanyRefSerializer(read_only=True)
    company_id = VisiblePKField(
        source="company", queryset=Company.objects.all(), write_only=True
    )
    location = VisiblePKField(
        queryset=Location.objects.all(), allow_null=True, required=False
    )
    dns_servers = serializers.ListField(
        child=serializers.IPAddressField(), required=False, max_length=16
    )
    host_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Network
        fields = [
            "id",
            "url",
            "display",
            "company",
            "company_id",
            "location",
            "name",
            "cidr",
            "version",
            "vlan",
            "gateway",
            "dns_servers",
            "dhcp_start",
            "dhcp_end",
            "description",
            "host_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]
        validators = []  # Network.clean() says which network overlaps

    def validate(self, attrs):
        company = attrs.get("company", getattr(self.instance, "company", None))
        location = attrs.get("location")
        if location is not None and company is not None:
            if location.company_id != company.pk:
                raise serializers.ValidationError(
                    {"location": _("This location belongs to another company.")}
                )
        return attrs

    def _save(self, instance, validated_data):
        for field, value in validated_data.items():
            setattr(instance, field, value)
        try:
            save_network(instance)
        except DjangoValidationError as exc:
            raise _as_drf_error(exc) from None
        instance.host_count = instance.hosts.count()
        return instance

    def create(self, validated_data):
        return self._save(Network(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class HostSerializer(serializers.ModelSerializer):
    """An address of a network; it must lie in the network and be unused."""

    url = serializers.HyperlinkedIdentityField(view_name="api:host-detail")
    display = serializers.CharField(source="__str__", read_only=True)
    network = VisiblePKField(queryset=Network.objects.all())
    asset = VisiblePKField(
        queryset=Asset.objects.all(), allow_null=True, required=False
    )
    asset_hostname = serializers.CharField(
        source="asset.hostname", read_only=True, default=None, allow_null=True
    )
    ip = serializers.IPAddressField()

    class Meta:
        model = Host
        fields = [
            "id",
            "url",
            "display",
            "network",
            "ip",
            "hostname",
            "mac",
            "asset",
            "asset_hostname",
            "role",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []  # Host.clean() checks the address in the network

    def validate_mac(self, value):
        if not value:
            return ""
        try:
            return normalise_mac(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def _save(self, instance, validated_data):
        for field, value in validated_data.items():
            setattr(instance, field, value)
        try:
            instance.full_clean()
        except DjangoValidationError as exc:
            raise _as_drf_error(exc) from None
        instance.save()
        return instance

    def create(self, validated_data):
        return self._save(Host(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class NetworkHostSerializer(HostSerializer):
    """A host posted to /networks/<id>/hosts: the network comes from the URL."""

    network = serializers.PrimaryKeyRelatedField(read_only=True)


class ClaimHostSerializer(serializers.Serializer):
    hostname = serializers.CharField(max_length=150, required=False, default="")
    mac = serializers.CharField(max_length=17, required=False, default="")
    role = serializers.ChoiceField(choices=HostRole.choices, default=HostRole.OTHER)
    notes = serializers.CharField(required=False, default="")
    asset = VisiblePKField(
        queryset=Asset.objects.all(), allow_null=True, required=False, default=None
    )

    def validate_mac(self, value):
        if not value:
            return ""
        try:
            return normalise_mac(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class BulkCreateHostsSerializer(serializers.Serializer):
    start = serializers.CharField()
    end = serializers.CharField()
    hostname_prefix = serializers.CharField(
        max_length=100, required=False, default="", allow_blank=True
    )
    role = serializers.ChoiceField(choices=HostRole.choices, default=HostRole.OTHER)


class AddressRowSerializer(serializers.Serializer):
    ip = serializers.CharField()
    state = serializers.ChoiceField(choices=AddressState.choices)
    host = serializers.IntegerField(source="host.pk", default=None, allow_null=True)
    hostname = serializers.CharField()
    asset = serializers.IntegerField(
        source="host.asset_id", default=None, allow_null=True
    )


class NetworkSummarySerializer(serializers.Serializer):
    usable = serializers.IntegerField()
    assigned = serializers.IntegerField()
    reserved = serializers.IntegerField()
    free = serializers.IntegerField()
    utilisation = serializers.FloatField()
    next_free = serializers.CharField(allow_null=True)
