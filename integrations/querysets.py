from django.db import models
from django.db.models import OuterRef, Subquery


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

    def with_last_run_id(self):
        from .models import SyncRun

        latest = SyncRun.objects.filter(job=OuterRef("pk")).order_by(
            "-created_at", "-id"
        )
        return self.annotate(last_run_id=Subquery(latest.values("id")[:1]))

    def for_api(self):
        return self.select_related("periodic_task").with_last_run_id()

    def for_list(self):
        return self.for_api()

    def with_last_runs(self) -> list:
        """Evaluate and attach `last_run` to each job with one more query."""
        from .models import SyncRun

        jobs = list(self.with_last_run_id())
        ids = [job.last_run_id for job in jobs if job.last_run_id]
        runs = SyncRun.objects.in_bulk(ids) if ids else {}
        for job in jobs:
            job.last_run = runs.get(job.last_run_id)
        return jobs


class SyncRunQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _staff_only(self, user)

    def for_api(self):
        return self.select_related("job", "triggered_by")

    def for_list(self):
        return self.select_related("job", "triggered_by").defer("log")
