import django_filters

from ..choices import CompanyKind, CompanyStatus, CreditTransactionKind
from ..models import Company, CreditAccount, CreditTransaction, Location, Plan


class CompanyFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=CompanyKind.choices)
    status = django_filters.MultipleChoiceFilter(choices=CompanyStatus.choices)
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Company
        fields = {
            "account_number": ["exact", "in"],
            "freshservice_id": ["exact", "isnull"],
            "plan": ["exact", "isnull"],
            "created_at": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }


class PlanFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Plan
        fields = {"active": ["exact"]}


class LocationFilterSet(django_filters.FilterSet):
    company = django_filters.NumberFilter(field_name="company_id")
    account_number = django_filters.NumberFilter(field_name="company__account_number")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Location
        fields = ["company", "account_number", "name"]


class CreditAccountFilterSet(django_filters.FilterSet):
    company = django_filters.NumberFilter(field_name="company_id")
    account_number = django_filters.NumberFilter(field_name="company__account_number")
    low = django_filters.BooleanFilter(method="filter_low", label="low balance")

    class Meta:
        model = CreditAccount
        fields = {"allow_overdraft": ["exact"], "balance": ["lte", "gte"]}

    def filter_low(self, queryset, name, value):
        if value is None:
            return queryset
        low = queryset.low()
        return low if value else queryset.exclude(pk__in=low.values("pk"))


class CreditTransactionFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=CreditTransactionKind.choices)
    company = django_filters.NumberFilter(field_name="account__company_id")
    account_number = django_filters.NumberFilter(
        field_name="account__company__account_number"
    )

    class Meta:
        model = CreditTransaction
        fields = {
            "reference": ["exact"],
            "actor": ["exact"],
            "created_at": ["gte", "lte"],
        }
