"""Time worked, billed to the company's prepaid credits."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus.models import TimeStampedModel

from ..querysets import TimeEntryQuerySet

HOUR = Decimal(60)
CENT = Decimal("0.01")


def minutes_to_hours(minutes: int) -> Decimal:
    """Credits are hours with two decimals: 90 minutes → 1.50."""
    return (Decimal(minutes) / HOUR).quantize(CENT, rounding=ROUND_HALF_UP)


class TimeEntry(TimeStampedModel):
    """Time a staff member worked on a ticket; billable time is deducted from the
    company's credits (the deducted amount is kept in `billed_hours`)."""

    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="time_entries",
        help_text=_("Delete the time first: that refunds its credits."),
    )
    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="time_entries",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="time_entries",
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    minutes = models.PositiveIntegerField(_("minutes"))
    billable = models.BooleanField(_("billable"), default=True)
    note = models.TextField(_("note"), blank=True)
    billed_hours = models.DecimalField(
        _("credits deducted"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        editable=False,
    )
    billed_company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("billed company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="billed_time_entries",
    )
    over_credit = models.BooleanField(
        _("over credit"),
        default=False,
        help_text=_("The deduction took the balance below zero (overdraft)."),
    )

    objects = TimeEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=24 * 60),
                name="%(app_label)s_%(class)s_minutes_range",
                violation_error_message=_("Minutes must be between 1 and 1440."),
            ),
            models.CheckConstraint(
                condition=Q(billed_hours__gte=0),
                name="%(app_label)s_%(class)s_billed_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.minutes} min"

    @property
    def hours(self) -> Decimal:
        return minutes_to_hours(self.minutes)

    @property
    def reference(self) -> str:
        return f"time-entry:{self.pk}"
