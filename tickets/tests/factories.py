import datetime as dt

import factory

from companies.tests.factories import CompanyFactory
from tickets.models import (
    BusinessCalendar,
    CannedResponse,
    Comment,
    Holiday,
    Mailbox,
    SlaPolicy,
    Tag,
    Ticket,
    TimeEntry,
    WorkingHours,
)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag{n}")


class TicketFactory(factory.django.DjangoModelFactory):
    """A bare ticket row (no SLA, no events): use services.create_ticket for the
    full behaviour."""

    class Meta:
        model = Ticket

    number = factory.Sequence(lambda n: f"T-9{n:06d}")
    title = factory.Faker("sentence", nb_words=5)
    description = factory.Faker("paragraph")
    company = factory.SubFactory(CompanyFactory)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    ticket = factory.SubFactory(TicketFactory)
    body = factory.Faker("paragraph")


class TimeEntryFactory(factory.django.DjangoModelFactory):
    """An unbilled entry row; billing goes through services.log_time."""

    class Meta:
        model = TimeEntry

    ticket = factory.SubFactory(TicketFactory)
    company = factory.LazyAttribute(lambda e: e.ticket.company if e.ticket else None)
    user = factory.SubFactory("accounts.tests.factories.UserFactory")
    minutes = 30
    billable = False


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    """Mon–Fri 09:00–17:00 in the given zone."""

    class Meta:
        model = BusinessCalendar
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Calendar {n}")
    time_zone = "Europe/Athens"

    @factory.post_generation
    def weekdays(self, create, extracted, **kwargs):
        if not create:
            return
        for day in extracted if extracted is not None else range(5):
            WorkingHours.objects.create(
                calendar=self, weekday=day, start=dt.time(9), end=dt.time(17)
            )


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday

    calendar = factory.SubFactory(BusinessCalendarFactory)
    date = dt.date(2026, 12, 25)
    name = "Christmas"


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    priority = "normal"
    calendar = factory.SubFactory(BusinessCalendarFactory)
    first_response_minutes = 60
    resolution_minutes = 8 * 60


class CannedResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CannedResponse

    title = factory.Sequence(lambda n: f"Canned {n}")
    body = "Thanks, we are on it."


class MailboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mailbox

    name = factory.Sequence(lambda n: f"Mailbox {n}")
    host = "127.0.0.1"
    port = 143
    use_tls = False
    username = "support"
    password = "secret"
