"""Reads for the manufacturing models (STYLE R5): scoping, loading, predicates."""

from django.db import models
from django.db.models import Count, Prefetch, Q
from django.utils import timezone


def _scoped(queryset, user, company_field: str | None):
    """Staff see every row (their permissions decide what they may do); a portal
    user sees only rows of their own company, or none for internal shop data."""
    if not user.is_authenticated:
        return queryset.none()
    if user.is_portal:
        if company_field is None:
            return queryset.none()
        return queryset.filter(**{company_field: user.company_id})
    return queryset


class PurchaseOrderQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "customer_id")

    def for_api(self):
        return self.select_related("customer", "created_by").prefetch_related("lines")

    def for_list(self):
        return self.select_related("customer").annotate(
            line_count=Count("lines", distinct=True)
        )


class PurchaseOrderLineQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "purchase_order__customer_id")

    def for_api(self):
        return self.select_related("purchase_order")

    def for_list(self):
        return self.for_api()


class TravelerTypeQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, None)

    def for_api(self):
        return self.prefetch_related("operations")

    def for_list(self):
        return self.annotate(operation_count=Count("operations"))


class RoutingOperationQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, None)

    def for_api(self):
        return self.select_related("traveler_type")

    def for_list(self):
        return self.for_api()


class BOMTemplateQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, None)

    def for_api(self):
        return self.prefetch_related("lines__supplier")

    def for_list(self):
        return self.annotate(line_count=Count("lines"))


class TravelerQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "customer_id")

    def _with_relations(self):
        return self.select_related(
            "traveler_type",
            "purchase_order",
            "po_line",
            "customer",
            "created_by",
            "released_by",
        )

    def with_progress(self):
        from .choices import StepStatus

        return self.annotate(
            step_count=Count("steps", distinct=True),
            steps_finished=Count(
                "steps",
                filter=Q(steps__status__in=[StepStatus.DONE, StepStatus.SKIPPED]),
                distinct=True,
            ),
        )

    def for_api(self):
        return self._with_relations().with_progress()

    def for_list(self):
        return self.for_api()

    def with_details(self):
        """Everything the detail view, print and station show, in fixed queries."""
        from .models import LaborLog

        return self._with_relations().prefetch_related(
            "bom_items__supplier",
            "steps__signed_off_by",
            "steps__completed_by",
            Prefetch(
                "labor_logs",
                queryset=LaborLog.objects.select_related(
                    "operator", "step", "edited_by"
                ),
            ),
            "coating_logs__operator",
            "coating_logs__inspector",
            "coating_logs__step",
            "inspections__inspector",
            "inspections__step",
            "revisions__actor",
            "change_requests__requested_by",
            "change_requests__decided_by",
        )

    def open(self):
        from .choices import OPEN_STATUSES

        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, *, today=None):
        return self.open().filter(due_date__lt=today or timezone.localdate())


class BOMItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "traveler__customer_id")

    def for_api(self):
        return self.select_related("traveler", "supplier")

    def for_list(self):
        return self.for_api()


class ProcessStepQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, "traveler__customer_id")

    def for_api(self):
        return self.select_related(
            "traveler", "signed_off_by", "completed_by"
        ).prefetch_related("labor_logs")

    def for_list(self):
        return self.select_related("traveler", "signed_off_by", "completed_by")


class LaborLogQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, None)

    def for_api(self):
        return self.select_related("traveler", "step", "operator", "edited_by")

    def for_list(self):
        return self.for_api()

    def open(self):
        return self.filter(stopped_at__isnull=True)

    def closed(self):
        return self.filter(stopped_at__isnull=False)


class CoatingLogQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, None)

    def for_api(self):
        return self.select_related("traveler", "step", "operator", "inspector")

    def for_list(self):
        return self.for_api()


class InspectionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, None)

    def for_api(self):
        return self.select_related("traveler", "step", "inspector")

    def for_list(self):
        return self.for_api()


class ChangeRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, None)

    def for_api(self):
        return self.select_related("traveler", "requested_by", "decided_by")

    def for_list(self):
        return self.for_api()


class RevisionHistoryQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _scoped(self, user, None)

    def for_api(self):
        return self.select_related("traveler", "actor")

    def for_list(self):
        return self.for_api()
