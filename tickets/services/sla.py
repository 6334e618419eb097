"""SLA due times and the breach / at-risk check."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..choices import (
    SLA_RUNNING_STATUSES,
    EventChannel,
    NotificationKind,
    TicketEventKind,
)
from ..models import SlaPolicy, Ticket
from .events import record_event


def find_policy(ticket: Ticket) -> SlaPolicy | None:
    """The active policy for the ticket's priority: the company plan's own policy
    when there is one, else the default one."""
    plan_id = ticket.company.plan_id if ticket.company_id else None
    policies = SlaPolicy.objects.filter(active=True, priority=ticket.priority).filter(
        Q(plan__isnull=True) | Q(plan_id=plan_id)
    )
    chosen = None
    for policy in policies.select_related("calendar").prefetch_related(
        "calendar__working_hours", "calendar__holidays"
    ):
        if policy.plan_id is not None:
            return policy
        chosen = policy
    return chosen


def compute_sla(ticket: Ticket, *, policy: SlaPolicy | None = None) -> list[str]:
    """Set the due times from the creation time, the targets and the time spent
    paused; returns the changed field names (the caller saves)."""
    policy = policy if policy is not None else find_policy(ticket)
    fields = ["sla_policy", "first_response_due_at", "resolution_due_at", "sla_warn_at"]
    ticket.sla_policy = policy
    if policy is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        ticket.sla_warn_at = None
        return fields
    hours = policy.business_hours()
    start = ticket.created_at or timezone.now()
    paused = ticket.sla_paused_minutes or 0
    ratio = policy.at_risk_percent / 100
    ticket.first_response_due_at = hours.add(
        start, policy.first_response_minutes + paused
    )
    ticket.resolution_due_at = hours.add(start, policy.resolution_minutes + paused)
    if ticket.first_responded_at is None:
        warn = hours.add(start, policy.first_response_minutes * ratio + paused)
    else:
        warn = hours.add(start, policy.resolution_minutes * ratio + paused)
    if warn != ticket.sla_warn_at and ticket.sla_at_risk_notified_at is not None:
        # A new warning time (first response given, priority changed) may warn again.
        ticket.sla_at_risk_notified_at = None
        fields.append("sla_at_risk_notified_at")
    ticket.sla_warn_at = warn
    return fields


def sla_status_changed(
    ticket: Ticket, *, old_status: str, new_status: str, now: dt.datetime
) -> list[str]:
    """Stop the SLA clock when the ticket leaves new/open (pending, on hold,
    resolved, closed) and start it again, from where it was, when it comes back."""
    changed: list[str] = []
    was_paused = old_status not in SLA_RUNNING_STATUSES
    now_paused = new_status not in SLA_RUNNING_STATUSES
    if now_paused and not was_paused:
        ticket.sla_paused_at = now
        changed.append("sla_paused_at")
    elif was_paused and not now_paused and ticket.sla_paused_at is not None:
        policy = ticket.sla_policy or find_policy(ticket)
        if policy is not None:
            ticket.sla_paused_minutes += policy.business_hours().minutes_between(
                ticket.sla_paused_at, now
            )
        ticket.sla_paused_at = None
        changed += ["sla_paused_at", "sla_paused_minutes"]
        changed += compute_sla(ticket, policy=policy)
    return changed


def is_breached(ticket: Ticket, *, now: dt.datetime) -> bool:
    if ticket.first_response_due_at is not None:
        responded = ticket.first_responded_at or now
        if responded > ticket.first_response_due_at:
            return True
    if ticket.resolution_due_at is not None:
        resolved = ticket.resolved_at or now
        if resolved > ticket.resolution_due_at:
            return True
    return False


def check_sla(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Flag running tickets that are past a due time, and notify about tickets
    that are at risk. Safe to repeat: a ticket is flagged and notified once."""
    from .notifications import schedule_notification

    now = now or timezone.now()
    breached = at_risk = 0
    for ticket_id in (
        Ticket.objects.breached_now(now=now)
        .filter(sla_breached=False)
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update()
                .filter(pk=ticket_id, sla_breached=False)
                .first()
            )
            if ticket is None or ticket.status not in SLA_RUNNING_STATUSES:
                continue
            ticket.sla_breached, ticket.sla_breached_at = True, now
            ticket.save(update_fields=["sla_breached", "sla_breached_at", "updated_at"])
            record_event(
                ticket,
                kind=TicketEventKind.SLA_BREACHED,
                channel=EventChannel.AUTOMATION,
                is_internal=True,
            )
            schedule_notification(NotificationKind.SLA_BREACHED, ticket.pk)
            breached += 1
    for ticket_id in (
        Ticket.objects.at_risk_now(now=now)
        .filter(sla_at_risk_notified_at__isnull=True)
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update()
                .filter(pk=ticket_id, sla_at_risk_notified_at__isnull=True)
                .first()
            )
            if ticket is None:
                continue
            ticket.sla_at_risk_notified_at = now
            ticket.save(update_fields=["sla_at_risk_notified_at", "updated_at"])
            record_event(
                ticket,
                kind=TicketEventKind.SLA_AT_RISK,
                channel=EventChannel.AUTOMATION,
                is_internal=True,
            )
            schedule_notification(NotificationKind.SLA_AT_RISK, ticket.pk)
            at_risk += 1
    return {"breached": breached, "at_risk": at_risk}
