import importlib
from decimal import Decimal

import factory
from django.apps import apps
from django.utils import timezone

from accounts.tests.factories import UserFactory
from companies.tests.factories import CompanyFactory
from manufacturing.models import (
    BOMTemplate,
    BOMTemplateLine,
    PurchaseOrder,
    PurchaseOrderLine,
    RoutingOperation,
    Traveler,
    TravelerType,
)

_seed = importlib.import_module("manufacturing.migrations.0002_traveler_types")


def traveler_type(code: str = "pcb") -> TravelerType:
    """The seeded type with its routing (re-created after a transactional flush)."""
    if not TravelerType.objects.filter(code=code).exists():
        _seed.create_types(apps, None)
    return TravelerType.objects.get(code=code)


class PurchaseOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurchaseOrder

    po_number = factory.Sequence(lambda n: f"PO-{10000 + n}")
    customer = factory.SubFactory(CompanyFactory)
    order_date = factory.LazyFunction(timezone.localdate)


class PurchaseOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurchaseOrderLine

    purchase_order = factory.SubFactory(PurchaseOrderFactory)
    line = factory.Sequence(lambda n: n + 1)
    part_number = factory.Sequence(lambda n: f"PN-{n:04d}")
    revision = "A"
    quantity = 10
    unit_price = Decimal("12.50")


class TravelerTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TravelerType

    code = factory.Sequence(lambda n: f"type-{n}")
    name = factory.Sequence(lambda n: f"Type {n}")


class RoutingOperationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingOperation

    traveler_type = factory.SubFactory(TravelerTypeFactory)
    sequence = factory.Sequence(lambda n: (n + 1) * 10)
    operation = factory.Sequence(lambda n: f"Operation {n}")
    work_centre = "assembly"
    standard_minutes = Decimal("2")


class BOMTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BOMTemplate

    part_number = factory.Sequence(lambda n: f"PN-{n:04d}")
    revision = "A"


class BOMTemplateLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BOMTemplateLine

    template = factory.SubFactory(BOMTemplateFactory)
    line = factory.Sequence(lambda n: (n + 1) * 10)
    part_number = factory.Sequence(lambda n: f"C-{n:04d}")
    description = "Capacitor 100nF 0402"
    quantity_per_unit = Decimal("2")


class TravelerFactory(factory.django.DjangoModelFactory):
    """A draft traveler (use services.release_traveler to release it)."""

    class Meta:
        model = Traveler

    number = factory.Sequence(lambda n: f"TRV-T{n:05d}")
    purchase_order = factory.SubFactory(PurchaseOrderFactory)
    customer = factory.SelfAttribute("purchase_order.customer")
    traveler_type = factory.LazyFunction(traveler_type)
    part_number = factory.Sequence(lambda n: f"PN-{n:04d}")
    revision = "A"
    quantity = 10
    created_by = factory.SubFactory(UserFactory)
