from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tickets.choices import EventChannel, TicketStatus
from tickets.models import Ticket, TimeEntry
from tickets.services import log_time, reply_to_ticket

from .factories import TicketFactory

API = EventChannel.API


@pytest.mark.parametrize(
    "model",
    [
        "ticket",
        "comment",
        "attachment",
        "ticketevent",
        "timeentry",
        "slapolicy",
        "businesscalendar",
        "cannedresponse",
        "tag",
        "mailbox",
        "inboundmessage",
    ],
)
def test_changelists_render(staff_client, model, new_ticket, company_a, admin_user):
    ticket = new_ticket(company_a)
    reply_to_ticket(ticket, by=admin_user, body="x", channel=API)
    assert (
        staff_client.get(reverse(f"admin:tickets_{model}_changelist")).status_code
        == 200
    )


def test_ticket_change_page_and_add_through_service(
    staff_client, new_ticket, company_a
):
    ticket = new_ticket(company_a)
    assert (
        staff_client.get(
            reverse("admin:tickets_ticket_change", args=[ticket.pk])
        ).status_code
        == 200
    )
    response = staff_client.post(
        reverse("admin:tickets_ticket_add"),
        {
            "title": "From the back office",
            "description": "",
            "status": "new",
            "priority": "normal",
            "type": "incident",
            "company": company_a.pk,
            **inline_management(),
        },
    )
    assert response.status_code == 302, response.content
    created = Ticket.objects.get(title="From the back office")
    assert created.number.startswith("T-")
    assert created.events.filter(kind="created", channel="admin").exists()


def inline_management():
    data = {}
    for prefix in ("comments", "attachments", "time_entries", "events"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


def test_admin_refuses_forbidden_transition(
    staff_client, new_ticket, company_a, admin_user
):
    from tickets.services import transition_ticket

    ticket = transition_ticket(
        new_ticket(company_a), status="closed", by=admin_user, channel=API
    )
    response = staff_client.post(
        reverse("admin:tickets_ticket_change", args=[ticket.pk]),
        {
            "title": ticket.title,
            "description": ticket.description,
            "status": "open",
            "priority": "normal",
            "type": "incident",
            "company": company_a.pk,
            **inline_management(),
        },
    )
    assert response.status_code == 200
    assert "cannot go from" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_admin_actions_call_services(staff_client, new_ticket, company_a, admin_user):
    tickets = [new_ticket(company_a), new_ticket(company_a)]
    url = reverse("admin:tickets_ticket_changelist")
    staff_client.post(
        url, {"action": "assign_to_me", "_selected_action": [t.pk for t in tickets]}
    )
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {admin_user.pk}
    staff_client.post(
        url, {"action": "close_tickets", "_selected_action": [t.pk for t in tickets]}
    )
    assert set(Ticket.objects.values_list("status", flat=True)) == {TicketStatus.CLOSED}
    assert (
        Ticket.objects.first().events.filter(channel="admin", field="status").exists()
    )


def test_admin_time_entry_delete_refunds(
    staff_client, new_ticket, company_a, funded, admin_user
):
    funded(company_a, "2.00")
    entry = log_time(
        ticket=new_ticket(company_a), by=admin_user, minutes=60, channel=API
    )
    response = staff_client.post(
        reverse("admin:tickets_timeentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not TimeEntry.objects.exists()
    company_a.credit_account.refresh_from_db()
    assert company_a.credit_account.balance == Decimal("2.00")


def test_admin_ticket_changelist_queries_do_not_grow(
    staff_client, company_a, django_assert_max_num_queries
):
    url = reverse("admin:tickets_ticket_changelist")
    TicketFactory.create_batch(2, company=company_a)
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    TicketFactory.create_batch(5, company=company_a)
    with django_assert_max_num_queries(len(few)):
        staff_client.get(url)


def test_admin_tag_and_watcher_changes_are_audited(
    staff_client, new_ticket, company_a, admin_user
):
    from tickets.models import Tag

    ticket = new_ticket(company_a)
    tag = Tag.objects.create(name="vip")
    url = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    page = staff_client.get(url)
    form = page.context["adminform"].form
    data = {
        name: form.initial.get(name, "")
        for name in form.fields
        if form.initial.get(name) is not None
    }
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items()}
    data.update(
        {
            "tags": [tag.pk],
            "watchers": [admin_user.pk],
            "assets": "",
            **inline_management(),
        }
    )
    data = {k: v for k, v in data.items() if not isinstance(v, list) or v}
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content
    ticket.refresh_from_db()
    assert list(ticket.tags.all()) == [tag]
    events = ticket.events.filter(channel="admin", kind="changed")
    assert events.filter(field="tags", new_value="vip").exists()
    assert events.filter(field="watchers").exists()
