import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from assets.models import LicenceAssignment
from assets.services import assign_licence_seat

from .factories import AssetFactory, LicenceFactory


@pytest.mark.django_db
def test_assign_licence_seat_refuses_the_seat_after_the_last():
    licence = LicenceFactory(seats=1)
    a1, a2 = AssetFactory.create_batch(2, company=licence.company)
    assign_licence_seat(licence, asset=a1)
    with pytest.raises(ValidationError) as error:
        assign_licence_seat(licence, asset=a2)
    assert "licence" in error.value.message_dict


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs real row locks under threads"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_assignments_never_exceed_seats():
    licence = LicenceFactory(seats=3)
    assets = AssetFactory.create_batch(12, company=licence.company)
    barrier = threading.Barrier(len(assets))
    outcomes = []

    def assign(asset):
        try:
            barrier.wait()
            assign_licence_seat(licence, asset=asset)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("full")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=assign, args=(a,)) for a in assets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 3
    assert outcomes.count("full") == 9
    assert LicenceAssignment.objects.filter(licence=licence).count() == 3
