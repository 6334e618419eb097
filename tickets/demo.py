"""Demo data for the helpdesk: a business calendar, SLA policies, canned
responses and about twenty tickets on the demo companies. Idempotent: the
tickets are made only when there are none yet."""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from .choices import EventChannel, TicketPriority, TicketStatus
from .models import (
    BusinessCalendar,
    CannedResponse,
    Holiday,
    SlaPolicy,
    Ticket,
    WorkingHours,
)

DEMO = EventChannel.AUTOMATION

HOLIDAYS = [
    ((1, 1), "New Year's Day"),
    ((1, 6), "Epiphany"),
    ((3, 25), "Independence Day"),
    ((5, 1), "Labour Day"),
    ((8, 15), "Assumption"),
    ((10, 28), "Ohi Day"),
    ((12, 25), "Christmas Day"),
    ((12, 26), "Boxing Day"),
]
TARGETS = {
    TicketPriority.LOW: (8 * 60, 40 * 60),
    TicketPriority.NORMAL: (4 * 60, 24 * 60),
    TicketPriority.HIGH: (60, 8 * 60),
    TicketPriority.URGENT: (30, 4 * 60),
}
CANNED = {
    "Acknowledge": "Thank you for your message. We are looking into it and will update you shortly.",
    "Need more information": "Could you send us a screenshot and the exact time the problem happened?",
    "Resolved – please confirm": "We believe this is fixed. Reply to this message if it happens again.",
}
STORIES = [
    (
        "Printer on the 2nd floor jams",
        "The HP printer jams on every second page.",
        "normal",
    ),
    (
        "Cannot connect to VPN",
        "FortiClient says *credential error* since this morning.",
        "high",
    ),
    (
        "New starter laptop",
        "Anna starts on Monday and needs a laptop with Office.",
        "low",
    ),
    (
        "Email bouncing to a supplier",
        "Mails to **orders@supplier.test** bounce with 550.",
        "normal",
    ),
    ("Server room temperature alarm", "The sensor reports 31 °C.", "urgent"),
    ("Teams keeps crashing", "Teams closes itself after a few minutes.", "normal"),
    ("Backup job failed", "Last night's backup failed on NAS-01.", "high"),
    (
        "Shared drive permissions",
        "Accounting cannot open `\\\\fs01\\finance`.",
        "normal",
    ),
    ("Replace toner", "The copier shows *toner low*.", "low"),
    (
        "Phishing email received",
        "A user clicked a link in a fake invoice email.",
        "urgent",
    ),
    ("Wi-Fi slow in the meeting room", "Video calls drop in room B.", "normal"),
    ("Password reset", "Nikos is locked out of his account.", "normal"),
    ("Install AutoCAD", "Engineering needs AutoCAD 2026 on two PCs.", "low"),
    (
        "Website certificate expires",
        "The certificate of the shop expires in 5 days.",
        "high",
    ),
    ("Firewall firmware update", "Plan the firmware update of the firewall.", "low"),
    ("Outlook search not working", "Search returns no results.", "normal"),
    ("UPS beeping", "The UPS in the server cabinet beeps every minute.", "high"),
    ("Scanner to email", "Scans do not arrive by email.", "normal"),
    ("New VLAN for cameras", "Set up a separate VLAN for the CCTV cameras.", "low"),
    ("ERP slow at month end", "The ERP is very slow during closing.", "high"),
]


def _calendar() -> BusinessCalendar:
    calendar, created = BusinessCalendar.objects.get_or_create(
        name="Office hours (Athens)", defaults={"time_zone": "Europe/Athens"}
    )
    if created:
        for weekday in range(5):
            WorkingHours.objects.create(
                calendar=calendar, weekday=weekday, start=dt.time(9), end=dt.time(17)
            )
    this_year = timezone.localdate().year
    for year in (this_year, this_year + 1):
        for (month, day), name in HOLIDAYS:
            Holiday.objects.get_or_create(
                calendar=calendar,
                date=dt.date(year, month, day),
                defaults={"name": name},
            )
    return calendar


def _companies():
    from companies.choices import CompanyKind
    from companies.models import Company
    from companies.services import create_company, purchase_credits

    companies = list(Company.objects.filter(kind=CompanyKind.CLIENT).order_by("pk")[:4])
    if not companies:
        # No client companies from the companies app's demo: make two, with some
        # credit so that billable time can be logged on their tickets.
        for name, domain in (
            ("Acme Demo Ltd", "acme.example"),
            ("Globex Demo SA", "globex.example"),
        ):
            company = create_company(name=name, domains=[domain])
            purchase_credits(company, amount=20, reference="demo", note="Demo credits")
            companies.append(company)
    return companies


@transaction.atomic
def load(stdout=None) -> None:
    from accounts.models import Department, User

    calendar = _calendar()
    for priority, (first, resolution) in TARGETS.items():
        SlaPolicy.objects.get_or_create(
            priority=priority,
            plan=None,
            defaults={
                "name": f"Default – {priority.label}",
                "calendar": calendar,
                "first_response_minutes": first,
                "resolution_minutes": resolution,
            },
        )
    for title, body in CANNED.items():
        CannedResponse.objects.get_or_create(title=title, defaults={"body": body})
    desk, _created = Department.objects.get_or_create(name="Service desk")
    if Ticket.objects.exists():
        if stdout:
            stdout.write("  tickets: already there, left alone")
        return
    from .services import create_ticket, reply_to_ticket, transition_ticket

    staff = (
        User.objects.filter(is_superuser=True, company__isnull=True)
        .order_by("pk")
        .first()
    )
    if staff is None:
        return
    rng = random.Random(5)
    companies = _companies()
    for index, (title, description, priority) in enumerate(STORIES):
        company = companies[index % len(companies)]
        requester = company.contacts.order_by("pk").first()
        ticket = create_ticket(
            by=staff,
            channel=DEMO,
            title=title,
            description=description,
            company=company,
            requester=requester,
            priority=priority,
            department=desk,
            assignee=staff if index % 3 else None,
            source=rng.choice(["web", "email", "portal", "api"]),
        )
        if index % 2 == 0:
            reply_to_ticket(ticket, by=staff, body=CANNED["Acknowledge"], channel=DEMO)
        if index % 4 == 1:
            reply_to_ticket(
                ticket,
                by=staff,
                body="Checked the logs; looks like a driver issue.",
                is_internal=True,
                channel=DEMO,
            )
        final = [
            None,
            TicketStatus.PENDING,
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
            None,
        ][index % 5]
        if final is not None:
            transition_ticket(ticket, status=final, by=staff, channel=DEMO)
    if stdout:
        stdout.write(
            f"  tickets: {len(STORIES)} demo tickets on {len(companies)} companies"
        )
