from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import (
    ChangeRequestAction,
    ChangeRequestStatus,
    CoatingType,
    Disposition,
    Result,
    RevisionAction,
    RevisionSubject,
)
from ..querysets import (
    ChangeRequestQuerySet,
    CoatingLogQuerySet,
    InspectionQuerySet,
    LaborLogQuerySet,
    RevisionHistoryQuerySet,
)
from .travelers import ProcessStep, Traveler


class LaborLog(models.Model):
    """One operator's timed work on one step; the timer runs on the server."""

    traveler = models.ForeignKey(
        Traveler,
        verbose_name=_("traveler"),
        on_delete=models.CASCADE,
        related_name="labor_logs",
    )
    step = models.ForeignKey(
        ProcessStep,
        verbose_name=_("step"),
        on_delete=models.CASCADE,
        related_name="labor_logs",
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="labor_logs",
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    minutes = models.DecimalField(
        _("minutes"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    quantity = models.PositiveIntegerField(_("quantity"), default=0)
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("edited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="edited_labor_logs",
    )
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    edit_reason = models.CharField(_("edit reason"), max_length=255, blank=True)

    objects = LaborLogQuerySet.as_manager()

    class Meta:
        ordering = ("-started_at", "-pk")
        verbose_name = _("labour log")
        verbose_name_plural = _("labour logs")
        constraints = [
            # One running timer per operator, enforced by the database so two
            # scans arriving together can never open two logs.
            models.UniqueConstraint(
                fields=["operator"],
                condition=Q(stopped_at__isnull=True),
                name="%(app_label)s_%(class)s_one_open_per_operator",
                violation_error_message=_("This operator already has a running timer."),
            ),
            models.CheckConstraint(
                condition=Q(stopped_at__isnull=True)
                | Q(stopped_at__gte=models.F("started_at")),
                name="%(app_label)s_%(class)s_stop_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operator_id} @ {self.step_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.stopped_at is None

    def elapsed_minutes(self, *, now=None) -> float:
        end = self.stopped_at or now or timezone.now()
        return round((end - self.started_at).total_seconds() / 60, 2)


class CoatingLog(models.Model):
    """The coating record of a coating step: material, film and cure data."""

    traveler = models.ForeignKey(
        Traveler,
        verbose_name=_("traveler"),
        on_delete=models.CASCADE,
        related_name="coating_logs",
    )
    step = models.ForeignKey(
        ProcessStep,
        verbose_name=_("step"),
        on_delete=models.CASCADE,
        related_name="coating_logs",
    )
    coating_type = models.CharField(
        _("coating type"), max_length=20, choices=CoatingType.choices
    )
    material_lot = models.CharField(_("material lot"), max_length=60)
    thickness_um = models.DecimalField(
        _("thickness (µm)"),
        max_digits=7,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    cure_minutes = models.PositiveIntegerField(_("cure time (min)"))
    cure_temperature_c = models.DecimalField(
        _("cure temperature (°C)"), max_digits=5, decimal_places=1
    )
    humidity_pct = models.DecimalField(
        _("relative humidity (%)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="coating_logs",
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inspected_coating_logs",
    )
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = CoatingLogQuerySet.as_manager()

    class Meta:
        ordering = ("-recorded_at", "-pk")
        verbose_name = _("coating log")
        verbose_name_plural = _("coating logs")
        constraints = [
            models.CheckConstraint(
                condition=Q(coating_type__in=CoatingType.values),
                name="%(app_label)s_%(class)s_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(result__in=Result.values),
                name="%(app_label)s_%(class)s_result_valid",
            ),
            models.CheckConstraint(
                condition=Q(thickness_um__gt=0),
                name="%(app_label)s_%(class)s_thickness_positive",
            ),
            models.CheckConstraint(
                condition=Q(humidity_pct__gte=0) & Q(humidity_pct__lte=100),
                name="%(app_label)s_%(class)s_humidity_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_coating_type_display()} {self.material_lot} ({self.result})"


class Inspection(models.Model):
    """A quality inspection of one step's output; a failure holds the traveler."""

    traveler = models.ForeignKey(
        Traveler,
        verbose_name=_("traveler"),
        on_delete=models.CASCADE,
        related_name="inspections",
    )
    step = models.ForeignKey(
        ProcessStep,
        verbose_name=_("step"),
        on_delete=models.CASCADE,
        related_name="inspections",
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    quantity_inspected = models.PositiveIntegerField(_("quantity inspected"), default=0)
    defect_count = models.PositiveIntegerField(_("defect count"), default=0)
    defects = models.TextField(_("defects"), blank=True)
    disposition = models.CharField(
        _("disposition"), max_length=20, choices=Disposition.choices, blank=True
    )
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    inspected_at = models.DateTimeField(_("inspected at"), default=timezone.now)

    objects = InspectionQuerySet.as_manager()

    class Meta:
        ordering = ("-inspected_at", "-pk")
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        constraints = [
            models.CheckConstraint(
                condition=Q(result__in=Result.values),
                name="%(app_label)s_%(class)s_result_valid",
            ),
            models.CheckConstraint(
                condition=Q(disposition="") | Q(disposition__in=Disposition.values),
                name="%(app_label)s_%(class)s_disposition_valid",
            ),
            models.CheckConstraint(
                condition=Q(result=Result.PASS) | ~Q(disposition=""),
                name="%(app_label)s_%(class)s_fail_needs_disposition",
                violation_error_message=_("A failed inspection needs a disposition."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_result_display()} @ {self.step_id}"


class ChangeRequest(models.Model):
    """A proposed engineering change to a released traveler, applied on approval."""

    traveler = models.ForeignKey(
        Traveler,
        verbose_name=_("traveler"),
        on_delete=models.CASCADE,
        related_name="change_requests",
    )
    subject = models.CharField(
        _("subject"), max_length=20, choices=RevisionSubject.choices
    )
    action = models.CharField(
        _("action"),
        max_length=10,
        choices=ChangeRequestAction.choices,
        default=ChangeRequestAction.UPDATE,
    )
    object_id = models.PositiveIntegerField(_("object id"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, encoder=DjangoJSONEncoder)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ChangeRequestStatus.choices,
        default=ChangeRequestStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="manufacturing_change_requests",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decided_manufacturing_change_requests",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=255, blank=True)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        ordering = ("-requested_at", "-pk")
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        permissions = [("approve_changerequest", _("Can approve engineering changes"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ChangeRequestStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(subject__in=RevisionSubject.values),
                name="%(app_label)s_%(class)s_subject_valid",
            ),
            models.CheckConstraint(
                condition=Q(action__in=ChangeRequestAction.values),
                name="%(app_label)s_%(class)s_action_valid",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="%(app_label)s_%(class)s_reason_required"
            ),
        ]

    def __str__(self) -> str:
        return f"CR-{self.pk} {self.get_subject_display()} {self.get_action_display()}"


class RevisionHistory(models.Model):
    """One recorded change to a traveler, its BOM, steps or labour: who, when, diff."""

    traveler = models.ForeignKey(
        Traveler,
        verbose_name=_("traveler"),
        on_delete=models.CASCADE,
        related_name="revisions",
    )
    subject = models.CharField(
        _("subject"), max_length=20, choices=RevisionSubject.choices
    )
    object_id = models.PositiveIntegerField(_("object id"), null=True, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    action = models.CharField(
        _("action"), max_length=20, choices=RevisionAction.choices
    )
    changes = models.JSONField(
        _("changes"),
        default=dict,
        encoder=DjangoJSONEncoder,
        help_text=_("Field → [old, new]."),
    )
    reason = models.TextField(_("reason"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="manufacturing_revisions",
    )
    change_request = models.ForeignKey(
        ChangeRequest,
        verbose_name=_("change request"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="revisions",
    )
    created_at = models.DateTimeField(
        _("changed at"), default=timezone.now, db_index=True
    )

    objects = RevisionHistoryQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = _("revision")
        verbose_name_plural = _("revision history")
        constraints = [
            models.CheckConstraint(
                condition=Q(subject__in=RevisionSubject.values),
                name="%(app_label)s_%(class)s_subject_valid",
            ),
            models.CheckConstraint(
                condition=Q(action__in=RevisionAction.values),
                name="%(app_label)s_%(class)s_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"
