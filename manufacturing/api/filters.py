import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import (
    OPEN_STATUSES,
    BOMItemStatus,
    ChangeRequestStatus,
    PurchaseOrderStatus,
    Result,
    StepStatus,
    TravelerPriority,
    TravelerStatus,
    WorkCentre,
)
from ..models import (
    BOMItem,
    ChangeRequest,
    CoatingLog,
    Inspection,
    LaborLog,
    ProcessStep,
    PurchaseOrder,
    PurchaseOrderLine,
    RevisionHistory,
    Traveler,
)


class PurchaseOrderFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=PurchaseOrderStatus.choices)

    class Meta:
        model = PurchaseOrder
        fields = {
            "customer": ["exact"],
            "po_number": ["exact", "icontains"],
            "order_date": ["gte", "lte"],
            "due_date": ["gte", "lte"],
        }


class PurchaseOrderLineFilterSet(django_filters.FilterSet):
    class Meta:
        model = PurchaseOrderLine
        fields = {"purchase_order": ["exact"], "part_number": ["exact", "icontains"]}


class TravelerFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=TravelerStatus.choices)
    priority = django_filters.MultipleChoiceFilter(choices=TravelerPriority.choices)
    type = django_filters.CharFilter(
        field_name="traveler_type__code", label=_("type code")
    )
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))

    class Meta:
        model = Traveler
        fields = {
            "traveler_type": ["exact"],
            "purchase_order": ["exact"],
            "customer": ["exact"],
            "number": ["exact"],
            "part_number": ["exact", "icontains"],
        }

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = {"status__in": OPEN_STATUSES, "due_date__lt": timezone.localdate()}
        return queryset.filter(**late) if value else queryset.exclude(**late)


class BOMItemFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=BOMItemStatus.choices)

    class Meta:
        model = BOMItem
        fields = {
            "traveler": ["exact"],
            "supplier": ["exact"],
            "part_number": ["exact", "icontains"],
        }


class ProcessStepFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=StepStatus.choices)
    work_centre = django_filters.MultipleChoiceFilter(choices=WorkCentre.choices)

    class Meta:
        model = ProcessStep
        fields = {"traveler": ["exact"], "requires_signoff": ["exact"]}


class LaborLogFilterSet(django_filters.FilterSet):
    open = django_filters.BooleanFilter(
        field_name="stopped_at", lookup_expr="isnull", label=_("open")
    )

    class Meta:
        model = LaborLog
        fields = {
            "traveler": ["exact"],
            "step": ["exact"],
            "operator": ["exact"],
            "started_at": ["gte", "lte"],
        }


class CoatingLogFilterSet(django_filters.FilterSet):
    result = django_filters.ChoiceFilter(choices=Result.choices)

    class Meta:
        model = CoatingLog
        fields = {
            "traveler": ["exact"],
            "step": ["exact"],
            "coating_type": ["exact"],
            "recorded_at": ["gte", "lte"],
        }


class InspectionFilterSet(django_filters.FilterSet):
    result = django_filters.ChoiceFilter(choices=Result.choices)

    class Meta:
        model = Inspection
        fields = {"traveler": ["exact"], "step": ["exact"], "disposition": ["exact"]}


class ChangeRequestFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ChangeRequestStatus.choices)

    class Meta:
        model = ChangeRequest
        fields = {"traveler": ["exact"], "subject": ["exact"]}


class RevisionHistoryFilterSet(django_filters.FilterSet):
    class Meta:
        model = RevisionHistory
        fields = {"traveler": ["exact"], "subject": ["exact"], "action": ["exact"]}
