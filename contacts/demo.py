"""Demo contacts for the demo client companies, and two external professionals.

Idempotent: contacts are found by email, so running it again changes nothing.
"""

import re

from django.db import transaction

PEOPLE = [
    ("Maria Papadopoulou", "Office manager", "full_time"),
    ("Nikos Georgiou", "IT contact", "full_time"),
    ("Eleni Dimitriou", "Accountant", "part_time"),
]
PROFESSIONALS = [
    ("Kostas Alexiou", "kostas.alexiou@structural.example", "Structural engineer"),
    ("Sofia Ioannou", "sofia.ioannou@legal.example", "Data-protection lawyer"),
]


def _domain(company) -> str:
    if company.domains:
        return str(company.domains[0])
    slug = re.sub(r"[^a-z0-9]+", "", company.name.lower()) or "client"
    return f"{slug}.example"


@transaction.atomic
def load(stdout=None) -> None:
    from companies.models import Company

    from .choices import ContactKind
    from .models import Contact

    created = 0
    for company in Company.objects.clients().order_by("account_number")[:12]:
        domain = _domain(company)
        for index, (name, title, employment) in enumerate(PEOPLE):
            first, last = name.lower().split()
            contact, was_created = Contact.objects.get_or_create(
                email=f"{first}.{last}@{domain}",
                defaults={
                    "name": name,
                    "title": title,
                    "employment_type": employment,
                    "work_phone": company.main_phone,
                    "mobile_phone": f"+30 69{company.account_number % 100:02d} {index}00 000",
                },
            )
            contact.companies.add(company)
            created += was_created
    for name, email, title in PROFESSIONALS:
        _contact, was_created = Contact.objects.get_or_create(
            email=email,
            defaults={
                "name": name,
                "title": title,
                "kind": ContactKind.PROFESSIONAL,
                "employment_type": "contractor",
            },
        )
        created += was_created
    if stdout is not None:
        stdout.write(f"  contacts: {created} created")
