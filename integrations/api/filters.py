import django_filters

from ..choices import SyncJobKind, SyncStatus, SyncTrigger
from ..models import SyncJob, SyncRun


class SyncJobFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=SyncJobKind.choices)

    class Meta:
        model = SyncJob
        fields = {"enabled": ["exact"]}


class SyncRunFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=SyncStatus.choices)
    trigger = django_filters.MultipleChoiceFilter(choices=SyncTrigger.choices)
    kind = django_filters.MultipleChoiceFilter(
        field_name="job__kind", choices=SyncJobKind.choices
    )

    class Meta:
        model = SyncRun
        fields = {
            "job": ["exact"],
            "dry_run": ["exact"],
            "created_at": ["gte", "lte"],
            "finished_at": ["gte", "lte"],
        }
