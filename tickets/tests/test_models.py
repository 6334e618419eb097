import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tickets.models import SlaPolicy, Ticket, WorkingHours, minutes_to_hours

from .factories import (
    BusinessCalendarFactory,
    CommentFactory,
    SlaPolicyFactory,
    TicketFactory,
    TimeEntryFactory,
)


def test_minutes_to_hours_rounds_to_cents():
    assert str(minutes_to_hours(90)) == "1.50"
    assert str(minutes_to_hours(1)) == "0.02"
    assert str(minutes_to_hours(20)) == "0.33"


def test_ticket_number_is_unique(db):
    TicketFactory(number="T-000777")
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketFactory(number="T-000777")


def test_ticket_status_outside_enum_refused(db):
    ticket = TicketFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(status="bogus")


def test_markdown_rendered_on_save(db):
    ticket = TicketFactory(description="# Title\n<b onclick=x>hi</b>")
    assert (
        "<h1>Title</h1>" in ticket.description_html
        and "onclick" not in ticket.description_html
    )
    comment = CommentFactory(ticket=ticket, body="`code`")
    assert comment.body_html == "<p><code>code</code></p>"
    ticket.description = "changed"
    ticket.save(update_fields=["description"])
    ticket.refresh_from_db()
    assert ticket.description_html == "<p>changed</p>"


def test_one_default_policy_per_priority(db):
    SlaPolicyFactory(priority="high")
    with pytest.raises(ValidationError):
        SlaPolicy(
            name="x", priority="high", first_response_minutes=1, resolution_minutes=1
        ).full_clean()


def test_working_hours_must_end_after_start(db):
    calendar = BusinessCalendarFactory(weekdays=[])
    with pytest.raises(ValidationError):
        WorkingHours(
            calendar=calendar, weekday=0, start=dt.time(17), end=dt.time(9)
        ).full_clean()


def test_calendar_time_zone_validated(db):
    calendar = BusinessCalendarFactory.build(time_zone="Mars/Olympus")
    with pytest.raises(ValidationError) as exc:
        calendar.full_clean()
    assert "time_zone" in exc.value.message_dict


def test_time_entry_minutes_range(db):
    from accounts.tests.factories import UserFactory

    entry = TimeEntryFactory.build(
        minutes=0, ticket=TicketFactory(), user=UserFactory()
    )
    with pytest.raises(ValidationError, match="between 1 and 1440"):
        entry.full_clean()
