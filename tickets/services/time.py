"""Time entries and their effect on the company's prepaid credits.

The entry and its ledger movement are written in one transaction, so a refused
deduction leaves no entry behind, and a failed entry leaves no deduction. The
amount actually deducted is kept on the entry (`billed_hours`), so an edit or a
deletion refunds or re-deducts exactly the difference.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.services import deduct_credits, refund_credits

from ..choices import TicketEventKind
from ..models import Ticket, TimeEntry, minutes_to_hours
from ..querysets import sees_all_tickets
from .events import record_event

ZERO = Decimal("0")
EDITABLE_FIELDS = ("minutes", "billable", "note", "started_at")


def _require_staff(by) -> None:
    if by is None or getattr(by, "company_id", None) is not None:
        raise PermissionDenied(_("Only staff can log time."))


def _check_owner(entry: TimeEntry, by) -> None:
    if entry.user_id == by.pk or sees_all_tickets(by) or by.is_manager:
        return
    raise PermissionDenied(_("You can change only your own time entries."))


def _rebill(entry: TimeEntry, *, by, target: Decimal, company) -> None:
    """Bring the credits deducted for `entry` to `target` for `company`."""
    reference = entry.reference
    if entry.billed_hours > ZERO and (
        target == ZERO or entry.billed_company_id != getattr(company, "pk", None)
    ):
        refund_credits(
            entry.billed_company,
            amount=entry.billed_hours,
            actor=by,
            reference=reference,
            note=_("Time entry changed or removed"),
        )
        entry.billed_hours = ZERO
    delta = target - entry.billed_hours
    if delta > ZERO:
        transaction_row = deduct_credits(
            company,
            amount=delta,
            actor=by,
            reference=reference,
            note=entry.note[:200]
            or _("Time on %s") % (entry.ticket.number if entry.ticket_id else "—"),
        )
        entry.over_credit = transaction_row.balance_after < ZERO
    elif delta < ZERO:
        refund_credits(
            company,
            amount=-delta,
            actor=by,
            reference=reference,
            note=_("Time entry shortened"),
        )
    entry.billed_hours = target
    entry.billed_company = company if target > ZERO else None
    if target == ZERO:
        entry.over_credit = False


@transaction.atomic
def log_time(
    *,
    by,
    channel: str,
    minutes: int,
    ticket: Ticket | None = None,
    billable: bool = True,
    started_at=None,
    note: str = "",
    user=None,
) -> TimeEntry:
    """Record time worked; billable time is deducted from the company's credits
    in the same transaction (refused when short unless overdraft is allowed)."""
    _require_staff(by)
    user = user or by
    if user != by and not (sees_all_tickets(by) or by.is_manager):
        raise PermissionDenied(_("You can log time only for yourself."))
    company = ticket.company if ticket is not None else None
    if billable and company is None:
        raise ValidationError(
            {"billable": _("Billable time needs a ticket of a company.")}
        )
    entry = TimeEntry(
        ticket=ticket,
        company=company,
        user=user,
        minutes=minutes,
        billable=billable,
        note=note,
        started_at=started_at or timezone.now(),
    )
    entry.full_clean()
    entry.save()
    if billable:
        _rebill(entry, by=by, target=minutes_to_hours(entry.minutes), company=company)
        entry.save(update_fields=["billed_hours", "billed_company", "over_credit"])
    if ticket is not None:
        record_event(
            ticket,
            kind=TicketEventKind.TIME_LOGGED,
            channel=channel,
            by=by,
            new=_("%(minutes)s min (%(billable)s)")
            % {
                "minutes": minutes,
                "billable": _("billable") if billable else _("not billable"),
            },
            is_internal=True,
        )
    return entry


@transaction.atomic
def edit_time(entry: TimeEntry, *, by, channel: str, **changes) -> TimeEntry:
    """Change a time entry; its credits are re-deducted or refunded by the
    difference."""
    _require_staff(by)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed.") for name in unknown}
        )
    # Lock the entry so two edits at once cannot both bill from the same state.
    entry = (
        TimeEntry.objects.select_for_update(of=("self",))
        .select_related("ticket")
        .get(pk=entry.pk)
    )
    _check_owner(entry, by)
    old_minutes = entry.minutes
    for name, value in changes.items():
        setattr(entry, name, value)
    if entry.billable and entry.company_id is None:
        raise ValidationError(
            {"billable": _("Billable time needs a ticket of a company.")}
        )
    entry.full_clean()
    target = minutes_to_hours(entry.minutes) if entry.billable else ZERO
    _rebill(entry, by=by, target=target, company=entry.company)
    entry.save()
    if entry.ticket_id:
        record_event(
            entry.ticket,
            kind=TicketEventKind.TIME_CHANGED,
            channel=channel,
            by=by,
            field="minutes",
            old=old_minutes,
            new=entry.minutes,
            is_internal=True,
        )
    return entry


@transaction.atomic
def delete_time(entry: TimeEntry, *, by, channel: str) -> None:
    """Remove a time entry and refund exactly what it had deducted."""
    _require_staff(by)
    entry = (
        TimeEntry.objects.select_for_update(of=("self",))
        .select_related("ticket", "billed_company")
        .filter(pk=entry.pk)
        .first()
    )
    if entry is None:
        raise ValidationError({"time_entry": _("This time entry no longer exists.")})
    _check_owner(entry, by)
    if entry.billed_hours > ZERO:
        refund_credits(
            entry.billed_company,
            amount=entry.billed_hours,
            actor=by,
            reference=entry.reference,
            note=_("Time entry removed"),
        )
    ticket = entry.ticket
    minutes = entry.minutes
    entry.delete()
    if ticket is not None:
        record_event(
            ticket,
            kind=TicketEventKind.TIME_REMOVED,
            channel=channel,
            by=by,
            old=_("%s min") % minutes,
            is_internal=True,
        )
