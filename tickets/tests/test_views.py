import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from tickets.choices import EventChannel, TicketStatus
from tickets.models import Ticket, TimeEntry
from tickets.services import add_attachment, reply_to_ticket

from .factories import TicketFactory

API = EventChannel.API
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name="shot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def portal_ab(new_ticket, company_a, company_b, admin_user, portal_client_for):
    a = new_ticket(company_a, title="Alpha printer")
    b = new_ticket(company_b, title="Beta server")
    secret = reply_to_ticket(
        a, by=admin_user, body="SECRET note", is_internal=True, channel=API
    )
    add_attachment(
        a, upload=png("secret.png"), by=admin_user, channel=API, comment=secret
    )
    public = reply_to_ticket(a, by=admin_user, body="We are on it", channel=API)
    file_a = add_attachment(
        a, upload=png("a.png"), by=admin_user, channel=API, comment=public
    )
    file_b = add_attachment(b, upload=png("b.png"), by=admin_user, channel=API)
    return {
        "a": a,
        "b": b,
        "file_a": file_a,
        "file_b": file_b,
        "client": portal_client_for(company_a),
    }


def test_portal_list_and_detail_show_only_own_company(portal_ab):
    client = portal_ab["client"]
    page = client.get("/tickets/").content.decode()
    assert "Alpha printer" in page and "Beta server" not in page
    assert (
        client.get(f"/tickets/?q={portal_ab['b'].number}")
        .content.decode()
        .count("Beta server")
        == 0
    )
    detail = client.get(f"/tickets/{portal_ab['a'].number}/")
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "We are on it" in text and "SECRET" not in text and "secret.png" not in text
    assert client.get(f"/tickets/{portal_ab['b'].number}/").status_code == 404


def test_attachment_download_is_checked_and_forced(portal_ab, staff_client):
    client = portal_ab["client"]
    ok = client.get(portal_ab["file_a"].get_absolute_url())
    assert ok.status_code == 200
    assert ok["Content-Disposition"].startswith("attachment;")
    assert ok["X-Content-Type-Options"] == "nosniff"
    assert client.get(portal_ab["file_b"].get_absolute_url()).status_code == 404
    secret = portal_ab["a"].attachments.get(is_internal=True)
    assert client.get(secret.get_absolute_url()).status_code == 404
    # Guessing the storage path: media is never served by URL.
    assert (
        client.get("/media-not-served/" + portal_ab["file_b"].file.name).status_code
        == 404
    )
    assert client.get("/media/" + portal_ab["file_b"].file.name).status_code == 404
    assert staff_client.get(portal_ab["file_b"].get_absolute_url()).status_code == 200


def test_portal_new_ticket_with_attachment(company_a, portal_client_for):
    client = portal_client_for(company_a)
    assert client.get("/tickets/new/").status_code == 200
    response = client.post(
        "/tickets/new/",
        {
            "title": "Mouse dead",
            "description": "left button",
            "priority": "low",
            "type": "incident",
            "files": [png()],
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.company == company_a and ticket.source == "portal"
    assert ticket.attachments.count() == 1


def test_portal_new_ticket_refuses_spoofed_file(company_a, portal_client_for):
    client = portal_client_for(company_a)
    fake = SimpleUploadedFile("x.png", b"<html><script>alert(1)</script></html>")
    response = client.post(
        "/tickets/new/",
        {"title": "x", "priority": "low", "type": "incident", "files": [fake]},
    )
    assert response.status_code == 200
    assert "does not match" in response.content.decode()
    assert not Ticket.objects.exists()


def test_portal_reply_cannot_be_internal(portal_ab):
    client = portal_ab["client"]
    number = portal_ab["a"].number
    response = client.post(
        f"/tickets/{number}/reply/", {"body": "thanks", "is_internal": "on"}
    )
    assert response.status_code == 302
    comment = portal_ab["a"].comments.order_by("-pk").first()
    assert comment.body == "thanks" and not comment.is_internal
    assert (
        client.post(
            f"/tickets/{portal_ab['b'].number}/reply/", {"body": "x"}
        ).status_code
        == 404
    )
    assert client.post(f"/tickets/{number}/time/", {"minutes": 5}).status_code == 403
    assert (
        client.post(f"/tickets/{number}/status/", {"status": "closed"}).status_code
        == 403
    )


def test_staff_reply_and_time_via_htmx(staff_client, new_ticket, company_a, funded):
    funded(company_a, "3.00")
    ticket = new_ticket(company_a)
    response = staff_client.post(
        f"/tickets/{ticket.number}/reply/",
        {"body": "**Checked**", "is_internal": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "<strong>Checked</strong>" in response.content.decode()
    assert ticket.comments.get().is_internal
    response = staff_client.post(
        f"/tickets/{ticket.number}/time/",
        {"minutes": 45, "billable": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "0.75" in response.content.decode()
    response = staff_client.post(
        f"/tickets/{ticket.number}/time/",
        {"minutes": 600, "billable": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert "Not enough credit" in response.content.decode()
    assert TimeEntry.objects.count() == 1


def test_staff_queue_saved_filters_and_bulk(
    staff_client, new_ticket, company_a, admin_user, tech
):
    mine = new_ticket(company_a, title="Mine one", assignee=admin_user)
    other = new_ticket(company_a, title="Unassigned one")
    assert "Mine one" in staff_client.get("/tickets/?view=mine").content.decode()
    page = staff_client.get("/tickets/?view=unassigned").content.decode()
    assert "Unassigned one" in page and "Mine one" not in page
    assert staff_client.get("/tickets/?view=breached").status_code == 200
    response = staff_client.post(
        "/tickets/bulk/",
        {"tickets": [mine.pk, other.pk], "action": "assign", "assignee": tech.pk},
    )
    assert response.status_code == 302
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {tech.pk}
    staff_client.post(
        "/tickets/bulk/", {"tickets": [mine.pk, other.pk], "action": "close"}
    )
    assert set(Ticket.objects.values_list("status", flat=True)) == {TicketStatus.CLOSED}


def test_transition_page_reports_workflow_errors(staff_client, new_ticket, company_a):
    ticket = new_ticket(company_a)
    staff_client.post(f"/tickets/{ticket.number}/status/", {"status": "closed"})
    response = staff_client.post(
        f"/tickets/{ticket.number}/status/", {"status": "pending"}, follow=True
    )
    assert "reopens only by a new public reply" in response.content.decode()


def test_stored_xss_is_neutralised_on_pages(
    staff_client, new_ticket, company_a, admin_user
):
    ticket = new_ticket(
        company_a,
        description='<script>alert("d")</script><a href="javascript:alert(1)">x</a>',
    )
    reply_to_ticket(
        ticket, by=admin_user, body='<img src=x onerror="alert(2)">', channel=API
    )
    page = staff_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert (
        "<script>alert" not in page
        and "onerror" not in page
        and "javascript:alert" not in page
    )


def test_queue_page_queries_do_not_grow(
    staff_client, company_a, django_assert_max_num_queries
):
    TicketFactory.create_batch(2, company=company_a)
    with CaptureQueriesContext(connection) as few:
        staff_client.get("/tickets/?view=all")
    TicketFactory.create_batch(5, company=company_a)
    with django_assert_max_num_queries(len(few)):
        staff_client.get("/tickets/?view=all")


def test_dashboard_cards(admin_user, new_ticket, company_a, tech):
    new_ticket(company_a, priority="urgent")
    new_ticket(company_a, priority="low")
    Ticket.objects.filter(priority="low").update(sla_breached=True)
    request = RequestFactory().get("/")
    request.user = admin_user
    html = Template("{% load tickets_tags %}{% ticket_dashboard_cards %}").render(
        Context({"request": request})
    )
    assert "Open tickets" in html and "Urgent: 1" in html and "Low: 1" in html
    assert "SLA breached" in html


def test_staff_changes_priority_from_the_page(
    staff_client, new_ticket, company_a, department
):
    ticket = new_ticket(company_a)
    response = staff_client.post(
        f"/tickets/{ticket.number}/update/",
        {"priority": "urgent", "type": "problem", "department": department.pk},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.type, ticket.department) == (
        "urgent",
        "problem",
        department,
    )
    assert ticket.events.filter(field="priority", channel="page").exists()


def test_portal_user_cannot_change_routing(portal_ab):
    response = portal_ab["client"].post(
        f"/tickets/{portal_ab['a'].number}/update/",
        {"priority": "urgent", "type": "task"},
    )
    assert response.status_code == 403


def test_refused_second_file_leaves_no_orphan(company_a, portal_client_for, settings):
    client = portal_client_for(company_a)
    fake = SimpleUploadedFile("x.pdf", b"MZ" + b"\x00" * 60)
    response = client.post(
        "/tickets/new/",
        {"title": "x", "priority": "low", "type": "incident", "files": [png(), fake]},
    )
    assert response.status_code == 200 and not Ticket.objects.exists()
    stored = (
        [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
        if settings.MEDIA_ROOT.exists()
        else []
    )
    assert stored == []
