import pytest

from manufacturing import demo
from manufacturing.choices import TravelerStatus
from manufacturing.models import CoatingLog, LaborLog, PurchaseOrder, Traveler

from .factories import traveler_type

pytestmark = pytest.mark.django_db


def test_demo_loads_every_type_and_is_idempotent():
    traveler_type("pcb")
    demo.load()
    demo.load()
    assert PurchaseOrder.objects.filter(po_number__startswith="PO-DEMO-").count() == 2
    assert set(Traveler.objects.values_list("traveler_type__code", flat=True)) == {
        "pcb",
        "parts",
        "assembly",
        "cable",
    }
    assert Traveler.objects.filter(status=TravelerStatus.COMPLETED).count() == 1
    assert Traveler.objects.filter(status=TravelerStatus.DRAFT).count() == 0
    assert LaborLog.objects.closed().exists() and LaborLog.objects.open().count() == 1
    assert CoatingLog.objects.filter(result="pass").exists()
