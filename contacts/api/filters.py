"""Declared FilterSet for contacts (STYLE R12)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ..choices import ContactKind, EmploymentType
from ..models import Contact


class ContactFilterSet(django_filters.FilterSet):
    company = django_filters.NumberFilter(field_name="companies", label=_("company"))
    company_account_number = django_filters.NumberFilter(
        field_name="companies__account_number", label=_("company account number")
    )
    email = django_filters.CharFilter(lookup_expr="iexact", label=_("email"))
    active = django_filters.BooleanFilter(label=_("active"))
    kind = django_filters.MultipleChoiceFilter(
        choices=ContactKind.choices, label=_("kind"), distinct=False
    )
    employment_type = django_filters.MultipleChoiceFilter(
        choices=EmploymentType.choices, label=_("employment type"), distinct=False
    )
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("name contains"))

    class Meta:
        model = Contact
        fields = {"freshservice_id": ["exact"], "updated_at": ["gte", "lte"]}
