"""Upstream connections, the sync jobs that use them and the record of each run."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus.fields import EncryptedTextField, mask_secret
from nexus.models import TimeStampedModel

from .choices import (
    ACTIVE_STATUSES,
    DEFAULT_INTERVAL_MINUTES,
    FINISHED_STATUSES,
    ConnectionKind,
    JobHealth,
    SyncJobKind,
    SyncStatus,
    SyncTrigger,
)
from .querysets import ConnectionQuerySet, SyncJobQuerySet, SyncRunQuerySet

# Environment defaults per connection kind: (base URL, key, secret) setting names.
_ENV_DEFAULTS = {
    ConnectionKind.DATTO: (
        "NEXUS_DATTO_API_URL",
        "NEXUS_DATTO_API_KEY",
        "NEXUS_DATTO_API_SECRET",
    ),
    ConnectionKind.FRESHSERVICE: (
        "NEXUS_FRESHSERVICE_URL",
        "NEXUS_FRESHSERVICE_API_KEY",
        None,
    ),
}


class Connection(TimeStampedModel):
    """How to reach one upstream (Datto RMM or Freshservice): URL and credentials.

    Blank fields fall back to the environment (NEXUS_DATTO_*, NEXUS_FRESHSERVICE_*),
    so a deployment can be configured either way; secrets are encrypted at rest.
    """

    kind = models.CharField(
        _("kind"), max_length=20, choices=ConnectionKind.choices, unique=True
    )
    base_url = models.CharField(
        _("base URL"),
        max_length=300,
        blank=True,
        help_text=_(
            "e.g. https://merlot-api.centrastage.net or https://acme.freshservice.com."
            " Empty: taken from the environment."
        ),
    )
    api_key = EncryptedTextField(_("API key"), blank=True)
    api_secret = EncryptedTextField(
        _("API secret"), blank=True, help_text=_("Datto RMM only.")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    timeout_seconds = models.FloatField(_("time-out (seconds)"), default=30.0)
    rate_limit_per_minute = models.PositiveIntegerField(
        _("client rate limit per minute"),
        default=0,
        help_text=_(
            "Pace requests below this many per minute (slowing down above 90 %). "
            "0 turns client-side pacing off."
        ),
    )
    fetch_serials = models.BooleanField(
        _("read serial numbers from the device audit"),
        default=False,
        help_text=_("Datto RMM only: one extra request per new or changed device."),
    )

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["kind"]
        verbose_name = _("connection")
        verbose_name_plural = _("connections")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ConnectionKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(timeout_seconds__gt=0),
                name="%(app_label)s_%(class)s_timeout_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())

    def _env(self, index: int) -> str:
        name = _ENV_DEFAULTS[self.kind][index]
        return getattr(settings, name, "") if name else ""

    @property
    def effective_base_url(self) -> str:
        return (self.base_url or self._env(0)).strip()

    @property
    def effective_api_key(self) -> str:
        return self.api_key or self._env(1)

    @property
    def effective_api_secret(self) -> str:
        return self.api_secret or self._env(2)

    @property
    def masked_key(self) -> str:
        return mask_secret(self.effective_api_key)

    @property
    def is_configured(self) -> bool:
        if not (self.effective_base_url and self.effective_api_key):
            return False
        return self.kind != ConnectionKind.DATTO or bool(self.effective_api_secret)


class SyncJob(TimeStampedModel):
    """One of the four integration jobs, with its schedule and on/off switch."""

    kind = models.CharField(
        _("job"), max_length=40, choices=SyncJobKind.choices, unique=True
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    interval_minutes = models.PositiveIntegerField(
        _("interval (minutes)"),
        default=DEFAULT_INTERVAL_MINUTES,
        help_text=_("Used when no crontab is given."),
    )
    crontab = models.CharField(
        _("crontab"),
        max_length=100,
        blank=True,
        help_text=_(
            'Five fields "minute hour day-of-month month day-of-week", '
            'e.g. "0 2 * * *" for 02:00 daily. Overrides the interval.'
        ),
    )
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        verbose_name=_("periodic task"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sync_jobs",
    )

    objects = SyncJobQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("sync job")
        verbose_name_plural = _("sync jobs")
        permissions = [("run_syncjob", _("Can run sync jobs"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SyncJobKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(interval_minutes__gte=1),
                name="%(app_label)s_%(class)s_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())

    @property
    def last_run(self) -> "SyncRun | None":
        runs = getattr(self, "latest_runs", None)
        if runs is None:
            return self.runs.order_by("-created_at", "-id").first()
        return runs[0] if runs else None

    def health(self, *, now=None) -> str:
        """How the job is doing, from its latest run (for the dashboard card)."""
        if not self.enabled:
            return JobHealth.DISABLED
        run = self.last_run
        if run is None:
            return JobHealth.IDLE
        if run.status == SyncStatus.FAILED:
            return JobHealth.BAD
        if run.status == SyncStatus.PARTIAL:
            return JobHealth.WARN
        if run.status in ACTIVE_STATUSES:
            return JobHealth.OK
        # A success that is more than two periods old means the schedule stalled.
        period = timedelta(minutes=self.interval_minutes if not self.crontab else 1440)
        finished = run.finished_at or run.created_at
        if (now or timezone.now()) - finished > 2 * period:
            return JobHealth.WARN
        return JobHealth.OK

    @property
    def health_display(self) -> str:
        return str(JobHealth(self.health()).label)

    @property
    def schedule_display(self) -> str:
        if self.crontab:
            return f"cron {self.crontab}"
        if self.interval_minutes % 1440 == 0:
            days = self.interval_minutes // 1440
            return _("every day") if days == 1 else _("every %(n)d days") % {"n": days}
        if self.interval_minutes % 60 == 0:
            return _("every %(n)d h") % {"n": self.interval_minutes // 60}
        return _("every %(n)d min") % {"n": self.interval_minutes}


class SyncRun(models.Model):
    """One execution of a sync job: status, progress, counts, problems and log."""

    job = models.ForeignKey(
        SyncJob, verbose_name=_("job"), on_delete=models.CASCADE, related_name="runs"
    )
    trigger = models.CharField(_("trigger"), max_length=20, choices=SyncTrigger.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SyncStatus.choices,
        default=SyncStatus.QUEUED,
        db_index=True,
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("triggered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sync_runs",
    )
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    retired_count = models.PositiveIntegerField(_("retired"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    log = models.TextField(_("log"), blank=True)
    stats = models.JSONField(
        _("statistics"),
        default=dict,
        blank=True,
        help_text=_("Requests made, time spent waiting on the upstream, retries."),
    )

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        constraints = [
            # The lock: at most one queued or running run per job (STYLE R17b).
            models.UniqueConstraint(
                fields=["job"],
                condition=Q(status__in=sorted(ACTIVE_STATUSES)),
                name="%(app_label)s_%(class)s_one_active_per_job",
                violation_error_message=_("This job is already running."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=SyncStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(trigger__in=SyncTrigger.values),
                name="%(app_label)s_%(class)s_trigger_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("integrations:run_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(100 * self.progress_done / self.progress_total))

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None
