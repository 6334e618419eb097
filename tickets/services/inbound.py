"""Email-to-ticket: poll an IMAP mailbox, turn new threads into tickets and
replies into comments.

A message is recorded by its Message-ID (unique) in the same transaction that
creates the ticket or comment, and only then flagged \\Seen on the server: if the
poller dies in between, the next poll sees the message again and skips it, so a
message never makes two tickets. Auto-replies (RFC 3834) and bounces are
recorded and ignored, which also stops mail loops with other robots.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from dataclasses import dataclass, field
from email.utils import parseaddr

import nh3
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.models import Company
from contacts.models import Contact

from ..choices import EventChannel, InboundOutcome, TicketSource
from ..models import InboundMessage, Mailbox, Ticket
from .attachments import add_attachment
from .tickets import create_ticket, reply_to_ticket

logger = logging.getLogger(__name__)

TICKET_TAG = re.compile(r"\[(T-\d{6,})\]", re.IGNORECASE)
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
ROBOT_SENDERS = ("mailer-daemon", "postmaster", "noreply-dsn")


@dataclass
class PollResult:
    fetched: int = 0
    created: int = 0
    appended: int = 0
    ignored: int = 0
    duplicates: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _header(message, name: str) -> str:
    values = message.headers.get(name.lower()) or ()
    return " ".join(v.strip() for v in values)


def message_id_of(message) -> str:
    found = MESSAGE_ID.findall(_header(message, "message-id"))
    if found:
        return found[0][:500]
    # No Message-ID: derive a stable one from the raw message so that a repeat
    # poll still recognises it.
    digest = hashlib.sha256(message.obj.as_bytes()).hexdigest()
    return f"<sha256-{digest}@nexus.invalid>"


def classify(message) -> str | None:
    """InboundOutcome.BOUNCE / AUTO_REPLY for robot mail, else None."""
    sender = (message.from_ or "").lower()
    content_type = _header(message, "content-type").lower()
    if (
        sender.split("@")[0] in ROBOT_SENDERS
        or "report-type=delivery-status" in content_type
    ):
        return InboundOutcome.BOUNCE
    auto = _header(message, "auto-submitted").lower()
    if auto and auto != "no":
        return InboundOutcome.AUTO_REPLY
    if _header(message, "x-autoreply") or _header(message, "x-autorespond"):
        return InboundOutcome.AUTO_REPLY
    if _header(message, "precedence").lower() in ("auto_reply", "bulk", "junk", "list"):
        return InboundOutcome.AUTO_REPLY
    return None


def _body(message) -> str:
    text = message.text or ""
    if not text.strip() and message.html:
        text = html.unescape(nh3.clean(message.html, tags=set()))
    return _strip_quoted(text).strip()


def _strip_quoted(text: str) -> str:
    """Drop the quoted previous message a mail client appends to a reply."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept = []
    for index, line in enumerate(lines):
        if re.match(r"^On .+wrote:\s*$", line.strip()) or line.strip().startswith(
            "-----Original Message-----"
        ):
            break
        if line.startswith(">") and all(
            not rest.strip() or rest.startswith(">") for rest in lines[index:]
        ):
            break
        kept.append(line)
    return "\n".join(kept)


def _find_contact(email: str) -> Contact | None:
    contact = Contact.objects.filter(email__iexact=email).first()
    if contact is not None:
        return contact
    for candidate in Contact.objects.exclude(secondary_emails=[]).only(
        "pk", "secondary_emails"
    ):
        if email in [e.lower() for e in candidate.secondary_emails or []]:
            return candidate
    return None


def _company_for(email: str, contact: Contact | None, mailbox: Mailbox):
    if contact is not None:
        company = contact.companies.order_by("pk").first()
        if company is not None:
            return company
    domain = email.rpartition("@")[2].lower()
    if domain:
        for company in Company.objects.exclude(domains=[]).only("pk", "domains"):
            if domain in [str(d).lower().lstrip("@") for d in company.domains or []]:
                return Company.objects.get(pk=company.pk)
    return mailbox.default_company


def _thread_ticket(message, subject: str) -> Ticket | None:
    match = TICKET_TAG.search(subject)
    if match:
        ticket = Ticket.objects.filter(number=match.group(1).upper()).first()
        if ticket is not None:
            return ticket
    references = MESSAGE_ID.findall(
        _header(message, "in-reply-to") + " " + _header(message, "references")
    )
    if references:
        known = (
            InboundMessage.objects.filter(
                message_id__in=references, ticket__isnull=False
            )
            .select_related("ticket")
            .first()
        )
        if known is not None:
            return known.ticket
    return None


def _uploads(message):
    for part in message.attachments:
        if not part.payload:
            continue
        yield SimpleUploadedFile(
            part.filename or "attachment", part.payload, content_type=part.content_type
        )


def _attach_all(ticket, message, *, by, comment=None) -> list[str]:
    refused = []
    for upload in _uploads(message):
        try:
            with transaction.atomic():
                add_attachment(
                    ticket,
                    upload=upload,
                    by=by,
                    channel=EventChannel.EMAIL,
                    comment=comment,
                )
        except ValidationError as exc:
            refused.append(f"{upload.name}: {'; '.join(exc.messages)}")
    return refused


def _sender_may_reply(ticket: Ticket, email: str, contact, staff_user) -> bool:
    if staff_user is not None:
        return True
    if ticket.requester_id and ticket.requester.email.lower() == email:
        return True
    return bool(
        contact is not None
        and ticket.company_id
        and contact.companies.filter(pk=ticket.company_id).exists()
    )


@transaction.atomic
def process_message(mailbox: Mailbox, message) -> tuple[InboundMessage, bool]:
    """Turn one message into a ticket or a comment; returns (record, is_new).

    Runs twice for the same message without effect: the Message-ID is unique.
    """
    message_id = message_id_of(message)
    subject = (message.subject or "").strip()
    email = (
        parseaddr(message.from_ or "")[1].strip().lower()
        or (message.from_ or "").lower()
    )
    try:
        # Savepoint: a duplicate must not abort the caller's transaction.
        with transaction.atomic():
            record = InboundMessage.objects.create(
                mailbox=mailbox,
                message_id=message_id,
                from_address=email[:320],
                subject=subject[:500],
                outcome=InboundOutcome.REJECTED,
            )
    except IntegrityError:
        return InboundMessage.objects.get(message_id=message_id), False
    robot = classify(message)
    if robot is not None:
        record.outcome = robot
        record.save(update_fields=["outcome"])
        return record, True
    User = get_user_model()
    staff_user = User.objects.filter(
        email__iexact=email, company__isnull=True, is_active=True
    ).first()
    contact = _find_contact(email)
    body = _body(message) or subject or _("(empty message)")
    ticket = _thread_ticket(message, subject)
    notes = []
    if staff_user is not None and not mailbox.trust_staff_senders:
        # A forged From: must not let anyone speak publicly as staff.
        staff_user = None
        unverified_staff = True
    else:
        unverified_staff = False
    if ticket is not None:
        verified = not unverified_staff and _sender_may_reply(
            ticket, email, contact, staff_user
        )
        if not verified:
            body = _("From an unverified sender (%(email)s):\n\n%(body)s") % {
                "email": email,
                "body": body,
            }
        try:
            comment = reply_to_ticket(
                ticket,
                by=staff_user,
                body=body,
                channel=EventChannel.EMAIL,
                is_internal=not verified,
                author_email=email,
            )
        except ValidationError:
            # Closed for longer than the reopen window: a follow-up ticket.
            notes.append(_("Follow-up of %s, which is closed.") % ticket.number)
        else:
            notes += _attach_all(
                comment.ticket, message, by=staff_user, comment=comment
            )
            record.outcome, record.ticket = InboundOutcome.APPENDED, comment.ticket
            record.detail = "\n".join(notes)
            record.save(update_fields=["outcome", "ticket", "detail"])
            return record, True
    company = _company_for(email, contact, mailbox)
    requester = contact
    if requester is not None and company is not None:
        if not requester.companies.filter(pk=company.pk).exists():
            requester = None
    description = body
    if notes:
        description = f"{notes[0]}\n\n{body}"
    new_ticket = create_ticket(
        by=staff_user,
        channel=EventChannel.EMAIL,
        title=(subject or _("(no subject)"))[:250],
        description=description,
        company=company,
        requester=requester,
        priority=mailbox.default_priority,
        department=mailbox.default_department,
        source=TicketSource.EMAIL,
    )
    notes += _attach_all(new_ticket, message, by=staff_user)
    record.outcome, record.ticket = InboundOutcome.CREATED, new_ticket
    record.detail = "\n".join(notes)
    record.save(update_fields=["outcome", "ticket", "detail"])
    return record, True


def open_imap(mailbox: Mailbox):
    from imap_tools import MailBox, MailBoxUnencrypted

    cls = MailBox if mailbox.use_tls else MailBoxUnencrypted
    client = cls(mailbox.host, port=mailbox.port, timeout=30)
    return client.login(
        mailbox.username, mailbox.password, initial_folder=mailbox.folder
    )


def poll_mailbox(mailbox: Mailbox, *, limit: int = 200) -> PollResult:
    """Fetch unseen mail and process it; a message that fails stays unseen and is
    tried again on the next poll."""
    from imap_tools import AND, MailMessageFlags

    result = PollResult()
    try:
        with open_imap(mailbox) as client:
            for message in client.fetch(
                AND(seen=False), mark_seen=False, limit=limit, bulk=True
            ):
                result.fetched += 1
                try:
                    record, is_new = process_message(mailbox, message)
                except Exception as exc:  # one bad message must not stop the rest
                    logger.exception("email-to-ticket failed for uid %s", message.uid)
                    result.failed += 1
                    result.errors.append(f"uid {message.uid}: {exc}")
                    continue
                if not is_new:
                    result.duplicates += 1
                elif record.outcome == InboundOutcome.CREATED:
                    result.created += 1
                elif record.outcome == InboundOutcome.APPENDED:
                    result.appended += 1
                else:
                    result.ignored += 1
                client.flag(message.uid, MailMessageFlags.SEEN, True)
    except Exception as exc:
        logger.warning("mailbox %s: %s", mailbox.pk, exc)
        result.errors.append(str(exc))
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_polled_at=timezone.now(), last_error="\n".join(result.errors)[:4000]
    )
    return result


def schedule_mailbox(mailbox: Mailbox) -> None:
    """Create or update the mailbox's beat schedule (STYLE R18)."""
    import json

    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    interval, _created = IntervalSchedule.objects.get_or_create(
        every=mailbox.poll_interval_minutes, period=IntervalSchedule.MINUTES
    )
    PeriodicTask.objects.update_or_create(
        name=mailbox.periodic_task_name,
        defaults={
            "task": "tickets.tasks.poll_mailbox_task",
            "interval": interval,
            "kwargs": json.dumps({"mailbox_id": mailbox.pk}),
            "enabled": mailbox.active,
        },
    )


def unschedule_mailbox(mailbox: Mailbox) -> None:
    from django_celery_beat.models import PeriodicTask

    PeriodicTask.objects.filter(name=mailbox.periodic_task_name).delete()


def save_mailbox(mailbox: Mailbox) -> Mailbox:
    """Save a mailbox and keep its polling schedule in step."""
    with transaction.atomic():
        mailbox.full_clean()
        mailbox.save()
        schedule_mailbox(mailbox)
    return mailbox
