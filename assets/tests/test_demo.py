import pytest

from assets import demo as assets_demo
from assets.models import Asset, Licence, LicenceAssignment
from companies import demo as companies_demo
from contacts import demo as contacts_demo
from contacts.models import Contact


@pytest.mark.django_db
def test_demo_loads_and_is_idempotent():
    companies_demo.load()
    contacts_demo.load()
    assets_demo.load()
    counts = (
        Asset.objects.count(),
        Licence.objects.count(),
        LicenceAssignment.objects.count(),
        Contact.objects.count(),
    )
    assert counts[0] >= 30 and counts[1] > 0 and counts[2] > 0 and counts[3] > 0
    contacts_demo.load()
    assets_demo.load()
    assert counts == (
        Asset.objects.count(),
        Licence.objects.count(),
        LicenceAssignment.objects.count(),
        Contact.objects.count(),
    )
    for licence in Licence.objects.with_seats_used():
        assert licence.seats_used <= licence.seats
