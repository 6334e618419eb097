import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.choices import Role
from manufacturing import services
from manufacturing.choices import (
    Disposition,
    Result,
    RevisionAction,
    RevisionSubject,
    StepStatus,
    TravelerStatus,
)
from manufacturing.models import LaborLog, RevisionHistory, RoutingOperation

from .factories import (
    BOMTemplateFactory,
    BOMTemplateLineFactory,
    PurchaseOrderLineFactory,
    TravelerFactory,
    traveler_type,
)

pytestmark = pytest.mark.django_db


def _finish(step, operator, quality=None, *, qty=10):
    services.start_labour(step, by=operator)
    services.complete_step(step, by=operator, quantity_passed=qty)
    step.refresh_from_db()
    if step.requires_signoff and quality is not None:
        services.sign_off_step(step, by=quality)
        step.refresh_from_db()
    return step


def test_create_traveler_numbers_are_sequential_and_take_po_line(manager):
    line = PurchaseOrderLineFactory(part_number="PCB-100", revision="C", quantity=25)
    first = services.create_traveler(
        by=manager, traveler_type=traveler_type("pcb"), po_line=line
    )
    second = services.create_traveler(
        by=manager, traveler_type=traveler_type("pcb"), part_number="X", quantity=1
    )
    assert first.number.startswith("TRV-")
    assert int(second.number[4:]) == int(first.number[4:]) + 1
    assert (first.part_number, first.revision, first.quantity) == ("PCB-100", "C", 25)
    assert first.purchase_order == line.purchase_order
    assert first.customer == line.purchase_order.customer
    assert first.revisions.filter(action=RevisionAction.CREATED).exists()


def test_create_traveler_rejects_line_of_another_po(manager):
    line = PurchaseOrderLineFactory()
    other = PurchaseOrderLineFactory()
    with pytest.raises(ValidationError) as exc:
        services.create_traveler(
            by=manager,
            traveler_type=traveler_type(),
            po_line=line,
            purchase_order=other.purchase_order,
        )
    assert "po_line" in exc.value.message_dict


def test_release_snapshots_bom_and_routing(engineer):
    template = BOMTemplateFactory(part_number="PCB-7", revision="B")
    BOMTemplateLineFactory(template=template, part_number="R-1", line=10)
    BOMTemplateLineFactory(template=template, part_number="C-1", line=20)
    traveler = TravelerFactory(part_number="PCB-7", revision="B")
    services.release_traveler(traveler, by=engineer)
    traveler.refresh_from_db()
    assert traveler.status == TravelerStatus.RELEASED
    assert traveler.bom_source == "PCB-7 rev B"
    assert list(traveler.bom_items.values_list("part_number", flat=True)) == [
        "R-1",
        "C-1",
    ]
    routing = list(
        traveler_type("pcb").operations.values_list(
            "sequence", "operation", "standard_minutes"
        )
    )
    assert (
        list(traveler.steps.values_list("sequence", "operation", "standard_minutes"))
        == routing
    )


def test_template_edits_leave_released_traveler_unchanged(engineer):
    template = BOMTemplateFactory(part_number="PCB-8", revision="A")
    line = BOMTemplateLineFactory(
        template=template, part_number="U-1", quantity_per_unit=1
    )
    traveler = services.release_traveler(
        TravelerFactory(part_number="PCB-8", revision="A"), by=engineer
    )
    before_steps = list(
        traveler.steps.values_list("operation", "standard_minutes", "instructions")
    )
    # Edit every template: BOM line, routing operations, add and delete.
    line.part_number, line.quantity_per_unit = "U-2", Decimal("9")
    line.save()
    BOMTemplateLineFactory(template=template, part_number="NEW-1")
    pcb = traveler_type("pcb")
    pcb.operations.update(standard_minutes=Decimal("99"), instructions="changed")
    RoutingOperation.objects.create(
        traveler_type=pcb, sequence=999, operation="Extra", work_centre="test"
    )
    pcb.operations.filter(sequence=10).delete()
    traveler.refresh_from_db()
    assert list(traveler.bom_items.values_list("part_number", "quantity_per_unit")) == [
        ("U-1", Decimal("1"))
    ]
    assert (
        list(
            traveler.steps.values_list("operation", "standard_minutes", "instructions")
        )
        == before_steps
    )


def test_release_refuses_non_draft_and_wrong_role(engineer, operator):
    traveler = TravelerFactory()
    with pytest.raises(PermissionDenied):
        services.release_traveler(traveler, by=operator)
    services.release_traveler(traveler, by=engineer)
    with pytest.raises(ValidationError):
        services.release_traveler(traveler, by=engineer)


def test_step_order_enforced_with_clear_error(release, operator):
    traveler = release("pcb")
    second = traveler.steps.get(sequence=20)
    with pytest.raises(ValidationError) as exc:
        services.start_labour(second, by=operator)
    message = exc.value.message_dict["step"][0]
    assert "Step 10" in message and "Kit components" in message and "step 20" in message


def test_step_waiting_for_signoff_blocks_next_step(release, operator, quality):
    traveler = release("pcb")
    for seq in (10, 20, 30):
        _finish(traveler.steps.get(sequence=seq), operator)
    inspection = _finish(traveler.steps.get(sequence=40), operator)
    assert inspection.awaiting_signoff
    with pytest.raises(ValidationError) as exc:
        services.start_labour(traveler.steps.get(sequence=50), by=operator)
    assert "sign-off" in exc.value.message_dict["step"][0]
    services.sign_off_step(inspection, by=quality)
    services.start_labour(traveler.steps.get(sequence=50), by=operator)


def test_optional_step_does_not_block(release, operator):
    traveler = release("cable")
    first = traveler.steps.get(sequence=10)
    first.required = False
    first.save()
    services.start_labour(traveler.steps.get(sequence=20), by=operator)


def test_one_open_labour_log_per_operator(release, operator):
    a, b = release("cable"), release("cable")
    services.start_labour(a.steps.get(sequence=10), by=operator)
    with pytest.raises(ValidationError) as exc:
        services.start_labour(b.steps.get(sequence=10), by=operator)
    assert a.number in exc.value.message_dict["operator"][0]
    assert LaborLog.objects.open().filter(operator=operator).count() == 1


def test_stop_labour_computes_minutes_and_refuses_double_stop(release, operator):
    step = release("cable").steps.get(sequence=10)
    start = timezone.now() - dt.timedelta(minutes=30)
    services.start_labour(step, by=operator, now=start)
    log = services.stop_labour(
        step, by=operator, quantity=8, now=start + dt.timedelta(minutes=12, seconds=30)
    )
    assert log.minutes == Decimal("12.50")
    assert log.quantity == 8
    with pytest.raises(ValidationError):
        services.stop_labour(step, by=operator)


def test_timer_survives_closed_browser(release, operator):
    """The timer is a row on the server: a new request finds and stops it."""
    step = release("cable").steps.get(sequence=10)
    services.start_labour(step, by=operator, now=timezone.now() - dt.timedelta(hours=1))
    log = services.stop_labour(step, by=operator, quantity=1)
    assert Decimal("59.9") < log.minutes < Decimal("60.2")


def test_complete_step_stops_own_timer_and_finishes_traveler(
    release, operator, quality
):
    traveler = release("cable", quantity=10)
    for step in traveler.steps.order_by("sequence"):
        _finish(step, operator, quality)
    traveler.refresh_from_db()
    assert traveler.status == TravelerStatus.COMPLETED
    assert traveler.completed_at is not None
    assert not LaborLog.objects.open().exists()


def test_complete_step_rejects_quantities_over_traveler_quantity(release, operator):
    step = release("cable", quantity=5).steps.get(sequence=10)
    services.start_labour(step, by=operator)
    with pytest.raises(ValidationError) as exc:
        services.complete_step(step, by=operator, quantity_passed=4, quantity_failed=2)
    assert "quantity_passed" in exc.value.message_dict


def test_coating_required_before_signoff(release, operator, quality):
    traveler = release("pcb")
    for seq in (10, 20, 30, 40):
        _finish(traveler.steps.get(sequence=seq), operator, quality)
    coating = _finish(traveler.steps.get(sequence=50), operator)
    with pytest.raises(ValidationError) as exc:
        services.sign_off_step(coating, by=quality)
    assert "coating" in exc.value.message_dict
    data = {
        "coating_type": "acrylic",
        "material_lot": "LOT-1",
        "thickness_um": Decimal("50"),
        "cure_minutes": 30,
        "cure_temperature_c": Decimal("60"),
        "humidity_pct": Decimal("45"),
    }
    services.record_coating(coating, by=operator, result=Result.FAIL, **data)
    with pytest.raises(ValidationError):
        services.sign_off_step(coating, by=quality)
    services.record_coating(coating, by=operator, result=Result.PASS, **data)
    services.sign_off_step(coating, by=quality)
    coating.refresh_from_db()
    assert coating.signed_off_by == quality


def test_coating_data_refused_on_non_coating_step(release, operator):
    step = release("pcb").steps.get(sequence=10)
    with pytest.raises(ValidationError):
        services.record_coating(
            step,
            by=operator,
            coating_type="acrylic",
            material_lot="L",
            thickness_um=1,
            cure_minutes=1,
            cure_temperature_c=1,
            humidity_pct=1,
            result=Result.PASS,
        )


def test_failed_inspection_holds_traveler(release, operator, quality, manager):
    traveler = release("pcb")
    step = _finish(traveler.steps.get(sequence=10), operator)
    services.record_inspection(
        step,
        by=quality,
        result=Result.FAIL,
        defects="Wrong capacitor in kit",
        defect_count=2,
        disposition=Disposition.REWORK,
    )
    traveler.refresh_from_db()
    assert traveler.status == TravelerStatus.ON_HOLD
    assert "Wrong capacitor" in traveler.hold_reason
    with pytest.raises(ValidationError) as exc:
        services.start_labour(traveler.steps.get(sequence=20), by=operator)
    assert "on hold" in exc.value.message_dict["traveler"][0]
    services.resume_traveler(traveler, by=manager, reason="Kit corrected")
    traveler.refresh_from_db()
    assert traveler.status == TravelerStatus.IN_PROGRESS


def test_failed_inspection_needs_disposition(release, quality):
    step = release("pcb").steps.get(sequence=10)
    with pytest.raises(ValidationError):
        services.record_inspection(step, by=quality, result=Result.FAIL, defects="x")


def test_revision_diff_records_field_changes(engineer, manager):
    traveler = TravelerFactory(quantity=10, priority="normal")
    services.update_traveler(traveler, by=manager, quantity=12, priority="urgent")
    entry = traveler.revisions.get(action=RevisionAction.UPDATED)
    assert entry.changes == {"quantity": [10, 12], "priority": ["normal", "urgent"]}
    assert entry.actor == manager
    item = services.add_bom_item(
        traveler, by=engineer, part_number="R-9", quantity_per_unit=3
    )
    services.update_bom_item(item, by=engineer, quantity_per_unit=Decimal("4.5"))
    bom_entry = traveler.revisions.filter(
        subject=RevisionSubject.BOM_ITEM, action=RevisionAction.UPDATED
    ).get()
    assert bom_entry.changes == {"quantity_per_unit": ["3", "4.5"]}


def test_released_traveler_engineering_change_needs_engineer_approval(
    release, engineer, manager, quality, make_user
):
    traveler = release("pcb", quantity=10)
    with pytest.raises(ValidationError) as exc:
        services.update_traveler(traveler, by=manager, quantity=20)
    assert "change request" in exc.value.message_dict["quantity"][0]
    services.update_traveler(traveler, by=manager, priority="high")  # not engineering
    step = traveler.steps.get(sequence=60)
    cr = services.request_change(
        traveler,
        by=quality,
        subject=RevisionSubject.PROCESS_STEP,
        object_id=step.pk,
        changes={"standard_minutes": "4.5", "instructions": "Use fixture F-2"},
        reason="New test fixture",
    )
    step.refresh_from_db()
    assert step.standard_minutes == Decimal("3")  # not applied yet
    with pytest.raises(PermissionDenied):
        services.approve_change(cr, by=manager)
    services.approve_change(cr, by=engineer)
    step.refresh_from_db()
    assert step.standard_minutes == Decimal("4.5")
    assert step.instructions == "Use fixture F-2"
    entry = RevisionHistory.objects.get(change_request=cr)
    assert entry.reason == "New test fixture"
    assert entry.actor == engineer
    assert entry.changes["standard_minutes"] == ["3", "4.5"]


def test_change_request_validated_when_made(release, engineer):
    traveler = release("pcb")
    with pytest.raises(ValidationError):
        services.request_change(
            traveler,
            by=engineer,
            subject=RevisionSubject.TRAVELER,
            changes={"status": "completed"},
            reason="sneaky",
        )
    with pytest.raises(ValidationError):
        services.request_change(
            traveler,
            by=engineer,
            subject=RevisionSubject.TRAVELER,
            changes={"quantity": 0},
            reason="zero",
        )
    with pytest.raises(ValidationError):
        services.request_change(
            traveler,
            by=engineer,
            subject=RevisionSubject.TRAVELER,
            changes={"quantity": 5},
            reason=" ",
        )


def test_change_request_adds_bom_line_on_approval(release, engineer):
    traveler = release("pcb")
    cr = services.request_change(
        traveler,
        by=engineer,
        subject=RevisionSubject.BOM_ITEM,
        action="add",
        changes={"part_number": "FUSE-1", "quantity_per_unit": "1"},
        reason="Add fuse per ECO-12",
    )
    assert not traveler.bom_items.filter(part_number="FUSE-1").exists()
    services.approve_change(cr, by=engineer)
    assert traveler.bom_items.filter(part_number="FUSE-1").exists()


def test_edit_labor_log_records_who_and_why(release, operator, manager):
    step = release("cable").steps.get(sequence=10)
    start = timezone.now() - dt.timedelta(hours=2)
    services.start_labour(step, by=operator, now=start)
    log = services.stop_labour(
        step, by=operator, quantity=3, now=start + dt.timedelta(minutes=90)
    )
    with pytest.raises(PermissionDenied):
        services.edit_labor_log(log, by=operator, reason="x", quantity=4)
    services.edit_labor_log(
        log,
        by=manager,
        reason="Forgot to stop at lunch",
        stopped_at=start + dt.timedelta(minutes=60),
    )
    log.refresh_from_db()
    assert log.minutes == Decimal("60.00")
    assert log.edited_by == manager and log.edit_reason == "Forgot to stop at lunch"
    entry = RevisionHistory.objects.get(subject=RevisionSubject.LABOR_LOG)
    assert entry.changes["minutes"] == ["90", "60"]


def test_assembly_role_works_only_assembly_steps(release, make_user):
    assembler = make_user(Role.ASSEMBLY)
    traveler = release("assembly")
    with pytest.raises(PermissionDenied):
        services.start_labour(traveler.steps.get(sequence=10), by=assembler)
    traveler.steps.filter(sequence=10).update(
        status=StepStatus.SKIPPED, skip_reason="kit ready"
    )
    services.start_labour(traveler.steps.get(sequence=20), by=assembler)


def test_skip_needs_reason(release, manager):
    step = release("pcb").steps.get(sequence=10)
    with pytest.raises(ValidationError):
        services.skip_step(step, by=manager, reason="")
    services.skip_step(step, by=manager, reason="Customer-supplied kit")
    step.refresh_from_db()
    assert step.status == StepStatus.SKIPPED


def test_bom_status_by_purchasing(release, make_user, engineer):
    buyer = make_user(Role.PURCHASING)
    template = BOMTemplateFactory(part_number="P-1", revision="A")
    BOMTemplateLineFactory(template=template)
    traveler = release("pcb", part_number="P-1", revision="A")
    item = traveler.bom_items.get()
    with pytest.raises(PermissionDenied):
        services.set_bom_item_status(item, by=engineer, status="ordered")
    services.set_bom_item_status(item, by=buyer, status="ordered")
    item.refresh_from_db()
    assert item.status == "ordered"
    with pytest.raises(ValidationError):
        services.add_bom_item(traveler, by=engineer, part_number="late")
