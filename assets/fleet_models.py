"""Fleet monitoring: enrolment tokens, agents, telemetry, alerts and remote jobs."""

import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus.models import TimeStampedModel

from .choices import (
    PENDING_JOB_STATUSES,
    AlertKind,
    JobKind,
    JobShell,
    JobStatus,
)

OFFLINE_MINUTES_DEFAULT = 10


def offline_after() -> timedelta:
    """How long without a check-in before an agent counts as offline."""
    return timedelta(
        minutes=getattr(
            settings, "NEXUS_FLEET_OFFLINE_MINUTES", OFFLINE_MINUTES_DEFAULT
        )
    )


def hash_secret(secret: str) -> str:
    """The same keyed hash as accounts.ApiKey (HMAC-SHA256 with the API pepper)."""
    pepper = settings.NEXUS_API_KEY_PEPPER.encode()
    return hmac.new(pepper, secret.encode(), "sha256").hexdigest()


def new_secret(kind: str) -> tuple[str, str, str]:
    """(prefix, secret, full key `<kind>_<prefix>_<secret>`) for a new key."""
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    return prefix, secret, f"{kind}_{prefix}_{secret}"


def parse_key(raw: str, kind: str) -> tuple[str, str] | None:
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != kind or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class _StaffOnlyQuerySet(models.QuerySet):
    """Fleet rows are a staff tool: portal users see none (screenshots, scripts)."""

    def visible_to(self, user):
        if not user.is_authenticated or user.is_portal:
            return self.none()
        return self


class EnrolmentTokenQuerySet(_StaffOnlyQuerySet):
    def for_api(self):
        return self.select_related("company", "created_by")

    def for_list(self):
        return self.for_api()


class AgentQuerySet(_StaffOnlyQuerySet):
    def for_api(self):
        return self.select_related("company", "asset")

    def for_list(self):
        return self.for_api()

    def online(self, *, now=None):
        return self.filter(last_seen_at__gte=(now or timezone.now()) - offline_after())

    def offline(self, *, now=None):
        since = (now or timezone.now()) - offline_after()
        return self.filter(Q(last_seen_at__lt=since) | Q(last_seen_at__isnull=True))

    def active(self):
        return self.filter(revoked_at__isnull=True)


class AgentReportQuerySet(_StaffOnlyQuerySet):
    def for_api(self):
        return self.all()

    def for_list(self):
        return self.select_related("agent")


class FleetAlertQuerySet(_StaffOnlyQuerySet):
    def for_api(self):
        return self.select_related("agent__company", "ticket")

    def for_list(self):
        return self.for_api()

    def open(self):
        return self.filter(resolved_at__isnull=True)


class FleetJobQuerySet(_StaffOnlyQuerySet):
    def for_api(self):
        return self.select_related("agent", "company", "created_by", "cancelled_by")

    def for_list(self):
        return self.for_api()

    def pending(self):
        return self.filter(status__in=PENDING_JOB_STATUSES)


class JobScheduleQuerySet(_StaffOnlyQuerySet):
    def for_api(self):
        return self.select_related("company", "agent", "created_by")

    def for_list(self):
        return self.for_api()


class AlertRuleQuerySet(_StaffOnlyQuerySet):
    def for_api(self):
        return self.select_related("company")

    def for_list(self):
        return self.for_api()


class EnrolmentToken(TimeStampedModel):
    """A secret that lets agents enrol as hosts of one company (stored hashed)."""

    KIND = "nxe"

    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="enrolment_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrolment_tokens",
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(_("maximum uses"), null=True, blank=True)
    uses = models.PositiveIntegerField(_("uses"), default=0, editable=False)

    objects = EnrolmentTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("enrolment token")
        verbose_name_plural = _("enrolment tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.KIND}_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return (
            self.revoked_at is None
            and (self.expires_at is None or self.expires_at > now)
            and (self.max_uses is None or self.uses < self.max_uses)
        )


class Agent(TimeStampedModel):
    """A monitoring agent on one computer of a company, with its own hashed key."""

    KIND = "nxa"

    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="agents",
    )
    asset = models.ForeignKey(
        "assets.Asset",
        verbose_name=_("asset"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agents",
    )
    enrolment_token = models.ForeignKey(
        EnrolmentToken,
        verbose_name=_("enrolment token"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agents",
    )
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    hostname = models.CharField(_("hostname"), max_length=150)
    tags = models.CharField(
        _("tags"),
        max_length=200,
        blank=True,
        help_text=_("Words separated by spaces; jobs can target a tag."),
    )
    platform = models.CharField(_("platform"), max_length=100, blank=True)
    operating_system = models.CharField(
        _("operating system"), max_length=200, blank=True
    )
    agent_version = models.CharField(_("agent version"), max_length=50, blank=True)
    uptime_seconds = models.BigIntegerField(_("uptime (s)"), null=True, blank=True)
    cpu_percent = models.FloatField(_("CPU %"), null=True, blank=True)
    memory_percent = models.FloatField(_("memory %"), null=True, blank=True)
    disk_percent = models.FloatField(_("disk %"), null=True, blank=True)
    logged_in_user = models.CharField(_("logged-in user"), max_length=150, blank=True)
    ip_addresses = models.JSONField(_("IP addresses"), default=list, blank=True)
    last_seen_at = models.DateTimeField(
        _("last check-in"), null=True, blank=True, db_index=True
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = AgentQuerySet.as_manager()

    class Meta:
        ordering = ["hostname", "id"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return self.hostname

    def get_absolute_url(self) -> str:
        return reverse("assets:fleet_agent", args=[self.pk])

    def is_online(self, *, now=None) -> bool:
        return (
            self.last_seen_at is not None
            and self.last_seen_at >= (now or timezone.now()) - offline_after()
        )

    @property
    def online(self) -> bool:
        return self.is_online()

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()

    @property
    def health(self) -> str:
        """ok / warn / bad from the last telemetry (disk, memory, CPU)."""
        worst = max(
            (v for v in (self.disk_percent, self.memory_percent) if v is not None),
            default=None,
        )
        if worst is None:
            return "unknown"
        if worst > 90:
            return "bad"
        if worst > 75 or (self.cpu_percent or 0) > 90:
            return "warn"
        return "ok"


class AgentReport(models.Model):
    """One telemetry report an agent sent (kept for the host's history)."""

    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="reports"
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    cpu_percent = models.FloatField(_("CPU %"), null=True, blank=True)
    memory_percent = models.FloatField(_("memory %"), null=True, blank=True)
    disk_percent = models.FloatField(_("disk %"), null=True, blank=True)
    uptime_seconds = models.BigIntegerField(_("uptime (s)"), null=True, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)

    objects = AgentReportQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("telemetry report")
        verbose_name_plural = _("telemetry reports")
        indexes = [
            models.Index(
                fields=["agent", "-received_at"], name="assets_report_agent_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent_id} @ {self.received_at:%Y-%m-%d %H:%M}"


class AgentScreenshot(models.Model):
    """The last screenshot (PNG) an agent sent; served through a checked view."""

    agent = models.OneToOneField(
        Agent,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        related_name="screenshot",
    )
    png = models.BinaryField(_("PNG"))
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)

    class Meta:
        verbose_name = _("screenshot")
        verbose_name_plural = _("screenshots")

    def __str__(self) -> str:
        return f"{self.agent_id} @ {self.taken_at:%Y-%m-%d %H:%M}"


class AlertRule(TimeStampedModel):
    """When to raise a fleet alert (for one company or all) and whether it opens
    a ticket."""

    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alert_rules",
        help_text=_("Empty: applies to every company without its own rule."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    threshold = models.PositiveIntegerField(
        _("threshold"),
        help_text=_("Disk: percent used. Offline: minutes since the last check-in."),
    )
    open_ticket = models.BooleanField(_("open a ticket"), default=False)
    enabled = models.BooleanField(_("enabled"), default=True)

    objects = AlertRuleQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "company__name"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AlertKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
            models.UniqueConstraint(
                fields=["company", "kind"],
                name="%(app_label)s_%(class)s_company_kind_unique",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(company__isnull=True),
                name="%(app_label)s_%(class)s_default_kind_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} > {self.threshold}"


class FleetAlert(TimeStampedModel):
    """A problem seen on an agent (disk full, offline), open until it clears."""

    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="alerts"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    message = models.CharField(_("message"), max_length=300)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fleet_alerts",
    )

    objects = FleetAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("fleet alert")
        verbose_name_plural = _("fleet alerts")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AlertKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
            models.UniqueConstraint(
                fields=["agent", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="%(app_label)s_%(class)s_one_open",
            ),
        ]

    def __str__(self) -> str:
        return self.message


class JobSchedule(TimeStampedModel):
    """A script run again and again (a Celery Beat schedule) on an agent or on
    a company's agents (optionally only those with a tag)."""

    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="job_schedules",
    )
    agent = models.ForeignKey(
        Agent,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="job_schedules",
        help_text=_("Empty: every agent of the company (with the tag, if given)."),
    )
    tag = models.CharField(_("tag"), max_length=50, blank=True)
    name = models.CharField(_("name"), max_length=150)
    shell = models.CharField(
        _("shell"), max_length=20, choices=JobShell.choices, default=JobShell.SH
    )
    script = models.TextField(_("script"))
    timeout_seconds = models.PositiveIntegerField(
        _("time-out (s)"),
        default=300,
        validators=[MinValueValidator(1), MaxValueValidator(86400)],
    )
    interval_minutes = models.PositiveIntegerField(
        _("every (minutes)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 31)],
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="job_schedules",
    )
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="job_schedule",
    )

    objects = JobScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("job schedule")
        verbose_name_plural = _("job schedules")
        constraints = [
            models.CheckConstraint(
                condition=Q(shell__in=JobShell.values),
                name="%(app_label)s_%(class)s_shell_valid",
            ),
            models.CheckConstraint(
                condition=Q(interval_minutes__gte=1),
                name="%(app_label)s_%(class)s_interval_min",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if (
            self.agent_id is not None
            and self.company_id is not None
            and self.agent.company_id != self.company_id
        ):
            raise ValidationError({"agent": _("The agent belongs to another company.")})


class FleetJob(TimeStampedModel):
    """A script or file sent to one agent, with its result (the audit record of
    who ran what where)."""

    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        related_name="fleet_jobs",
    )
    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), on_delete=models.PROTECT, related_name="jobs"
    )
    schedule = models.ForeignKey(
        JobSchedule,
        verbose_name=_("schedule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="jobs",
    )
    batch = models.UUIDField(_("batch"), null=True, blank=True, db_index=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=JobKind.choices, default=JobKind.SCRIPT
    )
    shell = models.CharField(
        _("shell"), max_length=20, choices=JobShell.choices, default=JobShell.SH
    )
    script = models.TextField(_("script"), blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_content = models.BinaryField(_("file content"), blank=True, default=b"")
    destination = models.CharField(_("destination folder"), max_length=300, blank=True)
    timeout_seconds = models.PositiveIntegerField(
        _("time-out (s)"),
        default=300,
        validators=[MinValueValidator(1), MaxValueValidator(86400)],
    )
    status = models.CharField(
        _("status"), max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("queued by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="fleet_jobs",
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cancelled_fleet_jobs",
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    deadline_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    exit_code = models.IntegerField(_("exit code"), null=True, blank=True)
    stdout = models.TextField(_("output"), blank=True)
    stderr = models.TextField(_("errors"), blank=True)

    objects = FleetJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("fleet job")
        verbose_name_plural = _("fleet jobs")
        indexes = [
            models.Index(
                fields=["agent", "status"], name="assets_fleetjob_agent_status"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=JobStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=JobKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(shell__in=JobShell.values),
                name="%(app_label)s_%(class)s_shell_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} → {self.agent_id}"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_JOB_STATUSES
