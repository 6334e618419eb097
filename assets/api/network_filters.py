"""Declared FilterSets for networks and hosts (STYLE R12)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ..choices import HostRole
from ..network_models import Host, Network


class NetworkFilterSet(django_filters.FilterSet):
    company = django_filters.NumberFilter(field_name="company_id", label=_("company"))
    location = django_filters.NumberFilter(
        field_name="location_id", label=_("location")
    )
    vlan = django_filters.NumberFilter(label=_("VLAN"))
    version = django_filters.NumberFilter(label=_("IP version"))

    class Meta:
        model = Network
        fields = {"name": ["exact", "icontains"]}


class HostFilterSet(django_filters.FilterSet):
    network = django_filters.NumberFilter(field_name="network_id", label=_("network"))
    company = django_filters.NumberFilter(
        field_name="network__company_id", label=_("company")
    )
    asset = django_filters.NumberFilter(field_name="asset_id", label=_("asset"))
    role = django_filters.MultipleChoiceFilter(
        choices=HostRole.choices, label=_("role"), distinct=False
    )
    ip = django_filters.CharFilter(label=_("IP address"))
    mac = django_filters.CharFilter(lookup_expr="iexact", label=_("MAC address"))

    class Meta:
        model = Host
        fields = {"hostname": ["exact", "icontains"]}
