"""Demo data: two customer POs, one released traveler of each type, with labour,
coating and QC history. Idempotent: does nothing once the first demo PO exists."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.choices import Role
from companies.choices import CompanyKind
from companies.models import Company
from companies.services import create_company

from . import services
from .choices import Result
from .models import BOMTemplate, BOMTemplateLine, PurchaseOrder, TravelerType

DEMO_PASSWORD = "nexus-demo-123"
DEMO_USERS = {
    Role.MANAGER: ("mfg.manager", "Maria Manager"),
    Role.ENGINEER: ("mfg.engineer", "Eric Engineer"),
    Role.OPERATOR: ("mfg.operator", "Olga Operator"),
    Role.QUALITY: ("mfg.quality", "Quinn Quality"),
    Role.PURCHASING: ("mfg.purchasing", "Paul Purchasing"),
    Role.ASSEMBLY: ("mfg.assembly", "Ana Assembly"),
}

BOMS = {
    ("PCB-CTRL-200", "C"): [
        ("MCU-STM32F4", "Microcontroller LQFP64", "1", "ea", "U1"),
        ("C-100N-0402", "Capacitor 100 nF 0402", "12", "ea", "C1-C12"),
        ("R-10K-0402", "Resistor 10 kΩ 0402", "8", "ea", "R1-R8"),
        ("J-HDR-2X5", "Header 2×5 2.54 mm", "1", "ea", "J1"),
    ],
    ("CBL-PWR-12", "A"): [
        ("WIRE-18AWG-RED", "Wire 18 AWG red", "0.5", "m", ""),
        ("WIRE-18AWG-BLK", "Wire 18 AWG black", "0.5", "m", ""),
        ("TERM-MOLEX-39", "Crimp terminal", "4", "ea", ""),
        ("HSG-MOLEX-2P", "Housing 2-pin", "2", "ea", ""),
    ],
    ("ASM-ENCL-7", "B"): [
        ("ENCL-AL-7", "Aluminium enclosure", "1", "ea", ""),
        ("PCB-CTRL-200", "Controller board rev C", "1", "ea", "A1"),
        ("SCR-M3X8", "Screw M3×8", "8", "ea", ""),
    ],
    ("PRT-BRKT-3", "A"): [
        ("AL-6061-PLATE", "Aluminium 6061 plate 3 mm", "0.02", "m2", "")
    ],
}


def _users():
    User = get_user_model()
    users = {}
    for role, (username, name) in DEMO_USERS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                full_name=name,
                email=f"{username}@example.test",
                is_staff=True,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=role))
        users[role] = User.objects.get(pk=user.pk)  # fresh: permission cache
    return users


def _company(name, kind):
    company = Company.objects.filter(name=name).first()
    return company or create_company(name=name, kind=kind)


def _work(step, operator, *, start, minutes, quantity, failed=0):
    services.start_labour(step, by=operator, now=start)
    services.complete_step(
        step,
        by=operator,
        quantity_passed=quantity,
        quantity_failed=failed,
        now=start + dt.timedelta(minutes=minutes),
    )


@transaction.atomic
def load(stdout=None) -> None:
    if PurchaseOrder.objects.filter(po_number="PO-DEMO-1001").exists():
        return
    users = _users()
    manager, engineer = users[Role.MANAGER], users[Role.ENGINEER]
    operator, quality = users[Role.OPERATOR], users[Role.QUALITY]
    buyer = users[Role.PURCHASING]
    customer = _company("Aurora Avionics Ltd", CompanyKind.CLIENT)
    second = _company("Helios Marine Systems", CompanyKind.CLIENT)
    supplier = _company("Digi-Parts Supply", CompanyKind.SUPPLIER)
    for (part, rev), lines in BOMS.items():
        template, created = BOMTemplate.objects.get_or_create(
            part_number=part, revision=rev
        )
        if created:
            for index, (pn, desc, qty, unit, refs) in enumerate(lines, start=1):
                BOMTemplateLine.objects.create(
                    template=template,
                    line=index * 10,
                    part_number=pn,
                    description=desc,
                    quantity_per_unit=Decimal(qty),
                    unit=unit,
                    reference_designators=refs,
                    supplier=supplier,
                    cut_length_mm=Decimal("500")
                    if part.startswith("CBL") and unit == "m"
                    else None,
                    piece_count=2 if part.startswith("CBL") and unit == "m" else None,
                )
    today = timezone.localdate()
    po1 = services.create_purchase_order(
        by=buyer,
        po_number="PO-DEMO-1001",
        customer=customer,
        order_date=today - dt.timedelta(days=20),
        due_date=today + dt.timedelta(days=10),
        lines=[
            {
                "part_number": "PCB-CTRL-200",
                "revision": "C",
                "quantity": 20,
                "unit_price": Decimal("84.00"),
                "description": "Controller board",
            },
            {
                "part_number": "CBL-PWR-12",
                "revision": "A",
                "quantity": 50,
                "unit_price": Decimal("6.50"),
                "description": "12 V power cable",
            },
        ],
    )
    po2 = services.create_purchase_order(
        by=buyer,
        po_number="PO-DEMO-1002",
        customer=second,
        order_date=today - dt.timedelta(days=12),
        due_date=today - dt.timedelta(days=1),
        lines=[
            {
                "part_number": "ASM-ENCL-7",
                "revision": "B",
                "quantity": 5,
                "unit_price": Decimal("420.00"),
                "description": "Controller enclosure",
            },
            {
                "part_number": "PRT-BRKT-3",
                "revision": "A",
                "quantity": 40,
                "unit_price": Decimal("3.10"),
                "description": "Mounting bracket",
            },
        ],
    )
    types = {t.code: t for t in TravelerType.objects.all()}
    lines = list(po1.lines.all()) + list(po2.lines.all())
    travelers = {}
    for line, code, priority in zip(
        lines,
        ("pcb", "cable", "assembly", "parts"),
        ("high", "normal", "urgent", "low"),
        strict=True,
    ):
        traveler = services.create_traveler(
            by=manager, traveler_type=types[code], po_line=line, priority=priority
        )
        travelers[code] = services.release_traveler(traveler, by=engineer)
    base = timezone.now() - dt.timedelta(days=6)

    pcb = travelers["pcb"]
    steps = {s.sequence: s for s in pcb.steps.all()}
    for item in pcb.bom_items.all()[:2]:
        services.set_bom_item_status(item, by=buyer, status="issued")
    _work(steps[10], operator, start=base, minutes=45, quantity=20)
    _work(
        steps[20], operator, start=base + dt.timedelta(hours=1), minutes=55, quantity=20
    )
    _work(
        steps[30],
        operator,
        start=base + dt.timedelta(days=1),
        minutes=95,
        quantity=19,
        failed=1,
    )
    _work(
        steps[40],
        operator,
        start=base + dt.timedelta(days=1, hours=2),
        minutes=25,
        quantity=19,
    )
    services.record_inspection(
        steps[40], by=quality, result=Result.PASS, quantity_inspected=19
    )
    services.sign_off_step(
        steps[40], by=quality, now=base + dt.timedelta(days=1, hours=3)
    )
    _work(
        steps[50], operator, start=base + dt.timedelta(days=2), minutes=52, quantity=19
    )
    coating = {
        "coating_type": "acrylic",
        "material_lot": "HS-1B31-2411",
        "cure_minutes": 30,
        "cure_temperature_c": Decimal("65"),
        "humidity_pct": Decimal("42"),
        "inspector": quality,
    }
    services.record_coating(
        steps[50],
        by=operator,
        thickness_um=Decimal("18"),
        result=Result.FAIL,
        notes="Below 25 µm minimum",
        **coating,
    )
    services.record_coating(
        steps[50],
        by=operator,
        thickness_um=Decimal("38"),
        result=Result.PASS,
        **coating,
    )
    services.sign_off_step(
        steps[50], by=quality, now=base + dt.timedelta(days=2, hours=2)
    )

    cable = travelers["cable"]
    start = base + dt.timedelta(days=1)
    for step in cable.steps.order_by("sequence"):
        _work(
            step,
            operator,
            start=start,
            minutes=float(step.standard_minutes) * 50 * 1.1,
            quantity=50,
        )
        if step.requires_signoff:
            services.sign_off_step(step, by=quality, now=start + dt.timedelta(hours=2))
        start += dt.timedelta(hours=3)

    assembly = travelers["assembly"]
    kit = assembly.steps.get(sequence=10)
    _work(kit, operator, start=base + dt.timedelta(days=3), minutes=14, quantity=5)
    services.start_labour(assembly.steps.get(sequence=20), by=users[Role.ASSEMBLY])

    if stdout is not None:
        stdout.write(
            "  manufacturing: 2 POs, travelers "
            + ", ".join(t.number for t in travelers.values())
            + f" (users mfg.*, password {DEMO_PASSWORD})"
        )
