from django.db import models
from django.db.models import OuterRef, Prefetch, Subquery


def _staff_only(queryset, user):
    """Integration records are back-office data: portal users see none of them."""
    if not user.is_authenticated or user.is_portal:
        return queryset.none()
    return queryset


class ConnectionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _staff_only(self, user)

    def for_api(self):
        return self

    def for_list(self):
        return self


class SyncJobQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _staff_only(self, user)

    def with_last_run(self):
        """Prefetch each job's latest run (one query for all jobs) as `last_run`."""
        from .models import SyncRun

        latest = SyncRun.objects.filter(job=OuterRef("job")).order_by(
            "-created_at", "-id"
        )
        runs = SyncRun.objects.filter(pk=Subquery(latest.values("pk")[:1])).defer("log")
        return self.prefetch_related(
            Prefetch("runs", queryset=runs, to_attr="latest_runs")
        )

    def for_api(self):
        return self.select_related("periodic_task").with_last_run()

    def for_list(self):
        return self.for_api()


class SyncRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _staff_only(self, user)

    def for_api(self):
        return self.select_related("job", "triggered_by")

    def for_list(self):
        return self.select_related("job", "triggered_by").defer("log")
