"""Email-to-ticket against a real IMAP server (a private Dovecot on loopback)."""

import datetime as dt
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.db import connection
from django.utils import timezone
from imap_tools import AND, MailBoxUnencrypted

from accounts.choices import Role
from tickets.choices import InboundOutcome, TicketSource, TicketStatus
from tickets.models import InboundMessage, Mailbox, Ticket
from tickets.services import poll_mailbox, process_message, save_mailbox

from .factories import MailboxFactory
from .imap_server import DOVECOT, start_server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(scope="module")
def imap_server():
    if DOVECOT is None:
        pytest.skip("dovecot is not installed")
    server = start_server()
    yield server
    server.stop()


@pytest.fixture
def imap(imap_server):
    """The server with an empty INBOX, and a helper to deliver messages."""
    with MailBoxUnencrypted(imap_server.host, port=imap_server.port).login(
        imap_server.username, imap_server.password
    ) as client:
        uids = [m.uid for m in client.fetch(mark_seen=False, headers_only=True)]
        if uids:
            client.delete(uids)
    return imap_server


@pytest.fixture
def mailbox(imap, department):
    return MailboxFactory(
        host=imap.host,
        port=imap.port,
        use_tls=False,
        username=imap.username,
        password=imap.password,
        default_department=department,
        default_priority="high",
    )


def deliver(server, message: EmailMessage) -> None:
    with MailBoxUnencrypted(server.host, port=server.port).login(
        server.username, server.password
    ) as client:
        client.append(message.as_bytes(), "INBOX")


def email(
    sender, subject, body="Hello", *, headers=None, attachments=(), message_id=None
):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@nexus.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="mail.test")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, data, maintype, subtype in attachments:
        message.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=filename
        )
    return message


def unseen(server) -> int:
    with MailBoxUnencrypted(server.host, port=server.port).login(
        server.username, server.password
    ) as client:
        return len(
            list(client.fetch(AND(seen=False), mark_seen=False, headers_only=True))
        )


def test_new_thread_makes_one_ticket_and_replies_thread(
    imap, mailbox, company_a, contact_of, department
):
    contact = contact_of(company_a, email="jane@alpha.test")
    first = email("Jane <jane@alpha.test>", "Printer broken", "It jams.\n")
    deliver(imap, first)

    result = poll_mailbox(mailbox)
    assert (result.created, result.failed) == (1, 0), result.errors
    ticket = Ticket.objects.get()
    assert ticket.source == TicketSource.EMAIL and ticket.title == "Printer broken"
    assert ticket.requester == contact and ticket.company == company_a
    assert ticket.department == department and ticket.priority == "high"
    assert "It jams." in ticket.description
    assert unseen(imap) == 0

    # Reply with the number in the subject, and one threaded only by In-Reply-To.
    deliver(
        imap,
        email(
            "jane@alpha.test",
            f"Re: {ticket.subject_tag} Printer broken",
            "Still jams\n\n> old text\n",
        ),
    )
    deliver(
        imap,
        email(
            "jane@alpha.test",
            "Re: Printer broken",
            "Any news?",
            headers={"In-Reply-To": first["Message-ID"]},
        ),
    )
    result = poll_mailbox(mailbox)
    assert (result.appended, result.created) == (2, 0), result.errors
    assert Ticket.objects.count() == 1
    bodies = list(ticket.comments.values_list("body", flat=True))
    assert bodies == ["Still jams", "Any news?"]
    assert not ticket.comments.filter(is_internal=True).exists()

    # Polling again changes nothing.
    result = poll_mailbox(mailbox)
    assert result.fetched == 0
    assert Ticket.objects.count() == 1 and ticket.comments.count() == 2


def test_a_message_never_makes_two_tickets_after_a_crash(imap, mailbox, company_a):
    deliver(imap, email("bob@alpha.test", "Disk full"))
    # The poller processed the message, then died before flagging it \Seen.
    with MailBoxUnencrypted(imap.host, port=imap.port).login(
        imap.username, imap.password
    ) as client:
        (message,) = list(client.fetch(mark_seen=False))
    process_message(mailbox, message)
    assert unseen(imap) == 1
    result = poll_mailbox(mailbox)
    assert result.duplicates == 1 and result.created == 0
    assert Ticket.objects.count() == 1
    assert unseen(imap) == 0


def test_company_from_sender_domain(imap, mailbox, company_a):
    deliver(imap, email("stranger@alpha.test", "VPN"))
    poll_mailbox(mailbox)
    ticket = Ticket.objects.get()
    assert ticket.company == company_a and ticket.requester is None


def test_unknown_sender_uses_mailbox_default_company(imap, mailbox, company_b):
    mailbox.default_company = company_b
    mailbox.save()
    deliver(imap, email("who@nowhere.test", "Hello"))
    poll_mailbox(mailbox)
    assert Ticket.objects.get().company == company_b


@pytest.mark.parametrize(
    ("sender", "headers", "outcome"),
    [
        (
            "jane@alpha.test",
            {"Auto-Submitted": "auto-replied"},
            InboundOutcome.AUTO_REPLY,
        ),
        ("jane@alpha.test", {"X-Autoreply": "yes"}, InboundOutcome.AUTO_REPLY),
        ("jane@alpha.test", {"Precedence": "bulk"}, InboundOutcome.AUTO_REPLY),
        ("MAILER-DAEMON@mx.alpha.test", {}, InboundOutcome.BOUNCE),
    ],
)
def test_auto_replies_and_bounces_are_ignored(
    imap, mailbox, company_a, sender, headers, outcome
):
    deliver(imap, email(sender, "Out of office", headers=headers))
    result = poll_mailbox(mailbox)
    assert result.ignored == 1
    assert not Ticket.objects.exists()
    assert InboundMessage.objects.get().outcome == outcome
    assert unseen(imap) == 0


def test_attachments_go_through_the_upload_pipeline(imap, mailbox, company_a):
    deliver(
        imap,
        email(
            "jane@alpha.test",
            "Screenshot",
            attachments=[
                ("screen.png", PNG, "image", "png"),
                ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 60, "application", "pdf"),
            ],
        ),
    )
    poll_mailbox(mailbox)
    ticket = Ticket.objects.get()
    assert list(ticket.attachments.values_list("original_name", "content_type")) == [
        ("screen.png", "image/png")
    ]
    record = InboundMessage.objects.get()
    assert "invoice.pdf" in record.detail


def test_reply_from_unverified_sender_is_internal(imap, mailbox, company_a, new_ticket):
    ticket = new_ticket(company_a)
    deliver(
        imap, email("intruder@evil.test", f"Re: {ticket.subject_tag}", "click here")
    )
    poll_mailbox(mailbox)
    comment = ticket.comments.get()
    assert comment.is_internal and "unverified" in comment.body


def test_staff_address_is_not_trusted_by_default(
    imap, mailbox, company_a, new_ticket, make_user
):
    make_user(Role.TECHNICIAN, email="agent@msp.test")
    ticket = new_ticket(company_a)
    deliver(imap, email("agent@msp.test", f"Re: {ticket.subject_tag}", "Forged?"))
    poll_mailbox(mailbox)
    comment = ticket.comments.get()
    assert comment.is_internal and comment.author is None
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None


def test_staff_reply_by_email_is_a_first_response(
    imap, mailbox, company_a, new_ticket, make_user
):
    mailbox.trust_staff_senders = True
    mailbox.save()
    agent = make_user(Role.TECHNICIAN, email="agent@msp.test")
    ticket = new_ticket(company_a)
    deliver(imap, email("agent@msp.test", f"Re: {ticket.subject_tag}", "Fixed it"))
    poll_mailbox(mailbox)
    comment = ticket.comments.get()
    assert comment.author == agent and not comment.is_internal
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None


def test_reply_to_long_closed_ticket_opens_a_new_one(
    imap, mailbox, company_a, new_ticket, contact_of, admin_user
):
    from tickets.services import transition_ticket

    contact_of(company_a, email="jane@alpha.test")
    ticket = new_ticket(company_a)
    transition_ticket(ticket, status=TicketStatus.CLOSED, by=admin_user, channel="api")
    Ticket.objects.filter(pk=ticket.pk).update(
        closed_at=timezone.now() - dt.timedelta(days=60)
    )
    deliver(
        imap,
        email("jane@alpha.test", f"Re: {ticket.subject_tag} thanks", "It broke again"),
    )
    poll_mailbox(mailbox)
    assert Ticket.objects.count() == 2
    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert ticket.number in follow_up.description
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_wrong_password_is_recorded_not_raised(imap, mailbox):
    mailbox.password = "wrong"
    mailbox.save()
    result = poll_mailbox(mailbox)
    assert result.errors
    mailbox.refresh_from_db()
    assert mailbox.last_error and mailbox.last_polled_at


def test_poll_task_runs_the_service(imap, mailbox, company_a):
    from tickets.tasks import poll_mailbox_task

    deliver(imap, email("jane@alpha.test", "From the task"))
    result = poll_mailbox_task.delay(mailbox.pk).get()
    assert result["created"] == 1
    assert poll_mailbox_task.delay(999999).get() is None


def test_mailbox_password_is_encrypted_and_schedule_follows(db, department):
    from django_celery_beat.models import PeriodicTask

    mailbox = save_mailbox(
        Mailbox(
            name="Support",
            host="127.0.0.1",
            port=143,
            username="u",
            password="s3cret",
            poll_interval_minutes=3,
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT password FROM tickets_mailbox WHERE id = %s", [mailbox.pk]
        )
        raw = cursor.fetchone()[0]
    assert "s3cret" not in raw
    task = PeriodicTask.objects.get(name=mailbox.periodic_task_name)
    assert task.interval.every == 3 and task.enabled
    mailbox.active = False
    save_mailbox(mailbox)
    assert not PeriodicTask.objects.get(name=mailbox.periodic_task_name).enabled


def test_html_only_mail_becomes_plain_text(imap, mailbox, company_a):
    message = EmailMessage()
    message["From"] = "jane@alpha.test"
    message["Subject"] = "HTML only"
    message["Message-ID"] = make_msgid(domain="mail.test")
    message.set_content(
        "<p>Tom &amp; Jerry <script>alert(1)</script><b>bold</b></p>", subtype="html"
    )
    deliver(imap, message)
    poll_mailbox(mailbox)
    ticket = Ticket.objects.get()
    assert "Tom & Jerry" in ticket.description
    assert "<script" not in ticket.description_html
