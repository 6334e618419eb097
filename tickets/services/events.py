"""The audit trail of a ticket."""

from __future__ import annotations

from ..models import Ticket, TicketEvent


def actor_or_none(by):
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def display(value) -> str:
    if value is None or value == "":
        return ""
    if hasattr(value, "get_absolute_url") or hasattr(value, "pk"):
        return str(value)
    return str(value)


def record_event(
    ticket: Ticket,
    *,
    kind: str,
    channel: str,
    by=None,
    field: str = "",
    old="",
    new="",
    is_internal: bool = False,
) -> TicketEvent:
    """Append one line to the ticket's audit trail."""
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        field=field,
        old_value=display(old)[:2000],
        new_value=display(new)[:2000],
        actor=actor_or_none(by),
        channel=channel,
        is_internal=is_internal,
    )
