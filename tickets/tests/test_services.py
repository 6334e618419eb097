import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.choices import Role
from companies.models import CreditTransaction
from tickets.choices import EventChannel, TicketEventKind, TicketStatus
from tickets.models import Attachment, Comment, Ticket, TimeEntry
from tickets.services import (
    add_attachment,
    assign_ticket,
    delete_comment,
    delete_ticket,
    delete_time,
    edit_time,
    log_time,
    merge_tickets,
    reply_to_ticket,
    split_ticket,
    transition_ticket,
    update_ticket,
)

API = EventChannel.API
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name="shot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def balance(company) -> Decimal:
    company.credit_account.refresh_from_db()
    return company.credit_account.balance


def test_create_ticket_numbers_and_audits(new_ticket, company_a):
    first = new_ticket(company_a)
    second = new_ticket(company_a)
    assert first.number.startswith("T-") and len(first.number) == 8
    assert int(second.number[2:]) == int(first.number[2:]) + 1
    assert first.events.filter(kind=TicketEventKind.CREATED, channel=API).exists()


def test_create_ticket_renders_sanitised_markdown(new_ticket, company_a):
    ticket = new_ticket(
        company_a,
        description="**bold** <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))",
    )
    html = ticket.description_html
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html


def test_portal_user_creates_for_own_company_only(
    portal_user_for, company_a, company_b
):
    from tickets.services import create_ticket

    client = portal_user_for(company_a)
    ticket = create_ticket(by=client, channel=API, title="Help")
    assert ticket.company == company_a
    assert ticket.source == "api"
    with pytest.raises(ValidationError) as exc:
        create_ticket(by=client, channel=API, title="x", company=company_b)
    assert "company" in exc.value.message_dict


def test_requester_must_belong_to_company(new_ticket, company_a, company_b, contact_of):
    with pytest.raises(ValidationError) as exc:
        new_ticket(company_a, requester=contact_of(company_b))
    assert "requester" in exc.value.message_dict


def test_transitions_follow_the_workflow(new_ticket, company_a, admin_user):
    ticket = new_ticket(company_a)
    ticket = transition_ticket(
        ticket, status=TicketStatus.RESOLVED, by=admin_user, channel=API
    )
    assert ticket.resolved_at is not None
    with pytest.raises(ValidationError) as exc:
        transition_ticket(
            ticket, status=TicketStatus.PENDING, by=admin_user, channel=API
        )
    assert "status" in exc.value.message_dict
    ticket = transition_ticket(
        ticket, status=TicketStatus.CLOSED, by=admin_user, channel=API
    )
    with pytest.raises(ValidationError, match="reopens only by a new public reply"):
        transition_ticket(ticket, status=TicketStatus.OPEN, by=admin_user, channel=API)
    changes = ticket.events.filter(field="status").values_list("old_value", "new_value")
    assert list(changes) == [("New", "Resolved"), ("Resolved", "Closed")]


def test_public_reply_reopens_closed_ticket_within_window(
    new_ticket, company_a, admin_user, settings
):
    settings.NEXUS_TICKET_REOPEN_DAYS = 7
    ticket = new_ticket(company_a)
    ticket = transition_ticket(
        ticket, status=TicketStatus.CLOSED, by=admin_user, channel=API
    )
    # An internal note does not reopen.
    reply_to_ticket(ticket, by=admin_user, body="note", is_internal=True, channel=API)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED
    reply_to_ticket(ticket, by=admin_user, body="Back again", channel=API)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.closed_at is None
    assert ticket.events.filter(kind=TicketEventKind.REOPENED).count() == 1


def test_public_reply_after_window_is_refused(
    new_ticket, company_a, admin_user, settings
):
    settings.NEXUS_TICKET_REOPEN_DAYS = 7
    ticket = new_ticket(company_a)
    transition_ticket(ticket, status=TicketStatus.CLOSED, by=admin_user, channel=API)
    Ticket.objects.filter(pk=ticket.pk).update(
        closed_at=timezone.now() - dt.timedelta(days=8)
    )
    with pytest.raises(ValidationError) as exc:
        reply_to_ticket(ticket, by=admin_user, body="Too late", channel=API)
    assert "body" in exc.value.message_dict
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_first_staff_reply_records_first_response(
    new_ticket, company_a, admin_user, portal_user_for
):
    ticket = new_ticket(company_a)
    client = portal_user_for(company_a)
    reply_to_ticket(ticket, by=client, body="More info", channel=API)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    reply_to_ticket(ticket, by=admin_user, body="On it", channel=API)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.status == TicketStatus.OPEN


def test_client_cannot_write_internal_notes(new_ticket, company_a, portal_user_for):
    ticket = new_ticket(company_a)
    with pytest.raises(ValidationError):
        reply_to_ticket(
            ticket,
            by=portal_user_for(company_a),
            body="x",
            is_internal=True,
            channel=API,
        )


def test_client_reply_on_pending_ticket_resumes_clock(
    new_ticket, company_a, admin_user, portal_user_for
):
    ticket = new_ticket(company_a)
    transition_ticket(ticket, status=TicketStatus.PENDING, by=admin_user, channel=API)
    reply_to_ticket(
        ticket, by=portal_user_for(company_a), body="Here it is", channel=API
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.sla_paused_at is None


def test_manager_assigns_only_within_department(
    new_ticket, company_a, manager, tech, make_user, department
):
    outsider = make_user(Role.TECHNICIAN)
    ticket = new_ticket(company_a, department=department)
    ticket = assign_ticket(ticket, assignee=tech, by=manager, channel=API)
    assert ticket.assignee == tech
    with pytest.raises(ValidationError) as exc:
        assign_ticket(ticket, assignee=outsider, by=manager, channel=API)
    assert "assignee" in exc.value.message_dict


def test_technician_can_only_take_tickets(
    new_ticket, company_a, tech, manager, department
):
    ticket = new_ticket(company_a, department=department)
    assert assign_ticket(ticket, assignee=tech, by=tech, channel=API).assignee == tech
    with pytest.raises(ValidationError):
        assign_ticket(ticket, assignee=manager, by=tech, channel=API)


def test_portal_user_cannot_assign_or_transition(
    new_ticket, company_a, portal_user_for, tech
):
    ticket = new_ticket(company_a)
    client = portal_user_for(company_a)
    with pytest.raises(PermissionDenied):
        assign_ticket(ticket, assignee=tech, by=client, channel=API)
    with pytest.raises(PermissionDenied):
        transition_ticket(ticket, status="resolved", by=client, channel=API)


def test_update_ticket_records_each_change(new_ticket, company_a, admin_user):
    from tickets.tests.factories import TagFactory

    ticket = new_ticket(company_a)
    tag = TagFactory(name="printer")
    ticket = update_ticket(
        ticket,
        by=admin_user,
        channel="page",
        title="New title",
        tags=[tag],
        type="request",
    )
    fields = set(
        ticket.events.filter(kind=TicketEventKind.CHANGED).values_list(
            "field", flat=True
        )
    )
    assert {"title", "tags", "type"} <= fields
    assert list(ticket.tags.all()) == [tag]


def test_merge_keeps_everything(new_ticket, company_a, admin_user, funded, tech):
    funded(company_a, "10.00")
    source = new_ticket(company_a, description="Original problem")
    target = new_ticket(company_a)
    reply_to_ticket(source, by=admin_user, body="public one", channel=API)
    reply_to_ticket(
        source, by=admin_user, body="internal one", is_internal=True, channel=API
    )
    add_attachment(source, upload=png(), by=admin_user, channel=API)
    entry = log_time(ticket=source, by=tech, minutes=90, channel=API)
    source.watchers.add(tech)

    merge_tickets(source, into=target, by=admin_user, channel=API)

    source.refresh_from_db()
    assert source.status == TicketStatus.CLOSED and source.merged_into == target
    bodies = list(target.comments.values_list("body", flat=True))
    assert "public one" in bodies and "internal one" in bodies
    assert any("Original problem" in b for b in bodies)
    assert target.comments.get(body="internal one").is_internal
    assert target.attachments.count() == 1 and source.attachments.count() == 0
    entry.refresh_from_db()
    assert entry.ticket == target and entry.billed_hours == Decimal("1.50")
    assert balance(company_a) == Decimal("8.50")  # moved, not billed twice
    assert tech in target.watchers.all()
    assert source.events.filter(kind=TicketEventKind.MERGED).exists()
    assert target.events.filter(kind=TicketEventKind.MERGED).exists()
    # A later reply to the merged ticket lands on the target.
    comment = reply_to_ticket(source, by=admin_user, body="late", channel=API)
    assert comment.ticket == target


def test_merge_refuses_other_company(new_ticket, company_a, company_b, admin_user):
    with pytest.raises(ValidationError):
        merge_tickets(
            new_ticket(company_a),
            into=new_ticket(company_b),
            by=admin_user,
            channel=API,
        )


def test_split_moves_comment_to_new_ticket(new_ticket, company_a, admin_user):
    ticket = new_ticket(company_a)
    comment = reply_to_ticket(
        ticket, by=admin_user, body="Also the scanner is broken", channel=API
    )
    add_attachment(ticket, upload=png(), by=admin_user, channel=API, comment=comment)
    new = split_ticket(comment, by=admin_user, channel=API)
    assert new.split_from == ticket and new.company == company_a
    assert new.description == "Also the scanner is broken"
    assert new.attachments.count() == 1
    assert not ticket.comments.filter(pk=comment.pk).exists()
    assert ticket.events.filter(
        kind=TicketEventKind.SPLIT, new_value=new.number
    ).exists()


# ------------------------------------------------------------------ time and credits


def test_billable_time_deducts_and_edit_delete_refund_exactly(
    new_ticket, company_a, tech, funded
):
    funded(company_a, "5.00")
    ticket = new_ticket(company_a)
    entry = log_time(ticket=ticket, by=tech, minutes=90, channel=API)
    assert entry.billed_hours == Decimal("1.50")
    assert balance(company_a) == Decimal("3.50")
    entry = edit_time(entry, by=tech, channel=API, minutes=30)
    assert balance(company_a) == Decimal("4.50")
    entry = edit_time(entry, by=tech, channel=API, minutes=120)
    assert balance(company_a) == Decimal("3.00")
    entry = edit_time(entry, by=tech, channel=API, billable=False)
    assert balance(company_a) == Decimal("5.00") and entry.billed_hours == 0
    entry = edit_time(entry, by=tech, channel=API, billable=True)
    assert balance(company_a) == Decimal("3.00")
    delete_time(entry, by=tech, channel=API)
    assert balance(company_a) == Decimal("5.00")
    refs = set(CreditTransaction.objects.values_list("reference", flat=True)) - {"test"}
    assert refs == {f"time-entry:{entry.pk}"}


def test_short_credits_refused_without_overdraft(new_ticket, company_a, tech, funded):
    funded(company_a, "1.00")
    ticket = new_ticket(company_a)
    with pytest.raises(ValidationError) as exc:
        log_time(ticket=ticket, by=tech, minutes=90, channel=API)
    assert "amount" in exc.value.message_dict
    assert not TimeEntry.objects.exists()
    assert balance(company_a) == Decimal("1.00")
    # Non-billable time is always accepted.
    assert (
        log_time(
            ticket=ticket, by=tech, minutes=90, billable=False, channel=API
        ).billed_hours
        == 0
    )


def test_short_credits_flagged_with_overdraft(new_ticket, company_a, tech, funded):
    funded(company_a, "1.00", overdraft=True)
    entry = log_time(ticket=new_ticket(company_a), by=tech, minutes=90, channel=API)
    assert entry.over_credit
    assert balance(company_a) == Decimal("-0.50")


def test_technician_cannot_edit_others_time(
    new_ticket, company_a, tech, make_user, funded
):
    funded(company_a)
    other = make_user(Role.TECHNICIAN)
    entry = log_time(ticket=new_ticket(company_a), by=tech, minutes=30, channel=API)
    with pytest.raises(PermissionDenied):
        edit_time(entry, by=other, channel=API, minutes=10)


def test_delete_ticket_refunds_time_and_removes_files(
    new_ticket, company_a, admin_user, tech, funded, settings
):
    funded(company_a, "2.00")
    ticket = new_ticket(company_a)
    log_time(ticket=ticket, by=tech, minutes=60, channel=API)
    attachment = add_attachment(ticket, upload=png(), by=admin_user, channel=API)
    path = attachment.file.path
    import os

    assert os.path.exists(path)
    assert str(settings.MEDIA_ROOT) in path and "shot" not in os.path.basename(path)
    from django.db import transaction  # noqa: F401

    delete_ticket(ticket, by=admin_user, channel=API)
    assert balance(company_a) == Decimal("2.00")
    assert not Ticket.objects.filter(pk=ticket.pk).exists()


def test_deleting_a_comment_removes_its_files(
    new_ticket, company_a, admin_user, django_capture_on_commit_callbacks
):
    import os

    ticket = new_ticket(company_a)
    comment = reply_to_ticket(ticket, by=admin_user, body="see file", channel=API)
    attachment = add_attachment(
        ticket, upload=png(), by=admin_user, channel=API, comment=comment
    )
    path = attachment.file.path
    with django_capture_on_commit_callbacks(execute=True):
        delete_comment(comment, by=admin_user, channel=API)
    assert not os.path.exists(path)
    assert not Attachment.objects.filter(pk=attachment.pk).exists()


def test_deleting_a_ticket_removes_its_files(
    new_ticket, company_a, admin_user, django_capture_on_commit_callbacks
):
    import os

    ticket = new_ticket(company_a)
    paths = [
        add_attachment(ticket, upload=png(), by=admin_user, channel=API).file.path
        for _ in range(2)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        delete_ticket(ticket, by=admin_user, channel=API)
    assert not any(os.path.exists(p) for p in paths)
