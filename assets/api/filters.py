"""Declared FilterSets for the inventory API and pages (STYLE R12)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ..choices import AssetStatus, LicenceStatus
from ..fleet_models import FleetAlert
from ..models import Asset, Licence, LicenceAssignment, Software


class AssetFilterSet(django_filters.FilterSet):
    company = django_filters.NumberFilter(field_name="company_id", label=_("company"))
    company_account_number = django_filters.NumberFilter(
        field_name="company__account_number", label=_("company account number")
    )
    hostname = django_filters.CharFilter(lookup_expr="iexact", label=_("hostname"))
    hostname__icontains = django_filters.CharFilter(
        field_name="hostname", lookup_expr="icontains", label=_("hostname contains")
    )
    status = django_filters.MultipleChoiceFilter(
        choices=AssetStatus.choices, label=_("status"), distinct=False
    )
    online = django_filters.BooleanFilter(label=_("online"))
    operating_system = django_filters.CharFilter(
        lookup_expr="icontains", label=_("operating system contains")
    )
    last_seen_after = django_filters.IsoDateTimeFilter(
        field_name="last_seen", lookup_expr="gte", label=_("last seen on or after")
    )
    last_seen_before = django_filters.IsoDateTimeFilter(
        field_name="last_seen", lookup_expr="lte", label=_("last seen on or before")
    )
    warranty_expires_before = django_filters.DateFilter(
        field_name="warranty_expires",
        lookup_expr="lt",
        label=_("warranty expires before"),
    )
    rmm_device_uid = django_filters.CharFilter(label=_("RMM device uid"))
    stale = django_filters.BooleanFilter(
        field_name="stale_since", lookup_expr="isnull", exclude=True, label=_("stale")
    )

    class Meta:
        model = Asset
        fields = {
            "location": ["exact"],
            "asset_tag": ["exact"],
            "serial_number": ["exact"],
            "assigned_contact": ["exact"],
            "assigned_user": ["exact"],
            "device_type": ["exact"],
            "hardware_type": ["exact"],
            "updated_at": ["gte", "lte"],
        }


class SoftwareFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(
        lookup_expr="icontains", label=_("product contains")
    )

    class Meta:
        model = Software
        fields = {"vendor": ["exact"], "category": ["exact"], "version": ["exact"]}


class LicenceFilterSet(django_filters.FilterSet):
    company = django_filters.NumberFilter(field_name="company_id", label=_("company"))
    company_account_number = django_filters.NumberFilter(
        field_name="company__account_number", label=_("company account number")
    )
    status = django_filters.MultipleChoiceFilter(
        choices=LicenceStatus.choices, label=_("status"), distinct=False
    )
    expires_before = django_filters.DateFilter(
        field_name="expires_on", lookup_expr="lt", label=_("expires before")
    )

    class Meta:
        model = Licence
        fields = {"software": ["exact"], "expires_on": ["gte", "lte"]}


class LicenceAssignmentFilterSet(django_filters.FilterSet):
    company = django_filters.NumberFilter(
        field_name="licence__company_id", label=_("company")
    )

    class Meta:
        model = LicenceAssignment
        fields = {
            "licence": ["exact"],
            "asset": ["exact"],
            "user": ["exact"],
            "contact": ["exact"],
        }


class FleetAlertFilterSet(django_filters.FilterSet):
    open = django_filters.BooleanFilter(
        method="filter_open",
        label=_("open"),
        help_text=_("Only alerts not resolved yet (true) or only resolved ones."),
    )

    class Meta:
        model = FleetAlert
        fields = ["kind", "agent"]

    def filter_open(self, queryset, name, value):
        open_alerts = queryset.open()
        return (
            open_alerts if value else queryset.exclude(pk__in=open_alerts.values("pk"))
        )
