"""Email notifications (new ticket, assignment, public reply, SLA at risk/breached).

They are sent after commit by a Celery task, one message per recipient so that no
one sees another recipient's address. Subjects carry the ticket number, so a reply
threads back to the ticket (see services.inbound).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import Role

from ..choices import NotificationKind
from ..models import Comment, Ticket

logger = logging.getLogger(__name__)


def schedule_notification(
    kind: str, ticket_id: int, *, comment_id: int | None = None
) -> None:
    """Queue a notification once the current transaction commits."""
    from ..tasks import send_ticket_notification_task

    transaction.on_commit(
        lambda: _queue(send_ticket_notification_task, kind, ticket_id, comment_id)
    )


def _queue(task, kind: str, ticket_id: int, comment_id: int | None) -> None:
    """With the broker down, send in this process rather than fail the request
    (the ticket is already saved) or lose the email."""
    from kombu.exceptions import OperationalError as BrokerError

    try:
        task.delay(kind, ticket_id, comment_id=comment_id)
    except BrokerError as exc:
        logger.warning(
            "broker unavailable (%s): sending %s notification inline", exc, kind
        )
        task.apply(
            args=(kind, ticket_id), kwargs={"comment_id": comment_id}, throw=False
        )


def _staff_emails(users) -> set[str]:
    return {
        u.email
        for u in users
        if u is not None and u.is_active and not u.is_portal and u.email
    }


def _managers(ticket: Ticket):
    User = get_user_model()
    if ticket.department_id and ticket.department.manager_id:
        return [ticket.department.manager]
    return list(User.objects.filter(groups__name=Role.MANAGER, company__isnull=True))


def recipients(kind: str, ticket: Ticket, comment: Comment | None = None) -> set[str]:
    User = get_user_model()
    if kind == NotificationKind.NEW_TICKET:
        if ticket.department_id:
            users = list(User.objects.filter(department_id=ticket.department_id))
            users += _managers(ticket)
        else:
            users = _managers(ticket)
        emails = _staff_emails(users)
        if ticket.created_by_id and ticket.created_by.email:
            emails.discard(ticket.created_by.email)
        return emails
    if kind == NotificationKind.ASSIGNED:
        return _staff_emails([ticket.assignee])
    if kind == NotificationKind.PUBLIC_REPLY:
        if comment is None or comment.is_internal:
            return set()
        author = comment.author
        if author is not None and not author.is_portal:
            if ticket.requester_id and ticket.requester.email:
                return {ticket.requester.email}
            creator = ticket.created_by
            # A client who opened the ticket in the portal without a contact record.
            if creator is not None and creator.is_portal and creator.email:
                return {creator.email}
            return set()
        # A reply from the client side goes to whoever works the ticket.
        if ticket.assignee_id:
            return _staff_emails([ticket.assignee])
        return _staff_emails(_managers(ticket))
    if kind in (NotificationKind.SLA_AT_RISK, NotificationKind.SLA_BREACHED):
        return _staff_emails([ticket.assignee, *_managers(ticket)])
    return set()


def _compose(kind: str, ticket: Ticket, comment: Comment | None) -> tuple[str, str]:
    tag = ticket.subject_tag
    # NEXUS_BASE_URL (e.g. https://nexus.example.com) makes the link absolute.
    link = (
        getattr(settings, "NEXUS_BASE_URL", "").rstrip("/") + ticket.get_absolute_url()
    )
    if kind == NotificationKind.NEW_TICKET:
        subject = _("New ticket %(tag)s %(title)s")
        body = _("A new ticket was opened.\n\n%(title)s\n\n%(text)s\n\n%(link)s")
        text = ticket.description
    elif kind == NotificationKind.ASSIGNED:
        subject = _("Assigned to you: %(tag)s %(title)s")
        body = _("This ticket was assigned to you.\n\n%(title)s\n\n%(link)s")
        text = ""
    elif kind == NotificationKind.PUBLIC_REPLY:
        subject = _("Re: %(tag)s %(title)s")
        body = _(
            "%(text)s\n\n-- \nReply to this email to answer; keep %(tag)s in the "
            "subject.\n%(link)s"
        )
        text = comment.body if comment else ""
    elif kind == NotificationKind.SLA_AT_RISK:
        subject = _("SLA at risk: %(tag)s %(title)s")
        body = _(
            "The SLA of this ticket is at risk.\nResolution due: %(due)s\n\n%(link)s"
        )
        text = ""
    else:
        subject = _("SLA breached: %(tag)s %(title)s")
        body = _(
            "The SLA of this ticket is breached.\nResolution due: %(due)s\n\n%(link)s"
        )
        text = ""
    values = {
        "tag": tag,
        "title": ticket.title,
        "text": text,
        "link": link,
        "due": ticket.resolution_due_at or "—",
    }
    return subject % values, body % values


def send_notification(
    kind: str, ticket: Ticket, *, comment: Comment | None = None
) -> int:
    """Send the notification now; returns the number of messages sent."""
    emails = sorted(recipients(kind, ticket, comment))
    if not emails:
        return 0
    subject, body = _compose(kind, ticket, comment)
    messages = [
        EmailMessage(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email],
            headers={
                "Auto-Submitted": "auto-generated",
                "X-Nexus-Ticket": ticket.number,
            },
        )
        for email in emails
    ]
    return get_connection().send_messages(messages) or 0
