from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nexus.models import TimeStampedModel

from ..choices import WorkCentre
from ..querysets import (
    BOMTemplateQuerySet,
    RoutingOperationQuerySet,
    TravelerTypeQuerySet,
)


class TravelerType(TimeStampedModel):
    """A kind of traveler (PCB, Parts, Assembly, Cable) with its default routing."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    uses_cut_lengths = models.BooleanField(
        _("uses cut lengths"),
        default=False,
        help_text=_("BOM lines carry cut length and piece count (cable)."),
    )
    active = models.BooleanField(_("active"), default=True)

    objects = TravelerTypeQuerySet.as_manager()

    class Meta:
        ordering = ("name",)
        verbose_name = _("traveler type")
        verbose_name_plural = _("traveler types")

    def __str__(self) -> str:
        return self.name


class StepSpec(models.Model):
    """The fields an operation and its snapshot (a process step) share."""

    sequence = models.PositiveIntegerField(_("sequence"))
    operation = models.CharField(_("operation"), max_length=120)
    work_centre = models.CharField(
        _("work centre"), max_length=30, choices=WorkCentre.choices
    )
    instructions = models.TextField(_("instructions"), blank=True)
    standard_minutes = models.DecimalField(
        _("standard minutes per unit"), max_digits=8, decimal_places=2, default=0
    )
    required = models.BooleanField(
        _("required"),
        default=True,
        help_text=_("Later steps cannot start until a required step is done."),
    )
    requires_signoff = models.BooleanField(_("requires QC sign-off"), default=False)
    requires_coating = models.BooleanField(_("requires coating data"), default=False)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(work_centre__in=WorkCentre.values),
                name="%(app_label)s_%(class)s_work_centre_valid",
            ),
            models.CheckConstraint(
                condition=Q(standard_minutes__gte=0),
                name="%(app_label)s_%(class)s_minutes_not_negative",
            ),
            # Coating data is checked at sign-off, so a coating step must have one.
            models.CheckConstraint(
                condition=Q(requires_coating=False) | Q(requires_signoff=True),
                name="%(app_label)s_%(class)s_coating_needs_signoff",
            ),
        ]


class RoutingOperation(StepSpec):
    """One ordered operation of a traveler type's default routing."""

    traveler_type = models.ForeignKey(
        TravelerType,
        verbose_name=_("traveler type"),
        on_delete=models.CASCADE,
        related_name="operations",
    )

    objects = RoutingOperationQuerySet.as_manager()

    class Meta(StepSpec.Meta):
        ordering = ("traveler_type", "sequence")
        verbose_name = _("routing operation")
        verbose_name_plural = _("routing operations")
        constraints = [
            *StepSpec.Meta.constraints,
            models.UniqueConstraint(
                fields=["traveler_type", "sequence"],
                name="%(app_label)s_%(class)s_sequence_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sequence} {self.operation}"


class BOMTemplate(TimeStampedModel):
    """The bill of materials of one part number at one revision."""

    part_number = models.CharField(_("part number"), max_length=100)
    revision = models.CharField(_("revision"), max_length=20, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)

    objects = BOMTemplateQuerySet.as_manager()

    class Meta:
        ordering = ("part_number", "revision")
        verbose_name = _("BOM template")
        verbose_name_plural = _("BOM templates")
        constraints = [
            models.UniqueConstraint(
                fields=["part_number", "revision"],
                name="%(app_label)s_%(class)s_part_revision_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.part_number} rev {self.revision or '-'}"


class BOMSpec(models.Model):
    """The fields a BOM template line and its snapshot (a BOM item) share."""

    line = models.PositiveIntegerField(_("line"))
    part_number = models.CharField(_("part number"), max_length=100)
    description = models.CharField(_("description"), max_length=255, blank=True)
    quantity_per_unit = models.DecimalField(
        _("quantity per unit"), max_digits=12, decimal_places=4, default=1
    )
    unit = models.CharField(_("unit"), max_length=20, default="ea")
    reference_designators = models.TextField(_("reference designators"), blank=True)
    supplier = models.ForeignKey(
        "companies.Company",
        verbose_name=_("supplier"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cut_length_mm = models.DecimalField(
        _("cut length (mm)"), max_digits=10, decimal_places=1, null=True, blank=True
    )
    piece_count = models.PositiveIntegerField(_("piece count"), null=True, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_per_unit__gt=0),
                name="%(app_label)s_%(class)s_quantity_positive",
            ),
            models.CheckConstraint(
                condition=Q(cut_length_mm__isnull=True) | Q(cut_length_mm__gt=0),
                name="%(app_label)s_%(class)s_cut_length_positive",
            ),
        ]


class BOMTemplateLine(BOMSpec):
    """One line of a BOM template."""

    template = models.ForeignKey(
        BOMTemplate,
        verbose_name=_("template"),
        on_delete=models.CASCADE,
        related_name="lines",
    )

    class Meta(BOMSpec.Meta):
        ordering = ("template", "line")
        verbose_name = _("BOM template line")
        verbose_name_plural = _("BOM template lines")
        constraints = [
            *BOMSpec.Meta.constraints,
            models.UniqueConstraint(
                fields=["template", "line"], name="%(app_label)s_%(class)s_line_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line} {self.part_number}"
