"""Manufacturing writes (STYLE R6): release, labour, sign-off, QC, engineering changes.

Every function checks the caller's permission itself, so the API, pages, admin
and tasks enforce the same role rules, and records what it changed in the
traveler's revision history.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from nexus.sequences import next_value

from .choices import (
    ASSEMBLY_WORK_CENTRES,
    RELEASED_STATUSES,
    WORKABLE_STATUSES,
    ChangeRequestAction,
    ChangeRequestStatus,
    Result,
    RevisionAction,
    RevisionSubject,
    StepStatus,
    TravelerStatus,
)
from .models import (
    BOM_ENGINEERING_FIELDS,
    STEP_ENGINEERING_FIELDS,
    TRAVELER_ENGINEERING_FIELDS,
    BOMItem,
    BOMTemplate,
    ChangeRequest,
    CoatingLog,
    Inspection,
    LaborLog,
    ProcessStep,
    PurchaseOrder,
    PurchaseOrderLine,
    RevisionHistory,
    Traveler,
    TravelerType,
)

TRAVELER_NUMBER_FORMAT = "TRV-{:06d}"
TRAVELER_EDITABLE_FIELDS = (
    *TRAVELER_ENGINEERING_FIELDS,
    "description",
    "priority",
    "due_date",
    "notes",
)


# --- helpers -----------------------------------------------------------------


def _require(user, *perms: str) -> None:
    """Raise PermissionDenied unless the user holds one of the permissions."""
    if not any(user.has_perm(f"manufacturing.{perm}") for perm in perms):
        raise PermissionDenied(_("Your role does not allow this action."))


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a field value for the revision diff."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _apply(obj: models.Model, fields: dict[str, Any]) -> dict[str, list]:
    """Set the fields on obj and return {field: [old, new]} for those that changed."""
    changes = {}
    for name, new in fields.items():
        old = getattr(obj, name)
        if _plain(old) != _plain(new):
            changes[name] = [_plain(old), _plain(new)]
            setattr(obj, name, new)
    return changes


def record_revision(
    traveler: Traveler,
    *,
    subject: str,
    action: str,
    actor,
    obj: models.Model | None = None,
    changes: dict | None = None,
    reason: str = "",
    change_request: ChangeRequest | None = None,
) -> RevisionHistory:
    """Append one entry to the traveler's revision history."""
    return RevisionHistory.objects.create(
        traveler=traveler,
        subject=subject,
        object_id=obj.pk if obj is not None else traveler.pk,
        object_repr=str(obj if obj is not None else traveler)[:200],
        action=action,
        changes=changes or {},
        actor=actor,
        reason=reason,
        change_request=change_request,
    )


def _locked(model, pk):
    # select_for_update is a no-op on SQLite, where writers are serialised anyway.
    return model.objects.select_for_update().get(pk=pk)


def _set_status(traveler: Traveler, status: str, *, by, reason: str = "", **extra):
    old = traveler.status
    traveler.status = status
    for name, value in extra.items():
        setattr(traveler, name, value)
    traveler.save(update_fields=["status", *extra, "updated_at"])
    record_revision(
        traveler,
        subject=RevisionSubject.TRAVELER,
        action=RevisionAction.STATUS,
        actor=by,
        changes={"status": [old, status]},
        reason=reason,
    )


def _refuse_released(traveler: Traveler, field: str = "traveler") -> None:
    if (
        traveler.status in RELEASED_STATUSES
        or traveler.status == TravelerStatus.CANCELLED
    ):
        raise ValidationError(
            {
                field: _(
                    "Traveler %(number)s is %(status)s: engineering changes need a "
                    "change request approved by an engineer."
                )
                % {"number": traveler.number, "status": traveler.get_status_display()}
            }
        )


def _in_production(traveler: Traveler) -> bool:
    """Released and not yet completed (in progress or on hold counts)."""
    return (
        traveler.status in RELEASED_STATUSES
        and traveler.status != TravelerStatus.COMPLETED
    )


def _minutes(started_at: dt.datetime, stopped_at: dt.datetime) -> Decimal:
    return Decimal(str(round((stopped_at - started_at).total_seconds() / 60, 2)))


# --- purchase orders and travelers -------------------------------------------


@transaction.atomic
def create_purchase_order(
    *, by, lines: list[dict] | None = None, **fields
) -> PurchaseOrder:
    """Create a PO with its lines (line numbers default to 1, 2, 3 …)."""
    _require(by, "add_purchaseorder")
    po = PurchaseOrder(created_by=by, **fields)
    po.full_clean()
    po.save()
    for index, line in enumerate(lines or [], start=1):
        item = PurchaseOrderLine(purchase_order=po, **{"line": index, **line})
        item.full_clean()
        item.save()
    return po


@transaction.atomic
def create_traveler(
    *,
    by,
    traveler_type: TravelerType,
    quantity: int | None = None,
    part_number: str = "",
    revision: str = "",
    purchase_order: PurchaseOrder | None = None,
    po_line: PurchaseOrderLine | None = None,
    customer=None,
    **fields,
) -> Traveler:
    """Create a draft traveler with the next traveler number (race-free)."""
    _require(by, "add_traveler")
    if po_line is not None:
        purchase_order = purchase_order or po_line.purchase_order
        part_number = part_number or po_line.part_number
        revision = revision or po_line.revision
        quantity = quantity or po_line.quantity
        fields.setdefault("description", po_line.description)
    if purchase_order is not None:
        customer = customer or purchase_order.customer
        fields.setdefault("due_date", purchase_order.due_date)
    traveler = Traveler(
        number="pending",
        traveler_type=traveler_type,
        part_number=part_number,
        revision=revision,
        quantity=quantity or 0,
        purchase_order=purchase_order,
        po_line=po_line,
        customer=customer,
        created_by=by,
        **fields,
    )
    traveler.full_clean(exclude=["number"])
    traveler.number = TRAVELER_NUMBER_FORMAT.format(next_value("traveler"))
    traveler.save()
    record_revision(
        traveler,
        subject=RevisionSubject.TRAVELER,
        action=RevisionAction.CREATED,
        actor=by,
        changes={
            name: [None, _plain(getattr(traveler, name))]
            for name in ("traveler_type", "part_number", "revision", "quantity")
        },
    )
    return traveler


@transaction.atomic
def update_traveler(traveler: Traveler, *, by, reason: str = "", **fields) -> Traveler:
    """Edit a traveler; engineering fields of a released one need a change request."""
    _require(by, "change_traveler")
    unknown = set(fields) - set(TRAVELER_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be edited.") for name in unknown}
        )
    traveler = _locked(Traveler, traveler.pk)
    if traveler.status in RELEASED_STATUSES:
        for name in TRAVELER_ENGINEERING_FIELDS:
            if name in fields and _plain(fields[name]) != _plain(
                getattr(traveler, name)
            ):
                _refuse_released(traveler, name)
    if traveler.status == TravelerStatus.CANCELLED:
        raise ValidationError({"status": _("A cancelled traveler cannot be edited.")})
    changes = _apply(traveler, fields)
    if changes:
        traveler.full_clean()
        traveler.save()
        record_revision(
            traveler,
            subject=RevisionSubject.TRAVELER,
            action=RevisionAction.UPDATED,
            actor=by,
            changes=changes,
            reason=reason,
        )
    return traveler


def _next_line(traveler: Traveler) -> int:
    top = traveler.bom_items.aggregate(top=Max("line"))["top"] or 0
    return top + 10


@transaction.atomic
def add_bom_item(traveler: Traveler, *, by, **fields) -> BOMItem:
    """Add a BOM line to a draft traveler (released ones go through a change request)."""
    _require(by, "add_bomitem")
    _refuse_released(traveler)
    return _create_bom_item(traveler, by=by, fields=fields)


def _create_bom_item(traveler, *, by, fields, reason="", change_request=None):
    fields = dict(fields)
    if not fields.get("line"):
        fields["line"] = _next_line(traveler)
    item = BOMItem(traveler=traveler, **fields)
    item.full_clean()
    item.save()
    record_revision(
        traveler,
        subject=RevisionSubject.BOM_ITEM,
        action=RevisionAction.CREATED,
        actor=by,
        obj=item,
        changes={name: [None, _plain(getattr(item, name))] for name in fields},
        reason=reason,
        change_request=change_request,
    )
    return item


@transaction.atomic
def update_bom_item(item: BOMItem, *, by, **fields) -> BOMItem:
    """Edit a BOM line of a draft traveler."""
    _require(by, "change_bomitem")
    _refuse_released(item.traveler)
    return _update_child(
        item,
        by=by,
        fields=fields,
        allowed=BOM_ENGINEERING_FIELDS,
        subject=RevisionSubject.BOM_ITEM,
    )


def _update_child(obj, *, by, fields, allowed, subject, reason="", change_request=None):
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed.") for name in unknown}
        )
    changes = _apply(obj, fields)
    if changes:
        obj.full_clean()
        obj.save()
        record_revision(
            obj.traveler,
            subject=subject,
            action=RevisionAction.UPDATED,
            actor=by,
            obj=obj,
            changes=changes,
            reason=reason,
            change_request=change_request,
        )
    return obj


@transaction.atomic
def delete_bom_item(item: BOMItem, *, by) -> None:
    """Remove a BOM line from a draft traveler."""
    _require(by, "delete_bomitem")
    _refuse_released(item.traveler)
    _delete_bom_item(item, by=by)


def _delete_bom_item(item, *, by, reason="", change_request=None):
    record_revision(
        item.traveler,
        subject=RevisionSubject.BOM_ITEM,
        action=RevisionAction.DELETED,
        actor=by,
        obj=item,
        changes={"part_number": [item.part_number, None], "line": [item.line, None]},
        reason=reason,
        change_request=change_request,
    )
    item.delete()


@transaction.atomic
def set_bom_item_status(item: BOMItem, *, by, status: str) -> BOMItem:
    """Purchasing moves a BOM line through required → ordered → received → issued."""
    _require(by, "change_bomitem_status")
    if item.traveler.status == TravelerStatus.CANCELLED:
        raise ValidationError({"status": _("The traveler is cancelled.")})
    changes = _apply(item, {"status": status})
    if changes:
        item.full_clean()
        item.save(update_fields=["status"])
        record_revision(
            item.traveler,
            subject=RevisionSubject.BOM_ITEM,
            action=RevisionAction.STATUS,
            actor=by,
            obj=item,
            changes=changes,
        )
    return item


_SNAPSHOT_BOM_FIELDS = (
    "line",
    "part_number",
    "description",
    "quantity_per_unit",
    "unit",
    "reference_designators",
    "supplier_id",
    "cut_length_mm",
    "piece_count",
)
_SNAPSHOT_STEP_FIELDS = (
    "sequence",
    "operation",
    "work_centre",
    "instructions",
    "standard_minutes",
    "required",
    "requires_signoff",
    "requires_coating",
)


@transaction.atomic
def release_traveler(traveler: Traveler, *, by) -> Traveler:
    """Release a draft: copy the BOM template and the type's routing onto it.

    The copies belong to the traveler, so later edits of a template or a routing
    never change what the shop floor builds from a released traveler.
    """
    _require(by, "release_traveler")
    traveler = _locked(Traveler, traveler.pk)
    if traveler.status != TravelerStatus.DRAFT:
        raise ValidationError({"status": _("Only a draft traveler can be released.")})
    operations = list(traveler.traveler_type.operations.order_by("sequence"))
    if not operations:
        raise ValidationError(
            {"traveler_type": _("The traveler type has no routing operations.")}
        )
    if not traveler.bom_items.exists():
        template = (
            BOMTemplate.objects.filter(
                part_number=traveler.part_number, revision=traveler.revision
            )
            .prefetch_related("lines")
            .first()
        )
        if template is not None:
            BOMItem.objects.bulk_create(
                BOMItem(
                    traveler=traveler,
                    **{name: getattr(line, name) for name in _SNAPSHOT_BOM_FIELDS},
                )
                for line in template.lines.all()
            )
            traveler.bom_source = str(template)
    ProcessStep.objects.bulk_create(
        ProcessStep(
            traveler=traveler,
            **{name: getattr(op, name) for name in _SNAPSHOT_STEP_FIELDS},
        )
        for op in operations
    )
    old = traveler.status
    traveler.status = TravelerStatus.RELEASED
    traveler.released_at = timezone.now()
    traveler.released_by = by
    traveler.hold_reason = ""
    traveler.save()
    record_revision(
        traveler,
        subject=RevisionSubject.TRAVELER,
        action=RevisionAction.RELEASED,
        actor=by,
        changes={
            "status": [old, traveler.status],
            "bom_items": [None, traveler.bom_items.count()],
            "steps": [None, len(operations)],
        },
    )
    return traveler


@transaction.atomic
def hold_traveler(traveler: Traveler, *, by, reason: str) -> Traveler:
    """Stop work on a released traveler until someone resumes it."""
    _require(by, "hold_traveler")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the traveler is put on hold.")})
    traveler = _locked(Traveler, traveler.pk)
    if traveler.status not in WORKABLE_STATUSES:
        raise ValidationError(
            {"status": _("Only a released or in-progress traveler can be put on hold.")}
        )
    _put_on_hold(traveler, by=by, reason=reason)
    return traveler


def _put_on_hold(traveler: Traveler, *, by, reason: str) -> None:
    _set_status(
        traveler, TravelerStatus.ON_HOLD, by=by, reason=reason, hold_reason=reason[:255]
    )


@transaction.atomic
def resume_traveler(traveler: Traveler, *, by, reason: str = "") -> Traveler:
    """Take a traveler off hold."""
    _require(by, "hold_traveler")
    traveler = _locked(Traveler, traveler.pk)
    if traveler.status != TravelerStatus.ON_HOLD:
        raise ValidationError({"status": _("The traveler is not on hold.")})
    started = traveler.steps.exclude(status=StepStatus.PENDING).exists()
    status = TravelerStatus.IN_PROGRESS if started else TravelerStatus.RELEASED
    _set_status(traveler, status, by=by, reason=reason, hold_reason="")
    return traveler


@transaction.atomic
def cancel_traveler(traveler: Traveler, *, by, reason: str) -> Traveler:
    """Cancel a traveler that is not completed."""
    _require(by, "cancel_traveler")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the traveler is cancelled.")})
    traveler = _locked(Traveler, traveler.pk)
    if traveler.status in (TravelerStatus.COMPLETED, TravelerStatus.CANCELLED):
        raise ValidationError({"status": _("The traveler is already closed.")})
    if traveler.labor_logs.open().exists():
        raise ValidationError({"status": _("Stop the running labour timers first.")})
    _set_status(traveler, TravelerStatus.CANCELLED, by=by, reason=reason)
    return traveler


# --- the shop floor ----------------------------------------------------------


def current_step(traveler: Traveler) -> ProcessStep | None:
    """The first step that is not yet cleared (done and signed off, or skipped)."""
    for step in sorted(traveler.steps.all(), key=lambda s: s.sequence):
        if not step.is_cleared:
            return step
    return None


def can_work_step(user, step: ProcessStep) -> bool:
    return user.has_perm("manufacturing.work_processstep") or (
        step.work_centre in ASSEMBLY_WORK_CENTRES
        and user.has_perm("manufacturing.work_assembly_processstep")
    )


def _require_work(user, step: ProcessStep) -> None:
    if not can_work_step(user, step):
        raise PermissionDenied(
            _("Your role does not allow work at the %(centre)s work centre.")
            % {"centre": step.get_work_centre_display()}
        )


def _require_workable(traveler: Traveler) -> None:
    if traveler.status == TravelerStatus.ON_HOLD:
        raise ValidationError(
            {
                "traveler": _("Traveler %(number)s is on hold: %(reason)s")
                % {"number": traveler.number, "reason": traveler.hold_reason}
            }
        )
    if traveler.status not in WORKABLE_STATUSES:
        raise ValidationError(
            {
                "traveler": _("Traveler %(number)s is %(status)s, not released.")
                % {"number": traveler.number, "status": traveler.get_status_display()}
            }
        )


def _check_order(step: ProcessStep) -> None:
    """A step may start only when every earlier required step is cleared."""
    blocking = ProcessStep.objects.filter(
        traveler_id=step.traveler_id, sequence__lt=step.sequence, required=True
    ).order_by("sequence")
    for earlier in blocking:
        if earlier.is_cleared:
            continue
        if earlier.awaiting_signoff:
            message = _(
                "Step %(seq)s “%(op)s” is waiting for QC sign-off; step %(this)s "
                "cannot start yet."
            )
        else:
            message = _(
                "Step %(seq)s “%(op)s” must be done before step %(this)s can start."
            )
        raise ValidationError(
            {
                "step": message
                % {
                    "seq": earlier.sequence,
                    "op": earlier.operation,
                    "this": step.sequence,
                }
            }
        )


def _lock_for_work(step: ProcessStep) -> tuple[ProcessStep, Traveler]:
    """Lock the step and its traveler, which must be in production and not on hold."""
    step = _locked(ProcessStep, step.pk)
    traveler = _locked(Traveler, step.traveler_id)
    _require_workable(traveler)
    return step, traveler


def _already_finished(step: ProcessStep) -> ValidationError:
    return ValidationError(
        {
            "step": _("Step %(seq)s is already %(status)s.")
            % {"seq": step.sequence, "status": step.get_status_display().lower()}
        }
    )


def _record_step_status(
    traveler: Traveler, step: ProcessStep, *, by, changes: dict, reason: str = ""
) -> None:
    record_revision(
        traveler,
        subject=RevisionSubject.PROCESS_STEP,
        action=RevisionAction.STATUS,
        actor=by,
        obj=step,
        changes=changes,
        reason=reason,
    )


def _mark_in_progress(traveler: Traveler, *, by) -> None:
    """The first work on a released traveler puts it in progress."""
    if traveler.status == TravelerStatus.RELEASED:
        _set_status(traveler, TravelerStatus.IN_PROGRESS, by=by)


@transaction.atomic
def start_labour(step: ProcessStep, *, by, now: dt.datetime | None = None) -> LaborLog:
    """Scan to start: open the operator's timer on a step (one timer per operator)."""
    _require_work(by, step)
    step, traveler = _lock_for_work(step)
    if step.status in (StepStatus.DONE, StepStatus.SKIPPED):
        raise _already_finished(step)
    _check_order(step)
    now = now or timezone.now()
    try:
        # savepoint: the duplicate must not poison the caller's transaction
        with transaction.atomic():
            log = LaborLog.objects.create(
                traveler=traveler, step=step, operator=by, started_at=now
            )
    except IntegrityError:
        running = (
            LaborLog.objects.open()
            .filter(operator=by)
            .select_related("traveler", "step")
            .first()
        )
        where = (
            f"{running.traveler.number} · {running.step.sequence} {running.step.operation}"
            if running
            else "?"
        )
        raise ValidationError(
            {
                "operator": _(
                    "You already have a running timer (%(where)s). Stop it first."
                )
                % {"where": where}
            }
        ) from None
    if step.status == StepStatus.PENDING:
        step.status = StepStatus.IN_PROGRESS
        step.started_at = now
        step.save(update_fields=["status", "started_at"])
        _record_step_status(
            traveler,
            step,
            by=by,
            changes={"status": [StepStatus.PENDING, StepStatus.IN_PROGRESS]},
        )
    _mark_in_progress(traveler, by=by)
    return log


def _close_log(log: LaborLog, *, quantity: int, notes: str, now) -> bool:
    """Stop a timer with a conditional UPDATE, so two stops never both succeed."""
    fields = {
        "stopped_at": now,
        "minutes": _minutes(log.started_at, now),
        "quantity": quantity,
    }
    if notes:
        fields["notes"] = notes[:255]
    updated = LaborLog.objects.filter(pk=log.pk, stopped_at__isnull=True).update(
        **fields
    )
    if updated:
        for name, value in fields.items():
            setattr(log, name, value)
    return bool(updated)


@transaction.atomic
def stop_labour(
    step: ProcessStep,
    *,
    by,
    quantity: int = 0,
    notes: str = "",
    now: dt.datetime | None = None,
) -> LaborLog:
    """Scan to stop: close the operator's running timer on this step."""
    _require_work(by, step)
    if quantity < 0:
        raise ValidationError({"quantity": _("Quantity cannot be negative.")})
    log = LaborLog.objects.open().filter(operator=by, step=step).first()
    now = now or timezone.now()
    if log is None or not _close_log(log, quantity=quantity, notes=notes, now=now):
        raise ValidationError({"step": _("You have no running timer on this step.")})
    return log


@transaction.atomic
def complete_step(
    step: ProcessStep,
    *,
    by,
    quantity_passed: int,
    quantity_failed: int = 0,
    now: dt.datetime | None = None,
) -> ProcessStep:
    """Finish a step with its good and bad quantities; stops the caller's timer."""
    _require_work(by, step)
    step, traveler = _lock_for_work(step)
    if step.status == StepStatus.PENDING:
        _check_order(step)
    elif step.status != StepStatus.IN_PROGRESS:
        raise _already_finished(step)
    errors = {}
    if quantity_passed < 0:
        errors["quantity_passed"] = _("Quantity cannot be negative.")
    if quantity_failed < 0:
        errors["quantity_failed"] = _("Quantity cannot be negative.")
    if quantity_passed + quantity_failed > traveler.quantity:
        errors["quantity_passed"] = _(
            "Passed and failed together exceed the traveler quantity (%(qty)s)."
        ) % {"qty": traveler.quantity}
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    others = step.labor_logs.open().exclude(operator=by).select_related("operator")
    if others:
        raise ValidationError(
            {
                "step": _("Still running: %(names)s. Stop those timers first.")
                % {"names": ", ".join(str(log.operator) for log in others)}
            }
        )
    own = step.labor_logs.open().filter(operator=by).first()
    if own is not None:
        _close_log(own, quantity=quantity_passed + quantity_failed, notes="", now=now)
    old = step.status
    step.status = StepStatus.DONE
    step.quantity_passed, step.quantity_failed = quantity_passed, quantity_failed
    step.completed_at, step.completed_by = now, by
    step.started_at = step.started_at or now
    step.save()
    _record_step_status(
        traveler,
        step,
        by=by,
        changes={
            "status": [old, StepStatus.DONE],
            "quantity_passed": [0, quantity_passed],
            "quantity_failed": [0, quantity_failed],
        },
    )
    _mark_in_progress(traveler, by=by)
    _complete_if_finished(traveler, by=by, now=now)
    return step


def _complete_if_finished(traveler: Traveler, *, by, now) -> None:
    steps = list(traveler.steps.all())
    if steps and all(step.is_cleared for step in steps):
        _set_status(traveler, TravelerStatus.COMPLETED, by=by, completed_at=now)


@transaction.atomic
def sign_off_step(
    step: ProcessStep, *, by, now: dt.datetime | None = None
) -> ProcessStep:
    """QC sign-off of a done step; a coating step needs passing coating data first."""
    _require(by, "signoff_processstep")
    step = _locked(ProcessStep, step.pk)
    traveler = _locked(Traveler, step.traveler_id)
    if traveler.status == TravelerStatus.ON_HOLD:
        _require_workable(traveler)
    if step.status != StepStatus.DONE:
        raise ValidationError(
            {"step": _("Only a done step can be signed off; complete it first.")}
        )
    if step.signed_off_at is not None:
        raise ValidationError({"step": _("This step is already signed off.")})
    if (
        step.requires_coating
        and not step.coating_logs.filter(result=Result.PASS).exists()
    ):
        raise ValidationError(
            {"coating": _("Record passing coating data before signing off this step.")}
        )
    latest = step.inspections.order_by("-inspected_at", "-pk").first()
    if latest is not None and latest.result == Result.FAIL:
        raise ValidationError(
            {"inspection": _("The last inspection of this step failed.")}
        )
    now = now or timezone.now()
    step.signed_off_by, step.signed_off_at = by, now
    step.save(update_fields=["signed_off_by", "signed_off_at"])
    _record_step_status(
        traveler, step, by=by, changes={"signed_off_by": [None, str(by)]}
    )
    _complete_if_finished(traveler, by=by, now=now)
    return step


@transaction.atomic
def skip_step(step: ProcessStep, *, by, reason: str) -> ProcessStep:
    """Skip a pending step, with a reason (e.g. a customer waiver)."""
    _require(by, "skip_processstep")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the step is skipped.")})
    step = _locked(ProcessStep, step.pk)
    if step.status != StepStatus.PENDING:
        raise ValidationError({"step": _("Only a pending step can be skipped.")})
    step.status, step.skip_reason = StepStatus.SKIPPED, reason[:255]
    step.save(update_fields=["status", "skip_reason"])
    _record_step_status(
        step.traveler,
        step,
        by=by,
        changes={"status": [StepStatus.PENDING, StepStatus.SKIPPED]},
        reason=reason,
    )
    _complete_if_finished(step.traveler, by=by, now=timezone.now())
    return step


@transaction.atomic
def edit_labor_log(log: LaborLog, *, by, reason: str, **fields) -> LaborLog:
    """Correct a closed labour log after the fact; who, when and why are kept."""
    _require(by, "change_laborlog")
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the labour log is corrected.")})
    allowed = {"started_at", "stopped_at", "quantity", "notes"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed.") for name in unknown}
        )
    log = _locked(LaborLog, log.pk)
    if log.stopped_at is None:
        raise ValidationError({"stopped_at": _("Stop the running timer first.")})
    changes = _apply(log, fields)
    if log.stopped_at < log.started_at:
        raise ValidationError(
            {"stopped_at": _("The stop time is before the start time.")}
        )
    if changes:
        minutes = _minutes(log.started_at, log.stopped_at)
        if minutes != log.minutes:
            changes["minutes"] = [_plain(log.minutes), _plain(minutes)]
            log.minutes = minutes
        log.edited_by, log.edited_at, log.edit_reason = by, timezone.now(), reason[:255]
        log.full_clean()
        log.save()
        record_revision(
            log.traveler,
            subject=RevisionSubject.LABOR_LOG,
            action=RevisionAction.UPDATED,
            actor=by,
            obj=log,
            changes=changes,
            reason=reason,
        )
    return log


# --- coating and quality -----------------------------------------------------


@transaction.atomic
def record_coating(step: ProcessStep, *, by, **data) -> CoatingLog:
    """Record the coating data of a coating step."""
    _require(by, "add_coatinglog")
    if not step.requires_coating:
        raise ValidationError({"step": _("This step takes no coating data.")})
    _require_workable(step.traveler)
    data.setdefault("operator", by)
    log = CoatingLog(traveler=step.traveler, step=step, **data)
    log.full_clean()
    log.save()
    return log


@transaction.atomic
def record_inspection(step: ProcessStep, *, by, result: str, **data) -> Inspection:
    """Record a QC inspection of a step; a failure puts the traveler on hold."""
    _require(by, "add_inspection")
    traveler = _locked(Traveler, step.traveler_id)
    if not _in_production(traveler):
        raise ValidationError({"step": _("The traveler is not in production.")})
    inspection = Inspection(
        traveler=traveler, step=step, inspector=by, result=result, **data
    )
    inspection.full_clean()
    inspection.save()
    if result == Result.FAIL and traveler.status != TravelerStatus.ON_HOLD:
        reason = _(
            "Failed inspection at step %(seq)s (%(disposition)s): %(defects)s"
        ) % {
            "seq": step.sequence,
            "disposition": inspection.get_disposition_display(),
            "defects": inspection.defects or "-",
        }
        _put_on_hold(traveler, by=by, reason=reason)
    return inspection


# --- engineering changes -----------------------------------------------------

_SUBJECTS = {
    RevisionSubject.TRAVELER: (Traveler, TRAVELER_ENGINEERING_FIELDS),
    RevisionSubject.BOM_ITEM: (BOMItem, BOM_ENGINEERING_FIELDS),
    RevisionSubject.PROCESS_STEP: (ProcessStep, STEP_ENGINEERING_FIELDS),
}


def _resolve(name: str, value):
    """Turn a stored change value (ids, strings) into a model field value."""
    if name == "traveler_type" and value is not None:
        return TravelerType.objects.filter(pk=value).first() or TravelerType(pk=value)
    if name == "supplier":
        from companies.models import Company

        return None if value in (None, "") else Company.objects.filter(pk=value).first()
    return value


def _target(cr: ChangeRequest):
    model, allowed = _SUBJECTS[cr.subject]
    if cr.subject == RevisionSubject.TRAVELER:
        return cr.traveler, allowed
    if cr.action == ChangeRequestAction.ADD:
        return None, allowed
    obj = model.objects.filter(pk=cr.object_id, traveler=cr.traveler).first()
    if obj is None:
        raise ValidationError({"object_id": _("No such row on this traveler.")})
    return obj, allowed


def _validate_change(cr: ChangeRequest) -> None:
    """Dry-run a change so that an invalid request is refused when it is made."""
    if cr.subject not in _SUBJECTS:
        raise ValidationError({"subject": _("Unknown subject.")})
    if (
        cr.subject != RevisionSubject.BOM_ITEM
        and cr.action != ChangeRequestAction.UPDATE
    ):
        raise ValidationError({"action": _("Only BOM lines can be added or deleted.")})
    obj, allowed = _target(cr)
    if cr.action == ChangeRequestAction.DELETE:
        return
    if not cr.changes:
        raise ValidationError({"changes": _("Give at least one field to change.")})
    unknown = set(cr.changes) - set(allowed)
    if unknown:
        raise ValidationError(
            {
                "changes": _("Not an engineering field: %(names)s")
                % {"names": ", ".join(sorted(unknown))}
            }
        )
    values = {name: _resolve(name, value) for name, value in cr.changes.items()}
    if cr.action == ChangeRequestAction.ADD:
        values.setdefault("line", _next_line(cr.traveler))
        candidate = BOMItem(traveler=cr.traveler, **values)
        candidate.full_clean()
        return
    for name, value in values.items():
        setattr(obj, name, value)
    obj.full_clean()


@transaction.atomic
def request_change(
    traveler: Traveler,
    *,
    by,
    subject: str,
    reason: str,
    changes: dict | None = None,
    action: str = ChangeRequestAction.UPDATE,
    object_id: int | None = None,
) -> ChangeRequest:
    """Propose an engineering change to a released traveler."""
    _require(by, "add_changerequest")
    if not reason.strip():
        raise ValidationError({"reason": _("An engineering change needs a reason.")})
    if not _in_production(traveler):
        raise ValidationError(
            {
                "traveler": _(
                    "Only a released traveler in production takes change requests; edit a draft directly."
                )
            }
        )
    cr = ChangeRequest(
        traveler=traveler,
        subject=subject,
        action=action,
        object_id=object_id,
        changes=changes or {},
        reason=reason,
        requested_by=by,
    )
    _validate_change(cr)
    cr.full_clean()
    cr.save()
    return cr


def _locked_pending(cr: ChangeRequest) -> ChangeRequest:
    cr = _locked(ChangeRequest, cr.pk)
    if cr.status != ChangeRequestStatus.PENDING:
        raise ValidationError({"status": _("This change request is already decided.")})
    return cr


def _decide(cr: ChangeRequest, status: str, *, by, note: str) -> ChangeRequest:
    cr.status = status
    cr.decided_by, cr.decided_at, cr.decision_note = by, timezone.now(), note[:255]
    cr.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return cr


@transaction.atomic
def approve_change(cr: ChangeRequest, *, by, note: str = "") -> ChangeRequest:
    """An engineer approves a change request; it is applied and recorded at once."""
    _require(by, "approve_changerequest")
    cr = _locked_pending(cr)
    _validate_change(cr)
    obj, allowed = _target(cr)
    values = {name: _resolve(name, value) for name, value in cr.changes.items()}
    if cr.action == ChangeRequestAction.ADD:
        _create_bom_item(
            cr.traveler, by=by, fields=values, reason=cr.reason, change_request=cr
        )
    elif cr.action == ChangeRequestAction.DELETE:
        _delete_bom_item(obj, by=by, reason=cr.reason, change_request=cr)
    else:
        if cr.subject == RevisionSubject.TRAVELER:
            changes = _apply(obj, values)
            obj.full_clean()
            obj.save()
            record_revision(
                obj,
                subject=RevisionSubject.TRAVELER,
                action=RevisionAction.UPDATED,
                actor=by,
                changes=changes,
                reason=cr.reason,
                change_request=cr,
            )
        else:
            _update_child(
                obj,
                by=by,
                fields=values,
                allowed=allowed,
                subject=cr.subject,
                reason=cr.reason,
                change_request=cr,
            )
    return _decide(cr, ChangeRequestStatus.APPROVED, by=by, note=note)


@transaction.atomic
def reject_change(cr: ChangeRequest, *, by, note: str) -> ChangeRequest:
    """An engineer turns a change request down, saying why."""
    _require(by, "approve_changerequest")
    if not note.strip():
        raise ValidationError({"note": _("Say why the change is rejected.")})
    return _decide(_locked_pending(cr), ChangeRequestStatus.REJECTED, by=by, note=note)
