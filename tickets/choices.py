from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Statuses in which work is outstanding (the queue) and the SLA clock runs.
OPEN_STATUSES = frozenset(
    {TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD}
)
SLA_RUNNING_STATUSES = frozenset({TicketStatus.NEW, TicketStatus.OPEN})
SLA_PAUSED_STATUSES = frozenset({TicketStatus.PENDING, TicketStatus.ON_HOLD})
DONE_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})

# Allowed status changes by an explicit transition. A closed ticket has no way out
# here on purpose: it reopens only through a new public reply (services.reply).
TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.NEW: frozenset(
        {
            TicketStatus.OPEN,
            TicketStatus.PENDING,
            TicketStatus.ON_HOLD,
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
        }
    ),
    TicketStatus.OPEN: frozenset(
        {
            TicketStatus.PENDING,
            TicketStatus.ON_HOLD,
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
        }
    ),
    TicketStatus.PENDING: frozenset(
        {
            TicketStatus.OPEN,
            TicketStatus.ON_HOLD,
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
        }
    ),
    TicketStatus.ON_HOLD: frozenset(
        {
            TicketStatus.OPEN,
            TicketStatus.PENDING,
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
        }
    ),
    TicketStatus.RESOLVED: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}


class TicketPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {
    TicketPriority.LOW: 1,
    TicketPriority.NORMAL: 2,
    TicketPriority.HIGH: 3,
    TicketPriority.URGENT: 4,
}


class TicketType(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    REQUEST = "request", _("Service request")
    PROBLEM = "problem", _("Problem")
    CHANGE = "change", _("Change")
    TASK = "task", _("Task")


class TicketSource(models.TextChoices):
    WEB = "web", _("Web")
    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    API = "api", _("API")


class EventChannel(models.TextChoices):
    """Where a change came from (shown on the timeline)."""

    PAGE = "page", _("Page")
    API = "api", _("API")
    EMAIL = "email", _("Email")
    ADMIN = "admin", _("Back office")
    AUTOMATION = "automation", _("Automation")


class TicketEventKind(models.TextChoices):
    CREATED = "created", _("Created")
    CHANGED = "changed", _("Changed")
    COMMENTED = "commented", _("Commented")
    ATTACHED = "attached", _("Attachment added")
    ATTACHMENT_REMOVED = "attachment_removed", _("Attachment removed")
    TIME_LOGGED = "time_logged", _("Time logged")
    TIME_CHANGED = "time_changed", _("Time changed")
    TIME_REMOVED = "time_removed", _("Time removed")
    MERGED = "merged", _("Merged")
    SPLIT = "split", _("Split")
    REOPENED = "reopened", _("Reopened")
    SLA_AT_RISK = "sla_at_risk", _("SLA at risk")
    SLA_BREACHED = "sla_breached", _("SLA breached")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class InboundOutcome(models.TextChoices):
    CREATED = "created", _("Created a ticket")
    APPENDED = "appended", _("Added to a ticket")
    AUTO_REPLY = "auto_reply", _("Ignored: auto-reply")
    BOUNCE = "bounce", _("Ignored: bounce")
    REJECTED = "rejected", _("Rejected")


class NotificationKind(models.TextChoices):
    NEW_TICKET = "new_ticket", _("New ticket")
    ASSIGNED = "assigned", _("Assigned")
    PUBLIC_REPLY = "public_reply", _("Public reply")
    SLA_AT_RISK = "sla_at_risk", _("SLA at risk")
    SLA_BREACHED = "sla_breached", _("SLA breached")
