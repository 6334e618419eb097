from django.db import models
from django.utils.translation import gettext_lazy as _


class PurchaseOrderStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PRODUCTION = "in_production", _("In production")
    SHIPPED = "shipped", _("Shipped")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class TravelerStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RELEASED = "released", _("Released")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# A released traveler is frozen: engineering changes need an approved request.
RELEASED_STATUSES = frozenset(
    {
        TravelerStatus.RELEASED,
        TravelerStatus.IN_PROGRESS,
        TravelerStatus.ON_HOLD,
        TravelerStatus.COMPLETED,
    }
)
WORKABLE_STATUSES = frozenset({TravelerStatus.RELEASED, TravelerStatus.IN_PROGRESS})
OPEN_STATUSES = frozenset(
    {
        TravelerStatus.DRAFT,
        TravelerStatus.RELEASED,
        TravelerStatus.IN_PROGRESS,
        TravelerStatus.ON_HOLD,
    }
)


class TravelerPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class WorkCentre(models.TextChoices):
    KITTING = "kitting", _("Kitting")
    SMT = "smt", _("SMT line")
    THROUGH_HOLE = "through_hole", _("Through-hole")
    MACHINING = "machining", _("Machining")
    CUTTING = "cutting", _("Cut and strip")
    CRIMPING = "crimping", _("Crimping")
    ASSEMBLY = "assembly", _("Assembly")
    COATING = "coating", _("Conformal coating")
    INSPECTION = "inspection", _("Inspection")
    TEST = "test", _("Test")
    PACKING = "packing", _("Packing")


# Steps at these work centres may also be worked by the Assembly role.
ASSEMBLY_WORK_CENTRES = frozenset({WorkCentre.ASSEMBLY})


class BOMItemStatus(models.TextChoices):
    REQUIRED = "required", _("Required")
    ORDERED = "ordered", _("Ordered")
    RECEIVED = "received", _("Received")
    ISSUED = "issued", _("Issued")


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


class CoatingType(models.TextChoices):
    ACRYLIC = "acrylic", _("Acrylic (AR)")
    SILICONE = "silicone", _("Silicone (SR)")
    URETHANE = "urethane", _("Urethane (UR)")
    EPOXY = "epoxy", _("Epoxy (ER)")
    PARYLENE = "parylene", _("Parylene (XY)")


class Result(models.TextChoices):
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")


class Disposition(models.TextChoices):
    USE_AS_IS = "use_as_is", _("Use as is")
    REWORK = "rework", _("Rework")
    REPAIR = "repair", _("Repair")
    SCRAP = "scrap", _("Scrap")
    RETURN = "return", _("Return to supplier")


class RevisionAction(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    DELETED = "deleted", _("Deleted")
    RELEASED = "released", _("Released")
    STATUS = "status", _("Status changed")


class RevisionSubject(models.TextChoices):
    TRAVELER = "traveler", _("Traveler")
    BOM_ITEM = "bom_item", _("BOM item")
    PROCESS_STEP = "process_step", _("Process step")
    LABOR_LOG = "labor_log", _("Labour log")


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved and applied")
    REJECTED = "rejected", _("Rejected")


class ChangeRequestAction(models.TextChoices):
    UPDATE = "update", _("Update")
    ADD = "add", _("Add")
    DELETE = "delete", _("Delete")
