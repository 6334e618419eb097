import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from manufacturing import services
from manufacturing.choices import TravelerStatus
from manufacturing.models import BOMItem, RevisionHistory

from .factories import PurchaseOrderLineFactory, TravelerFactory, traveler_type

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "purchaseorder",
    "purchaseorderline",
    "travelertype",
    "bomtemplate",
    "traveler",
    "bomitem",
    "processstep",
    "laborlog",
    "coatinglog",
    "inspection",
    "revisionhistory",
    "changerequest",
]


def _populate(n, engineer, operator):
    for _ in range(n):
        traveler = services.release_traveler(TravelerFactory(), by=engineer)
        step = traveler.steps.get(sequence=10)
        services.start_labour(step, by=operator)
        services.stop_labour(step, by=operator, quantity=1)
        BOMItem.objects.create(traveler=traveler, line=10, part_number="R")
        PurchaseOrderLineFactory(purchase_order=traveler.purchase_order)


@pytest.mark.parametrize("model", CHANGELISTS)
def test_changelist_renders_with_constant_queries(
    staff_client, engineer, operator, model
):
    url = f"/admin/manufacturing/{model}/"
    _populate(2, engineer, operator)
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(url).status_code == 200
    _populate(5, engineer, operator)
    with CaptureQueriesContext(connection) as many:
        assert staff_client.get(url).status_code == 200
    assert len(many) <= len(few), model


def test_traveler_change_page_with_inlines(staff_client, release):
    traveler = release("pcb")
    response = staff_client.get(f"/admin/manufacturing/traveler/{traveler.pk}/change/")
    assert response.status_code == 200
    assert "Kit components" in response.content.decode()


def test_admin_creates_traveler_through_service(staff_client):
    line = PurchaseOrderLineFactory()
    response = staff_client.post(
        "/admin/manufacturing/traveler/add/",
        {
            "purchase_order": line.purchase_order_id,
            "po_line": line.pk,
            "customer": line.purchase_order.customer_id,
            "traveler_type": traveler_type("parts").pk,
            "part_number": line.part_number,
            "revision": "A",
            "quantity": 3,
            "priority": "normal",
            "bom_items-TOTAL_FORMS": "0",
            "bom_items-INITIAL_FORMS": "0",
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from manufacturing.models import Traveler

    traveler = Traveler.objects.get()
    assert traveler.number.startswith("TRV-")
    assert traveler.revisions.filter(action="created").exists()


def test_admin_bom_inline_edits_are_recorded(staff_client):
    traveler = TravelerFactory()
    data = {
        "traveler_type": traveler.traveler_type_id,
        "part_number": traveler.part_number,
        "revision": traveler.revision,
        "quantity": traveler.quantity,
        "priority": "normal",
        "bom_items-TOTAL_FORMS": "1",
        "bom_items-INITIAL_FORMS": "0",
        "bom_items-0-line": "10",
        "bom_items-0-part_number": "C-22",
        "bom_items-0-quantity_per_unit": "3",
        "bom_items-0-unit": "ea",
        "steps-TOTAL_FORMS": "0",
        "steps-INITIAL_FORMS": "0",
    }
    response = staff_client.post(
        f"/admin/manufacturing/traveler/{traveler.pk}/change/", data
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert traveler.bom_items.get().part_number == "C-22"
    assert RevisionHistory.objects.filter(
        traveler=traveler, subject="bom_item", action="created"
    ).exists()


def test_admin_actions_release_hold_print(staff_client):
    a, b = TravelerFactory(), TravelerFactory()
    url = "/admin/manufacturing/traveler/"
    staff_client.post(
        url, {"action": "release_selected", "_selected_action": [a.pk, b.pk]}
    )
    a.refresh_from_db()
    assert a.status == TravelerStatus.RELEASED
    response = staff_client.post(
        url, {"action": "release_selected", "_selected_action": [a.pk]}, follow=True
    )
    assert "Only a draft traveler can be released" in response.content.decode()
    staff_client.post(url, {"action": "hold_selected", "_selected_action": [b.pk]})
    b.refresh_from_db()
    assert b.status == TravelerStatus.ON_HOLD
    printed = staff_client.post(
        url, {"action": "print_selected", "_selected_action": [a.pk]}
    )
    assert printed.status_code == 302 and printed["Location"].endswith(
        f"/travelers/{a.pk}/print"
    )


def test_admin_actions_respect_roles(client, make_user):
    from accounts.choices import Role

    client.force_login(make_user(Role.OPERATOR))
    traveler = TravelerFactory()
    response = client.get("/admin/manufacturing/traveler/")
    assert response.status_code == 200
    assert "release_selected" not in response.content.decode()
    client.post(
        "/admin/manufacturing/traveler/",
        {"action": "release_selected", "_selected_action": [traveler.pk]},
    )
    traveler.refresh_from_db()
    assert traveler.status == TravelerStatus.DRAFT


def test_manager_corrects_labour_log_in_admin(client, make_user, release, operator):
    from accounts.choices import Role

    manager = make_user(Role.MANAGER)
    client.force_login(manager)
    step = release("cable").steps.get(sequence=10)
    services.start_labour(step, by=operator)
    log = services.stop_labour(step, by=operator, quantity=1)
    url = f"/admin/manufacturing/laborlog/{log.pk}/change/"
    base = {
        "started_at_0": log.started_at.strftime("%Y-%m-%d"),
        "started_at_1": log.started_at.strftime("%H:%M:%S"),
        "stopped_at_0": log.stopped_at.strftime("%Y-%m-%d"),
        "stopped_at_1": log.stopped_at.strftime("%H:%M:%S"),
        "quantity": "4",
        "notes": "",
    }
    missing = client.post(url, {**base, "edit_reason": ""})
    assert missing.status_code == 200  # form error: the reason is required
    done = client.post(url, {**base, "edit_reason": "Counted again"})
    assert done.status_code == 302
    log.refresh_from_db()
    assert log.quantity == 4 and log.edited_by == manager
