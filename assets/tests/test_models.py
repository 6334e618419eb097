import datetime as dt

import pytest
from django.utils import timezone

from assets.models import Asset

from .factories import AssetFactory, LicenceAssignmentFactory, LicenceFactory


@pytest.mark.django_db
def test_fast_from_db_gives_the_same_instance_as_django():
    created = AssetFactory(
        hostname="FAST-1", last_seen=timezone.now(), udfs={"a": 1}, notes="n"
    )
    fast = Asset.objects.get(pk=created.pk)
    slow = Asset.objects.only("id", "hostname", "company", "udfs", "last_seen").get(
        pk=created.pk
    )
    for field in ("id", "hostname", "company_id", "udfs", "last_seen"):
        assert getattr(fast, field) == getattr(slow, field)
    assert fast._state.adding is False and fast._state.db == "default"
    assert fast.company == created.company
    fast.hostname = "FAST-2"
    fast.save()
    fast.refresh_from_db()
    assert fast.hostname == "FAST-2"
    assert fast.history.count() == 2
    assert str(fast) == "FAST-2"


@pytest.mark.django_db
def test_seats_used_annotation_counts_assignments():
    licence = LicenceFactory(seats=3)
    LicenceAssignmentFactory.create_batch(2, licence=licence)
    annotated = type(licence).objects.with_seats_used().get(pk=licence.pk)
    assert annotated.seats_used == 2
    assert annotated.masked_key == ""


@pytest.mark.django_db
def test_offline_and_warranty_predicates():
    now = timezone.now()
    old = AssetFactory(online=False, last_seen=now - dt.timedelta(days=9))
    AssetFactory(online=False, last_seen=now - dt.timedelta(days=1))
    soon = AssetFactory(warranty_expires=timezone.localdate() + dt.timedelta(10))
    assert list(Asset.objects.offline_since(7)) == [old]
    assert list(Asset.objects.warranty_expiring(30)) == [soon]
