"""Business calendars and SLA policies."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nexus.models import TimeStampedModel

from ..choices import TicketPriority, Weekday
from ..querysets import BusinessCalendarQuerySet, SlaPolicyQuerySet
from ..sla import BusinessHours


def _valid_time_zone(value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from django.core.exceptions import ValidationError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone.")) from exc


class BusinessCalendar(TimeStampedModel):
    """Working hours per weekday and holidays, against which SLA time is counted."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[_valid_time_zone],
        help_text=_("An IANA zone such as Europe/Athens."),
    )

    objects = BusinessCalendarQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name

    def business_hours(self) -> BusinessHours:
        rows = [(w.weekday, w.start, w.end) for w in self.working_hours.all()]
        holidays = [h.date for h in self.holidays.all()]
        return BusinessHours.from_rows(
            tz_name=self.time_zone, rows=rows, holidays=holidays
        )


class WorkingHours(models.Model):
    """One working interval of a calendar on a weekday (e.g. Mon 09:00–17:00)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "weekday", "start"],
                name="%(app_label)s_%(class)s_start_unique",
            ),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message=_("The end must be after the start."),
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="%(app_label)s_%(class)s_weekday_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Holiday(models.Model):
    """A date on which a calendar has no working hours."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"], name="%(app_label)s_%(class)s_date_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class SlaPolicy(TimeStampedModel):
    """Response and resolution targets (business minutes) for one priority,
    optionally only for companies on one plan."""

    name = models.CharField(_("name"), max_length=100)
    priority = models.CharField(
        _("priority"), max_length=10, choices=TicketPriority.choices
    )
    plan = models.ForeignKey(
        "companies.Plan",
        verbose_name=_("plan"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_policies",
        help_text=_("Leave empty for the default policy of this priority."),
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        verbose_name=_("calendar"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sla_policies",
        help_text=_("Leave empty to count round the clock."),
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response target (business minutes)"),
        validators=[MinValueValidator(1)],
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution target (business minutes)"), validators=[MinValueValidator(1)]
    )
    at_risk_percent = models.PositiveSmallIntegerField(
        _("at risk after (percent of target)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    active = models.BooleanField(_("active"), default=True)

    objects = SlaPolicyQuerySet.as_manager()

    class Meta:
        ordering = ["plan__name", "priority"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "plan"],
                condition=Q(plan__isnull=False),
                name="%(app_label)s_%(class)s_plan_priority_unique",
                violation_error_message=_(
                    "This plan already has a policy for this priority."
                ),
            ),
            models.UniqueConstraint(
                fields=["priority"],
                condition=Q(plan__isnull=True),
                name="%(app_label)s_%(class)s_default_priority_unique",
                violation_error_message=_(
                    "There is already a default policy for this priority."
                ),
            ),
            models.CheckConstraint(
                condition=Q(priority__in=TicketPriority.values),
                name="%(app_label)s_%(class)s_priority_valid",
            ),
            models.CheckConstraint(
                condition=Q(first_response_minutes__gte=1, resolution_minutes__gte=1),
                name="%(app_label)s_%(class)s_targets_positive",
            ),
            models.CheckConstraint(
                condition=Q(at_risk_percent__gte=1, at_risk_percent__lte=99),
                name="%(app_label)s_%(class)s_at_risk_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def business_hours(self) -> BusinessHours:
        if self.calendar is None:
            return BusinessHours.always()
        return self.calendar.business_hours()
