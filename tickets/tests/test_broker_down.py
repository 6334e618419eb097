"""With the broker down a new ticket is still saved (201, not 500) and its email sent."""

import pytest
from kombu.exceptions import OperationalError

from accounts.choices import Role
from companies.tests.factories import CompanyFactory
from tickets import tasks
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_api_create_ticket_with_broker_down(
    admin_api, make_user, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(tasks.send_ticket_notification_task, "delay", refuse)
    manager = make_user(Role.MANAGER)
    company = CompanyFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            "/api/tickets/",
            {"title": "Opened while Redis is down", "company_id": company.pk},
            format="json",
        )
    assert response.status_code == 201, response.content
    assert Ticket.objects.filter(title="Opened while Redis is down").exists()
    assert any(manager.email in m.to for m in mailoutbox)
