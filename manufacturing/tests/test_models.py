import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from manufacturing.models import Inspection, LaborLog, ProcessStep, RoutingOperation

from .factories import (
    PurchaseOrderFactory,
    PurchaseOrderLineFactory,
    TravelerFactory,
    traveler_type,
)

pytestmark = pytest.mark.django_db


def test_seeded_types_and_routings():
    codes = {
        code: traveler_type(code) for code in ("pcb", "parts", "assembly", "cable")
    }
    assert codes["cable"].uses_cut_lengths
    pcb_ops = list(codes["pcb"].operations.values_list("sequence", "requires_coating"))
    assert pcb_ops[0] == (10, False) and (50, True) in pcb_ops


def test_partial_unique_constraint_one_open_log_per_operator(release, operator):
    step = release("cable").steps.get(sequence=10)
    LaborLog.objects.create(traveler=step.traveler, step=step, operator=operator)
    with pytest.raises(IntegrityError), transaction.atomic():
        LaborLog.objects.create(traveler=step.traveler, step=step, operator=operator)
    # Closed logs do not count.
    LaborLog.objects.update(stopped_at=timezone.now())
    LaborLog.objects.create(traveler=step.traveler, step=step, operator=operator)


def test_log_stop_after_start(release, operator):
    step = release("cable").steps.get(sequence=10)
    now = timezone.now()
    log = LaborLog(
        traveler=step.traveler,
        step=step,
        operator=operator,
        started_at=now,
        stopped_at=now - dt.timedelta(minutes=1),
    )
    with pytest.raises(ValidationError):
        log.full_clean()


def test_skip_needs_reason_constraint(release):
    step = release("pcb").steps.get(sequence=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcessStep.objects.filter(pk=step.pk).update(status="skipped", skip_reason="")


def test_coating_operation_must_need_signoff():
    op = RoutingOperation(
        traveler_type=traveler_type("pcb"),
        sequence=55,
        operation="x",
        work_centre="coating",
        requires_coating=True,
        requires_signoff=False,
    )
    with pytest.raises(ValidationError):
        op.full_clean()


def test_failed_inspection_needs_disposition(release, quality):
    step = release("pcb").steps.get(sequence=10)
    inspection = Inspection(
        traveler=step.traveler, step=step, inspector=quality, result="fail"
    )
    with pytest.raises(ValidationError) as exc:
        inspection.full_clean()
    assert "disposition" in str(exc.value)


def test_status_values_are_checked_by_the_database():
    traveler = TravelerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(traveler).objects.filter(pk=traveler.pk).update(status="exploded")


def test_traveler_clean_checks_po_line_and_customer():
    line = PurchaseOrderLineFactory()
    traveler = TravelerFactory.build(
        number="TRV-X",
        purchase_order=PurchaseOrderFactory(),
        po_line=line,
        traveler_type=traveler_type(),
        created_by=None,
    )
    traveler.customer = traveler.purchase_order.customer
    with pytest.raises(ValidationError) as exc:
        traveler.full_clean()
    assert "po_line" in exc.value.message_dict


def test_overdue_and_cleared_properties(release, operator):
    traveler = TravelerFactory(due_date=timezone.localdate() - dt.timedelta(days=1))
    assert traveler.is_overdue
    traveler.status = "completed"
    assert not traveler.is_overdue
    step = release("pcb").steps.get(sequence=40)
    step.status = "done"
    assert step.awaiting_signoff and not step.is_cleared
    step.signed_off_at = timezone.now()
    assert step.is_cleared
