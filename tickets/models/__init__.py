from .billing import TimeEntry, minutes_to_hours
from .mail import InboundMessage, Mailbox
from .sla import BusinessCalendar, Holiday, SlaPolicy, WorkingHours
from .tickets import (
    Attachment,
    CannedResponse,
    Comment,
    Tag,
    Ticket,
    TicketEvent,
)

__all__ = [
    "Attachment",
    "BusinessCalendar",
    "CannedResponse",
    "Comment",
    "Holiday",
    "InboundMessage",
    "Mailbox",
    "SlaPolicy",
    "Tag",
    "Ticket",
    "TicketEvent",
    "TimeEntry",
    "WorkingHours",
    "minutes_to_hours",
]
