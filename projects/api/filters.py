import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import (
    OPEN_TASK_STATUSES,
    ProjectStatus,
    TaskPriority,
    TaskStatus,
    ThreadKind,
)
from ..models import Project, Task, TaskTimeEntry, Thread


class SeedMultipleChoiceField(django_filters.fields.MultipleChoiceField):
    def clean(self, value):
        if value:
            value = [str(v).replace("-", "_") for v in value]
        return super().clean(value)


class SeedMultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    """Also accepts the seed's hyphenated values (?status=in-progress)."""

    field_class = SeedMultipleChoiceField


class ProjectFilterSet(django_filters.FilterSet):
    status = SeedMultipleChoiceFilter(choices=ProjectStatus.choices)
    client = django_filters.NumberFilter(field_name="client_id")
    client_id = django_filters.NumberFilter(field_name="client_id")
    manager = django_filters.NumberFilter(field_name="manager_id")
    member = django_filters.NumberFilter(field_name="members", distinct=True)
    deadline_after = django_filters.DateFilter(field_name="deadline", lookup_expr="gte")
    deadline_before = django_filters.DateFilter(
        field_name="deadline", lookup_expr="lte"
    )

    class Meta:
        model = Project
        fields = {"start_date": ["gte", "lte"], "code": ["exact"]}


class TaskFilterSet(django_filters.FilterSet):
    status = SeedMultipleChoiceFilter(choices=TaskStatus.choices)
    priority = django_filters.MultipleChoiceFilter(choices=TaskPriority.choices)
    project = django_filters.NumberFilter(field_name="project_id")
    project_id = django_filters.NumberFilter(field_name="project_id")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    assigned_to = django_filters.NumberFilter(field_name="assignee_id")
    unassigned = django_filters.BooleanFilter(
        field_name="assignee", lookup_expr="isnull", label=_("Unassigned")
    )
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))

    class Meta:
        model = Task
        fields: dict = {}

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status__in=OPEN_TASK_STATUSES, due_date__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class ThreadFilterSet(django_filters.FilterSet):
    project = django_filters.NumberFilter(field_name="project_id")
    company = django_filters.NumberFilter(field_name="company_id")
    member = django_filters.NumberFilter(field_name="members", distinct=True)
    kind = django_filters.ChoiceFilter(choices=ThreadKind.choices, method="filter_kind")

    class Meta:
        model = Thread
        fields: dict = {}

    def filter_kind(self, queryset, name, value):
        if value == ThreadKind.PROJECT:
            return queryset.filter(project__isnull=False)
        if value == ThreadKind.COMPANY:
            return queryset.filter(company__isnull=False)
        return queryset.filter(project__isnull=True, company__isnull=True)


class TaskTimeEntryFilterSet(django_filters.FilterSet):
    task = django_filters.NumberFilter(field_name="task_id")
    project = django_filters.NumberFilter(field_name="task__project_id")
    user = django_filters.NumberFilter(field_name="time_entry__user_id")
    billable = django_filters.BooleanFilter(field_name="time_entry__billable")
    started_after = django_filters.DateTimeFilter(
        field_name="time_entry__started_at", lookup_expr="gte"
    )
    started_before = django_filters.DateTimeFilter(
        field_name="time_entry__started_at", lookup_expr="lte"
    )

    class Meta:
        model = TaskTimeEntry
        fields: dict = {}
