"""Demo plans, companies, locations and credit balances.

Idempotent: rows are found by name (plans, companies) or by reference (ledger rows),
so running it again changes nothing.
"""

from decimal import Decimal

from django.db import transaction

PLANS = {
    "Essentials": (
        "49.00",
        {"helpdesk": "8x5", "backup": "250 GB", "monitoring": "workstations"},
    ),
    "Managed Pro": (
        "149.00",
        {
            "helpdesk": "8x5",
            "backup": "1 TB",
            "monitoring": "all devices",
            "onsite": "2h/month",
        },
    ),
    "Enterprise 24x7": (
        "399.00",
        {
            "helpdesk": "24x7",
            "backup": "5 TB",
            "monitoring": "all devices",
            "onsite": "8h/month",
        },
    ),
}

# name, account number, plan, phone, domains, locations, credits bought, used
CLIENTS = [
    (
        "Acropolis Dental",
        210101,
        "Managed Pro",
        "+30 210 555 0101",
        ["acropolisdental.gr"],
        [
            ("Main Office", "Ermou 12, Athens"),
            ("Piraeus Clinic", "Akti Miaouli 5, Piraeus"),
        ],
        "20",
        "6.5",
    ),
    (
        "Blue Harbour Logistics",
        210202,
        "Enterprise 24x7",
        "+30 2310 555 202",
        ["blueharbour.example"],
        [("HQ", "Port of Thessaloniki, Pier 2")],
        "40",
        "12",
    ),
    (
        "Cedar & Stone Architects",
        210303,
        "Essentials",
        "+30 210 555 0303",
        ["cedarstone.example"],
        [("Studio", "Kolonaki Sq. 3, Athens")],
        "5",
        "4",
    ),
    (
        "Delta Accounting",
        210404,
        "Managed Pro",
        "+30 210 555 0404",
        ["delta-acc.example"],
        [("Main Office", "Syngrou 44, Athens")],
        "10",
        "1",
    ),
    (
        "Elaia Olive Co-op",
        210505,
        "Essentials",
        "+30 27210 555 05",
        ["elaia.example"],
        [("Mill", "Kalamata industrial area")],
        "0",
        "0",
    ),
    (
        "Fotis Hotels",
        210606,
        "Enterprise 24x7",
        "+30 22890 555 06",
        ["fotishotels.example", "fotis.example"],
        [
            ("Mykonos Resort", "Ornos, Mykonos"),
            ("Head Office", "Vouliagmenis 80, Athens"),
        ],
        "60",
        "22.75",
    ),
    (
        "Galini Pharmacy Group",
        210707,
        "Managed Pro",
        "+30 2610 555 707",
        ["galini.example"],
        [("Central Store", "Maizonos 9, Patras")],
        "8",
        "7.5",
    ),
    (
        "Hermes Legal",
        210808,
        None,
        "+30 210 555 0808",
        ["hermeslegal.example"],
        [("Chambers", "Akadimias 21, Athens")],
        "3",
        "0",
    ),
]

SUPPLIERS = [
    ("Parts & Boards Ltd", 390101, "+44 20 5550 1010", ["partsboards.example"]),
    ("Nordic Hardware AS", 390202, "+47 22 55 02 02", ["nordichw.example"]),
]


@transaction.atomic
def load(stdout=None) -> None:
    from .choices import CompanyKind
    from .models import Company, CreditTransaction, Location, Plan, PlanFeature
    from .services import create_company, deduct_credits, purchase_credits

    plans = {}
    for name, (price, features) in PLANS.items():
        plan, _created = Plan.objects.get_or_create(
            name=name, defaults={"monthly_price": Decimal(price)}
        )
        for key, value in features.items():
            PlanFeature.objects.get_or_create(
                plan=plan, key=key, defaults={"value": value}
            )
        plans[name] = plan

    created = 0
    for name, number, plan, phone, domains, locations, bought, used in CLIENTS:
        company = Company.objects.filter(name=name).first()
        if company is None:
            taken = Company.objects.filter(account_number=number).exists()
            company = create_company(
                name=name,
                account_number=None if taken else number,
                kind=CompanyKind.CLIENT,
                plan=plans.get(plan),
                main_phone=phone,
                domains=domains,
                primary_contact_name="",
            )
            created += 1
        for location_name, address in locations:
            Location.objects.get_or_create(
                company=company,
                name=location_name,
                defaults={"address": address, "phone": phone},
            )
        ledger = CreditTransaction.objects.filter(account__company=company)
        if (
            Decimal(bought) > 0
            and not ledger.filter(reference="demo-purchase").exists()
        ):
            purchase_credits(
                company,
                amount=Decimal(bought),
                reference="demo-purchase",
                note="Prepaid support hours",
            )
        if Decimal(used) > 0 and not ledger.filter(reference="demo-usage").exists():
            deduct_credits(
                company,
                amount=Decimal(used),
                reference="demo-usage",
                note="Support work to date",
                allow_overdraft=True,
            )

    for name, number, phone, domains in SUPPLIERS:
        if not Company.objects.filter(name=name).exists():
            taken = Company.objects.filter(account_number=number).exists()
            create_company(
                name=name,
                account_number=None if taken else number,
                kind=CompanyKind.SUPPLIER,
                main_phone=phone,
                domains=domains,
            )
            created += 1

    if stdout is not None:
        stdout.write(
            f"  companies: {len(PLANS)} plans, {len(CLIENTS)} clients and "
            f"{len(SUPPLIERS)} suppliers ({created} new)"
        )
