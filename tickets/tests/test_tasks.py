from tickets.choices import EventChannel
from tickets.services import assign_ticket, reply_to_ticket
from tickets.tasks import check_sla_task, send_ticket_notification_task

API = EventChannel.API


def test_new_ticket_notifies_department(
    new_ticket,
    company_a,
    department,
    tech,
    manager,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = new_ticket(company_a, department=department)
    recipients = {m.to[0] for m in mailoutbox}
    assert recipients == {tech.email, manager.email}
    assert all(ticket.number in m.subject for m in mailoutbox)
    assert all(
        m.extra_headers["Auto-Submitted"] == "auto-generated" for m in mailoutbox
    )


def test_assignment_and_public_reply_notifications(
    new_ticket,
    company_a,
    contact_of,
    admin_user,
    tech,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    contact = contact_of(company_a)
    ticket = new_ticket(company_a, requester=contact)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assign_ticket(ticket, assignee=tech, by=admin_user, channel=API)
    assert [m.to for m in mailoutbox] == [[tech.email]]
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply_to_ticket(
            ticket, by=admin_user, body="internal detail", is_internal=True, channel=API
        )
        reply_to_ticket(
            ticket, by=admin_user, body="We replaced the toner", channel=API
        )
    assert [m.to for m in mailoutbox] == [[contact.email]]
    assert "We replaced the toner" in mailoutbox[0].body
    assert "internal detail" not in mailoutbox[0].body
    assert ticket.subject_tag in mailoutbox[0].subject


def test_notification_task_returns_early_when_gone(db):
    assert send_ticket_notification_task.delay("assigned", 999999).get() == 0


def test_sla_check_task_is_idempotent(db):
    assert check_sla_task.delay().get() == {"breached": 0, "at_risk": 0}


def test_public_reply_reaches_portal_creator_without_contact(
    company_a,
    portal_user_for,
    admin_user,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    from tickets.services import create_ticket

    client = portal_user_for(company_a)
    ticket = create_ticket(by=client, channel=API, title="Help")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply_to_ticket(ticket, by=admin_user, body="Done", channel=API)
    assert [m.to for m in mailoutbox] == [[client.email]]
