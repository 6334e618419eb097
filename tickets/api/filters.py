import django_filters
from django.db.models import Q

from ..choices import (
    OPEN_STATUSES,
    TicketPriority,
    TicketSource,
    TicketStatus,
    TicketType,
)
from ..models import (
    Attachment,
    CannedResponse,
    Comment,
    SlaPolicy,
    Ticket,
    TicketEvent,
    TimeEntry,
)


class TicketFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=TicketStatus.choices)
    is_open = django_filters.BooleanFilter(method="filter_is_open", label="Open")
    priority = django_filters.MultipleChoiceFilter(choices=TicketPriority.choices)
    type = django_filters.MultipleChoiceFilter(choices=TicketType.choices)
    source = django_filters.MultipleChoiceFilter(choices=TicketSource.choices)
    department = django_filters.NumberFilter(field_name="department_id")
    assigned_to = django_filters.NumberFilter(field_name="assignee_id")
    unassigned = django_filters.BooleanFilter(
        field_name="assignee", lookup_expr="isnull"
    )
    company = django_filters.NumberFilter(field_name="company_id")
    requester = django_filters.NumberFilter(field_name="requester_id")
    tag = django_filters.CharFilter(field_name="tags__name", distinct=True)
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte"
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lte"
    )
    updated_after = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte"
    )
    updated_before = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="lte"
    )
    sla_breached = django_filters.BooleanFilter(field_name="sla_breached")
    q = django_filters.CharFilter(method="filter_q", label="Search")

    class Meta:
        model = Ticket
        fields = ["number"]

    def filter_is_open(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.exclude(status__in=OPEN_STATUSES)

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(company__name__icontains=value)
        )


class CommentFilterSet(django_filters.FilterSet):
    ticket = django_filters.NumberFilter(field_name="ticket_id")
    is_internal = django_filters.BooleanFilter()

    class Meta:
        model = Comment
        fields = ["ticket", "is_internal"]


class AttachmentFilterSet(django_filters.FilterSet):
    ticket = django_filters.NumberFilter(field_name="ticket_id")
    comment = django_filters.NumberFilter(field_name="comment_id")

    class Meta:
        model = Attachment
        fields = ["ticket", "comment"]


class TicketEventFilterSet(django_filters.FilterSet):
    ticket = django_filters.NumberFilter(field_name="ticket_id")

    class Meta:
        model = TicketEvent
        fields = ["ticket", "kind", "channel"]


class TimeEntryFilterSet(django_filters.FilterSet):
    ticket = django_filters.NumberFilter(field_name="ticket_id")
    company = django_filters.NumberFilter(field_name="company_id")
    user = django_filters.NumberFilter(field_name="user_id")
    billable = django_filters.BooleanFilter()
    started_after = django_filters.IsoDateTimeFilter(
        field_name="started_at", lookup_expr="gte"
    )
    started_before = django_filters.IsoDateTimeFilter(
        field_name="started_at", lookup_expr="lte"
    )

    class Meta:
        model = TimeEntry
        fields = ["ticket", "company", "user", "billable", "over_credit"]


class CannedResponseFilterSet(django_filters.FilterSet):
    department = django_filters.NumberFilter(field_name="department_id")

    class Meta:
        model = CannedResponse
        fields = ["department"]


class SlaPolicyFilterSet(django_filters.FilterSet):
    priority = django_filters.MultipleChoiceFilter(choices=TicketPriority.choices)
    plan = django_filters.NumberFilter(field_name="plan_id")

    class Meta:
        model = SlaPolicy
        fields = ["priority", "plan", "active"]
