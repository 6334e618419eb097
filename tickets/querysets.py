from django.db import models
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from .choices import OPEN_STATUSES, SLA_RUNNING_STATUSES


def _is_portal(user) -> bool:
    return getattr(user, "company_id", None) is not None


def sees_all_tickets(user) -> bool:
    return user.is_superuser or user.has_perm("tickets.view_all_tickets")


def ticket_scope(user) -> Q | None:
    """The Q a staff member's tickets must match; None means every ticket.

    Department scoping (Helpdesk Pro seed): admins (and roles granted
    `view_all_tickets`) see all; managers see their department's tickets and the
    unrouted queue; technicians see their own and their department's queue.
    """
    if sees_all_tickets(user):
        return None
    from .models import Ticket

    watching = Exists(
        Ticket.watchers.through.objects.filter(ticket_id=OuterRef("pk"), user=user)
    )
    own = Q(assignee=user) | Q(created_by=user) | Q(watching)
    if user.is_manager:
        scope = own | Q(department__isnull=True)
        if user.department_id:
            scope |= Q(department_id=user.department_id)
        return scope
    if user.has_perm("tickets.view_ticket"):
        if user.department_id:
            return own | Q(department_id=user.department_id)
        return own
    return Q(pk__in=[])


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if _is_portal(user):
            return self.filter(company_id=user.company_id)
        scope = ticket_scope(user)
        return self if scope is None else self.filter(scope)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def breached_now(self, *, now=None):
        """Running tickets past a due time (whether or not already flagged)."""
        now = now or timezone.now()
        return self.filter(status__in=SLA_RUNNING_STATUSES).filter(
            Q(first_responded_at__isnull=True, first_response_due_at__lt=now)
            | Q(resolution_due_at__lt=now)
        )

    def at_risk_now(self, *, now=None):
        now = now or timezone.now()
        return (
            self.filter(status__in=SLA_RUNNING_STATUSES, sla_warn_at__lte=now)
            .exclude(pk__in=self.breached_now(now=now).values("pk"))
            .exclude(sla_breached=True)
        )

    def for_api(self):
        return self.select_related(
            "company", "requester", "department", "assignee", "merged_into"
        ).prefetch_related("tags", "watchers", "assets")

    def for_list(self):
        return self.select_related("company", "requester", "department", "assignee")


def _ticket_child_scope(queryset, user, *, ticket_field="ticket"):
    from .models import Ticket

    if not user.is_authenticated:
        return queryset.none()
    tickets = Ticket.objects.visible_to(user).values("pk")
    queryset = queryset.filter(**{f"{ticket_field}__in": tickets})
    if _is_portal(user):
        queryset = queryset.filter(is_internal=False)
    return queryset


class CommentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _ticket_child_scope(self, user)

    def public(self):
        return self.filter(is_internal=False)

    def for_api(self):
        return self.select_related("author", "ticket").prefetch_related("attachments")

    def for_list(self):
        return self.select_related("author", "ticket")


class AttachmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _ticket_child_scope(self, user)

    def for_api(self):
        return self.select_related("ticket", "uploaded_by")

    def for_list(self):
        return self.for_api()


class TicketEventQuerySet(models.QuerySet):
    def visible_to(self, user):
        return _ticket_child_scope(self, user)

    def for_api(self):
        return self.select_related("actor", "ticket")

    def for_list(self):
        return self.for_api()


class TimeEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .models import Ticket

        if not user.is_authenticated:
            return self.none()
        if _is_portal(user):
            return self.filter(company_id=user.company_id)
        if sees_all_tickets(user):
            return self
        tickets = Ticket.objects.visible_to(user).values("pk")
        return self.filter(Q(ticket__in=tickets) | Q(user=user))

    def total_minutes(self) -> int:
        return self.aggregate(total=Sum("minutes"))["total"] or 0

    def for_api(self):
        return self.select_related("ticket", "user", "company")

    def for_list(self):
        return self.for_api()


class _StaffOnlyQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated or _is_portal(user):
            return self.none()
        return self


class CannedResponseQuerySet(_StaffOnlyQuerySet):
    def for_api(self):
        return self.select_related("department")

    def for_list(self):
        return self.for_api()


class SlaPolicyQuerySet(_StaffOnlyQuerySet):
    def for_api(self):
        return self.select_related("plan", "calendar")

    def for_list(self):
        return self.for_api()


class BusinessCalendarQuerySet(_StaffOnlyQuerySet):
    def for_api(self):
        return self.prefetch_related("working_hours", "holidays")

    def for_list(self):
        return self


class TagQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        return self

    def for_api(self):
        return self

    def for_list(self):
        return self


class MailboxQuerySet(_StaffOnlyQuerySet):
    def for_api(self):
        return self.select_related("default_department", "default_company")

    def for_list(self):
        return self.for_api()


class InboundMessageQuerySet(_StaffOnlyQuerySet):
    def for_api(self):
        return self.select_related("mailbox", "ticket")

    def for_list(self):
        return self.for_api()
