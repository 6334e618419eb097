from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus.models import TimeStampedModel

from ..choices import (
    OPEN_STATUSES,
    BOMItemStatus,
    StepStatus,
    TravelerPriority,
    TravelerStatus,
)
from ..querysets import BOMItemQuerySet, ProcessStepQuerySet, TravelerQuerySet
from .orders import PurchaseOrder, PurchaseOrderLine
from .templates import BOMSpec, StepSpec, TravelerType

# Fields whose change on a released traveler is an engineering change.
TRAVELER_ENGINEERING_FIELDS = ("traveler_type", "part_number", "revision", "quantity")
BOM_ENGINEERING_FIELDS = (
    "line",
    "part_number",
    "description",
    "quantity_per_unit",
    "unit",
    "reference_designators",
    "supplier",
    "cut_length_mm",
    "piece_count",
)
STEP_ENGINEERING_FIELDS = (
    "operation",
    "work_centre",
    "instructions",
    "standard_minutes",
    "required",
    "requires_signoff",
    "requires_coating",
)


class Traveler(TimeStampedModel):
    """The work document that follows one build of a part through the shop."""

    number = models.CharField(_("traveler number"), max_length=20, unique=True)
    purchase_order = models.ForeignKey(
        PurchaseOrder,
        verbose_name=_("purchase order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="travelers",
    )
    po_line = models.ForeignKey(
        PurchaseOrderLine,
        verbose_name=_("PO line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="travelers",
    )
    customer = models.ForeignKey(
        "companies.Company",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="travelers",
    )
    traveler_type = models.ForeignKey(
        TravelerType,
        verbose_name=_("type"),
        on_delete=models.PROTECT,
        related_name="travelers",
    )
    part_number = models.CharField(_("part number"), max_length=100)
    revision = models.CharField(_("revision"), max_length=20, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=TravelerStatus.choices,
        default=TravelerStatus.DRAFT,
    )
    priority = models.CharField(
        _("priority"),
        max_length=10,
        choices=TravelerPriority.choices,
        default=TravelerPriority.NORMAL,
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    hold_reason = models.CharField(_("hold reason"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_travelers",
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="released_travelers",
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    bom_source = models.CharField(
        _("BOM source"),
        max_length=150,
        blank=True,
        help_text=_("The template the BOM was snapshotted from at release."),
    )

    objects = TravelerQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("traveler")
        verbose_name_plural = _("travelers")
        permissions = [
            ("release_traveler", _("Can release a traveler")),
            ("hold_traveler", _("Can put a traveler on hold and resume it")),
            ("cancel_traveler", _("Can cancel a traveler")),
            ("view_reports", _("Can view manufacturing reports")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TravelerStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(priority__in=TravelerPriority.values),
                name="%(app_label)s_%(class)s_priority_valid",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0),
                name="%(app_label)s_%(class)s_quantity_positive",
            ),
            models.CheckConstraint(
                condition=Q(po_line__isnull=True) | Q(purchase_order__isnull=False),
                name="%(app_label)s_%(class)s_line_needs_po",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return self.number

    def clean(self):
        errors = {}
        if self.po_line_id and self.po_line.purchase_order_id != self.purchase_order_id:
            errors["po_line"] = _("The line belongs to another purchase order.")
        if (
            self.purchase_order_id
            and self.customer_id
            and self.purchase_order.customer_id != self.customer_id
        ):
            errors["customer"] = _(
                "The customer must be the purchase order's customer."
            )
        if errors:
            raise ValidationError(errors)

    def get_absolute_url(self) -> str:
        return reverse("manufacturing:traveler_detail", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return bool(
            self.due_date
            and self.status in OPEN_STATUSES
            and self.due_date < timezone.localdate()
        )


class BOMItem(BOMSpec):
    """A line of one traveler's bill of materials (a snapshot, owned by it)."""

    traveler = models.ForeignKey(
        Traveler,
        verbose_name=_("traveler"),
        on_delete=models.CASCADE,
        related_name="bom_items",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=BOMItemStatus.choices,
        default=BOMItemStatus.REQUIRED,
    )

    objects = BOMItemQuerySet.as_manager()

    class Meta(BOMSpec.Meta):
        ordering = ("traveler", "line")
        verbose_name = _("BOM item")
        verbose_name_plural = _("BOM items")
        permissions = [("change_bomitem_status", _("Can change a BOM item's status"))]
        constraints = [
            *BOMSpec.Meta.constraints,
            models.UniqueConstraint(
                fields=["traveler", "line"], name="%(app_label)s_%(class)s_line_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=BOMItemStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line} {self.part_number}"


class ProcessStep(StepSpec):
    """One operation of one traveler's routing (a snapshot, owned by it)."""

    traveler = models.ForeignKey(
        Traveler,
        verbose_name=_("traveler"),
        on_delete=models.CASCADE,
        related_name="steps",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=StepStatus.choices,
        default=StepStatus.PENDING,
    )
    skip_reason = models.CharField(_("skip reason"), max_length=255, blank=True)
    quantity_passed = models.PositiveIntegerField(_("quantity passed"), default=0)
    quantity_failed = models.PositiveIntegerField(_("quantity failed"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="completed_steps",
    )
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed off by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="signed_off_steps",
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)

    objects = ProcessStepQuerySet.as_manager()

    class Meta(StepSpec.Meta):
        ordering = ("traveler", "sequence")
        verbose_name = _("process step")
        verbose_name_plural = _("process steps")
        permissions = [
            ("work_processstep", _("Can start, stop and complete any step")),
            (
                "work_assembly_processstep",
                _("Can start, stop and complete assembly steps"),
            ),
            ("signoff_processstep", _("Can sign off a step (QC)")),
            ("skip_processstep", _("Can skip a step")),
        ]
        constraints = [
            *StepSpec.Meta.constraints,
            models.UniqueConstraint(
                fields=["traveler", "sequence"],
                name="%(app_label)s_%(class)s_sequence_unique",
            ),
            models.CheckConstraint(
                condition=Q(status__in=StepStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status=StepStatus.SKIPPED) | ~Q(skip_reason=""),
                name="%(app_label)s_%(class)s_skip_needs_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sequence} {self.operation}"

    @property
    def is_cleared(self) -> bool:
        """Done (and signed off where that is required), or skipped."""
        if self.status == StepStatus.SKIPPED:
            return True
        return self.status == StepStatus.DONE and (
            not self.requires_signoff or self.signed_off_at is not None
        )

    @property
    def awaiting_signoff(self) -> bool:
        return (
            self.status == StepStatus.DONE
            and self.requires_signoff
            and self.signed_off_at is None
        )
