import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from companies.tests.factories import PlanFactory
from tickets.choices import EventChannel, NotificationKind, TicketStatus
from tickets.models import Ticket
from tickets.services import check_sla, compute_sla, transition_ticket
from tickets.sla import BusinessHours

from .factories import HolidayFactory, SlaPolicyFactory

ATHENS = ZoneInfo("Europe/Athens")


def athens(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ATHENS)


@pytest.fixture
def policy(db):
    return SlaPolicyFactory(
        priority="normal", first_response_minutes=60, resolution_minutes=480
    )


def test_add_business_minutes_skips_weekend():
    hours = BusinessHours.from_rows(
        tz_name="Europe/Athens",
        rows=[(d, dt.time(9), dt.time(17)) for d in range(5)],
        holidays=[],
    )
    friday_4pm = athens(2026, 11, 20, 16, 0)
    assert hours.add(friday_4pm, 60) == athens(2026, 11, 20, 17, 0)
    assert hours.add(friday_4pm, 61) == athens(2026, 11, 23, 9, 1)
    assert hours.add(friday_4pm, 480) == athens(2026, 11, 23, 16, 0)
    # Starting on a Saturday counts from Monday's opening.
    assert hours.add(athens(2026, 11, 21, 11, 0), 30) == athens(2026, 11, 23, 9, 30)
    assert hours.minutes_between(friday_4pm, athens(2026, 11, 23, 16, 0)) == 480


def test_add_business_minutes_skips_holiday_and_dst_change():
    hours = BusinessHours.from_rows(
        tz_name="Europe/Athens",
        rows=[(d, dt.time(9), dt.time(17)) for d in range(5)],
        holidays=[dt.date(2026, 11, 23)],
    )
    assert hours.add(athens(2026, 11, 20, 16, 0), 480) == athens(2026, 11, 24, 16, 0)
    # Athens leaves summer time on Sunday 25 October 2026; a working day is still 8h.
    friday = athens(2026, 10, 23, 9, 0)
    assert hours.add(friday, 16 * 60) == athens(2026, 10, 26, 17, 0)


def test_round_the_clock_without_calendar():
    start = timezone.now()
    assert BusinessHours.always().add(start, 90) == start + dt.timedelta(minutes=90)


def test_compute_sla_across_weekend_and_holiday(policy, company_a):
    HolidayFactory(calendar=policy.calendar, date=dt.date(2026, 11, 23))
    ticket = Ticket(
        company=company_a, priority="normal", created_at=athens(2026, 11, 20, 16, 0)
    )
    compute_sla(ticket)
    assert ticket.sla_policy == policy
    assert ticket.first_response_due_at == athens(2026, 11, 20, 17, 0)
    # Friday 16–17 (1h), Monday is a holiday, Tuesday 09:00 + 7h.
    assert ticket.resolution_due_at == athens(2026, 11, 24, 16, 0)
    # At risk after 80% of the first-response target: 48 minutes.
    assert ticket.sla_warn_at == athens(2026, 11, 20, 16, 48)


def test_plan_policy_wins_over_default(policy, company_a):
    plan = PlanFactory(name="Gold")
    company_a.plan = plan
    company_a.save()
    gold = SlaPolicyFactory(
        priority="normal", plan=plan, first_response_minutes=15, resolution_minutes=120
    )
    ticket = Ticket(
        company=company_a, priority="normal", created_at=athens(2026, 11, 18, 10, 0)
    )
    compute_sla(ticket)
    assert ticket.sla_policy == gold
    assert ticket.first_response_due_at == athens(2026, 11, 18, 10, 15)


def test_priority_change_recomputes_due_times(
    policy, new_ticket, company_a, admin_user
):
    urgent = SlaPolicyFactory(
        priority="urgent",
        calendar=None,
        first_response_minutes=15,
        resolution_minutes=240,
    )
    ticket = new_ticket(company_a)
    assert ticket.sla_policy == policy
    from tickets.services import update_ticket

    ticket = update_ticket(
        ticket, by=admin_user, channel=EventChannel.API, priority="urgent"
    )
    assert ticket.sla_policy == urgent
    assert ticket.resolution_due_at == ticket.created_at + dt.timedelta(minutes=240)
    assert ticket.events.filter(field="priority").exists()


def test_pending_pauses_the_clock(company_a, new_ticket, admin_user):
    SlaPolicyFactory(
        priority="normal",
        calendar=None,
        first_response_minutes=60,
        resolution_minutes=600,
    )
    ticket = new_ticket(company_a)
    due = ticket.resolution_due_at
    ticket = transition_ticket(
        ticket, status=TicketStatus.PENDING, by=admin_user, channel="api"
    )
    assert ticket.sla_paused_at is not None
    # Pretend it stayed pending for two hours.
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_paused_at=timezone.now() - dt.timedelta(hours=2)
    )
    ticket.refresh_from_db()
    ticket = transition_ticket(
        ticket, status=TicketStatus.OPEN, by=admin_user, channel="api"
    )
    assert ticket.sla_paused_at is None
    assert abs(ticket.sla_paused_minutes - 120) < 1
    shift = ticket.resolution_due_at - due
    assert dt.timedelta(minutes=119) < shift < dt.timedelta(minutes=121)


def test_breach_task_flags_exactly_the_breached_tickets(
    company_a,
    new_ticket,
    admin_user,
    mailoutbox,
    manager,
    tech,
    django_capture_on_commit_callbacks,
):
    SlaPolicyFactory(
        priority="normal",
        calendar=None,
        first_response_minutes=60,
        resolution_minutes=600,
    )
    fresh = new_ticket(company_a, assignee=tech)
    late_response = new_ticket(company_a, assignee=tech)
    late_resolution = new_ticket(company_a, assignee=tech)
    paused = new_ticket(company_a)
    done = new_ticket(company_a)
    at_risk = new_ticket(company_a, assignee=tech)
    now = timezone.now()
    Ticket.objects.filter(pk=late_response.pk).update(
        first_response_due_at=now - dt.timedelta(minutes=1)
    )
    Ticket.objects.filter(pk=late_resolution.pk).update(
        first_responded_at=now - dt.timedelta(hours=3),
        resolution_due_at=now - dt.timedelta(seconds=5),
    )
    for ticket in (paused, done):
        Ticket.objects.filter(pk=ticket.pk).update(
            resolution_due_at=now - dt.timedelta(hours=1)
        )
    Ticket.objects.filter(pk=paused.pk).update(status=TicketStatus.PENDING)
    Ticket.objects.filter(pk=done.pk).update(status=TicketStatus.RESOLVED)
    Ticket.objects.filter(pk=at_risk.pk).update(
        sla_warn_at=now - dt.timedelta(minutes=1)
    )
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        result = check_sla()

    assert result == {"breached": 2, "at_risk": 1}
    flagged = set(Ticket.objects.filter(sla_breached=True).values_list("pk", flat=True))
    assert flagged == {late_response.pk, late_resolution.pk}
    assert fresh.pk not in flagged
    subjects = [m.subject for m in mailoutbox]
    assert sum("SLA breached" in s for s in subjects) == 4  # assignee + manager, twice
    assert sum("SLA at risk" in s for s in subjects) == 2
    assert {tech.email, manager.email} <= {m.to[0] for m in mailoutbox}
    # A second run changes nothing and sends nothing.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert check_sla() == {"breached": 0, "at_risk": 0}
    assert mailoutbox == []
    assert NotificationKind.SLA_BREACHED


def test_resolving_late_marks_breach(company_a, new_ticket, admin_user):
    SlaPolicyFactory(
        priority="normal",
        calendar=None,
        first_response_minutes=60,
        resolution_minutes=600,
    )
    ticket = new_ticket(company_a)
    Ticket.objects.filter(pk=ticket.pk).update(
        resolution_due_at=timezone.now() - dt.timedelta(minutes=1)
    )
    ticket = transition_ticket(
        ticket, status=TicketStatus.RESOLVED, by=admin_user, channel="api"
    )
    assert ticket.sla_breached


def test_first_response_rearms_the_at_risk_warning(
    company_a, new_ticket, admin_user, django_capture_on_commit_callbacks
):
    from tickets.services import reply_to_ticket

    SlaPolicyFactory(
        priority="normal",
        calendar=None,
        first_response_minutes=60,
        resolution_minutes=600,
    )
    ticket = new_ticket(company_a)
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_warn_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert check_sla()["at_risk"] == 1
    reply_to_ticket(ticket, by=admin_user, body="Looking", channel="api")
    ticket.refresh_from_db()
    assert ticket.sla_at_risk_notified_at is None
    assert ticket.sla_warn_at == ticket.created_at + dt.timedelta(minutes=480)


def test_time_spent_resolved_does_not_count_after_reopening(
    company_a, new_ticket, admin_user, portal_user_for
):
    from tickets.services import reply_to_ticket

    SlaPolicyFactory(
        priority="normal",
        calendar=None,
        first_response_minutes=60,
        resolution_minutes=600,
    )
    ticket = new_ticket(company_a)
    due = ticket.resolution_due_at
    ticket = transition_ticket(
        ticket, status=TicketStatus.RESOLVED, by=admin_user, channel="api"
    )
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_paused_at=timezone.now() - dt.timedelta(hours=3)
    )
    reply_to_ticket(
        ticket, by=portal_user_for(company_a), body="Broken again", channel="api"
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.resolved_at is None
    shift = ticket.resolution_due_at - due
    assert dt.timedelta(minutes=179) < shift < dt.timedelta(minutes=181)


def test_business_time_add_and_measure_agree_on_random_inputs():
    """minutes_between(start, add(start, m)) == m for any start and m."""
    import random

    hours = BusinessHours.from_rows(
        tz_name="Europe/Athens",
        rows=[(d, dt.time(9), dt.time(13)) for d in range(5)]
        + [(d, dt.time(14), dt.time(18)) for d in range(4)],
        holidays=[dt.date(2026, 3, 25), dt.date(2026, 10, 28), dt.date(2026, 12, 25)],
    )
    rng = random.Random(2026)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for _ in range(300):
        start = base + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
        minutes = rng.randrange(1, 5000)
        due = hours.add(start, minutes)
        assert due > start
        assert abs(hours.minutes_between(start, due) - minutes) < 1e-6
        local = due.astimezone(ATHENS)
        # A due time always falls inside (or at the end of) working hours.
        assert local.date() not in hours.holidays and local.weekday() < 5
        assert dt.time(9) <= local.time() <= dt.time(18)
