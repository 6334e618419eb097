"""Fleet monitoring services: enrolment, telemetry, alerts and remote jobs."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import JobKind, JobShell, JobStatus
from .fleet_models import (
    Agent,
    AgentReport,
    AgentScreenshot,
    AlertKind,
    AlertRule,
    EnrolmentToken,
    FleetAlert,
    FleetJob,
    JobSchedule,
    hash_secret,
    new_secret,
    offline_after,
    parse_key,
)
from .models import Asset

# Results longer than this are cut (an agent could send a runaway log).
MAX_OUTPUT_CHARS = 200_000
# Time an agent has after a job's own time-out to post its result.
RESULT_GRACE = timedelta(minutes=2)
DISK_THRESHOLD_DEFAULT = 90
SCHEDULE_TASK = "assets.tasks.run_job_schedule_task"


# --- Enrolment ---------------------------------------------------------------


@transaction.atomic
def create_enrolment_token(
    company, *, name: str, by=None, expires_at=None, max_uses: int | None = None
) -> tuple[EnrolmentToken, str]:
    """A new enrolment token; the raw value is returned once and never stored."""
    prefix, secret, raw = new_secret(EnrolmentToken.KIND)
    token = EnrolmentToken(
        company=company,
        name=name,
        prefix=prefix,
        key_hash=hash_secret(secret),
        created_by=by if getattr(by, "is_authenticated", False) else None,
        expires_at=expires_at,
        max_uses=max_uses,
    )
    token.full_clean()
    token.save()
    return token, raw


def find_enrolment_token(raw: str) -> EnrolmentToken:
    parsed = parse_key(raw, EnrolmentToken.KIND)
    invalid = ValidationError({"token": _("Invalid or expired enrolment token.")})
    if parsed is None:
        raise invalid
    prefix, secret = parsed
    token = (
        EnrolmentToken.objects.select_related("company").filter(prefix=prefix).first()
    )
    if token is None or token.key_hash != hash_secret(secret) or not token.is_active:
        raise invalid
    return token


def match_asset(company, *, rmm_device_uid="", serial="", hostname="") -> Asset | None:
    """The company's asset for a host: by RMM uid, then serial, then hostname."""
    assets = Asset.objects.filter(company=company)
    for field, value in (
        ("rmm_device_uid", rmm_device_uid),
        ("serial_number", serial),
        ("hostname__iexact", hostname),
    ):
        if value:
            found = assets.filter(**{field: value}).order_by("id").first()
            if found is not None:
                return found
    return None


@transaction.atomic
def enrol_agent(
    raw_token: str,
    *,
    hostname: str,
    platform: str = "",
    rmm_device_uid: str = "",
    serial: str = "",
    agent_version: str = "",
) -> tuple[Agent, str]:
    """Create a per-host agent with its own key (returned once, stored hashed)."""
    token = find_enrolment_token(raw_token)
    # One use, counted atomically: a token with max_uses cannot be overused by
    # concurrent enrolments.
    used = (
        EnrolmentToken.objects.filter(pk=token.pk)
        .filter(Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses")))
        .update(uses=F("uses") + 1)
    )
    if not used:
        raise ValidationError({"token": _("Invalid or expired enrolment token.")})
    prefix, secret, raw = new_secret(Agent.KIND)
    agent = Agent(
        company=token.company,
        enrolment_token=token,
        prefix=prefix,
        key_hash=hash_secret(secret),
        hostname=hostname,
        platform=platform,
        agent_version=agent_version,
        asset=match_asset(
            token.company,
            rmm_device_uid=rmm_device_uid,
            serial=serial,
            hostname=hostname,
        ),
    )
    agent.full_clean()
    agent.save()
    return agent, raw


def authenticate_agent(raw_key: str) -> Agent | None:
    parsed = parse_key(raw_key, Agent.KIND)
    if parsed is None:
        return None
    prefix, secret = parsed
    agent = Agent.objects.select_related("company").filter(prefix=prefix).first()
    if agent is None or agent.revoked_at is not None:
        return None
    if agent.key_hash != hash_secret(secret):
        return None
    return agent


@transaction.atomic
def revoke_agent(agent: Agent) -> Agent:
    """The agent's key stops working; its history and jobs are kept."""
    agent.revoked_at = timezone.now()
    agent.save(update_fields=["revoked_at", "updated_at"])
    FleetJob.objects.filter(agent=agent, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, finished_at=timezone.now()
    )
    return agent


# --- Telemetry ---------------------------------------------------------------


@transaction.atomic
def ingest_telemetry(agent: Agent, data: dict) -> AgentReport:
    """Store one validated telemetry report, update the agent (and its asset's
    monitoring fields) and raise or clear the disk alert."""
    now = timezone.now()
    screenshot = data.pop("screenshot", None)
    for field in (
        "hostname",
        "platform",
        "operating_system",
        "agent_version",
        "uptime_seconds",
        "cpu_percent",
        "memory_percent",
        "disk_percent",
        "logged_in_user",
        "ip_addresses",
    ):
        if field in data and data[field] is not None:
            setattr(agent, field, data[field])
    agent.last_seen_at = now
    if agent.asset_id is None:
        agent.asset = match_asset(
            agent.company,
            rmm_device_uid=data.get("rmm_device_uid", ""),
            serial=data.get("serial", ""),
            hostname=agent.hostname,
        )
    agent.save()
    report = AgentReport.objects.create(
        agent=agent,
        received_at=now,
        cpu_percent=data.get("cpu_percent"),
        memory_percent=data.get("memory_percent"),
        disk_percent=data.get("disk_percent"),
        uptime_seconds=data.get("uptime_seconds"),
        payload=json.loads(json.dumps(data, default=str)),
    )
    if screenshot is not None:
        AgentScreenshot.objects.update_or_create(
            agent=agent, defaults={"png": screenshot, "taken_at": now}
        )
    if agent.asset_id is not None:
        updates = {"last_seen": now, "online": True}
        if data.get("logged_in_user"):
            updates["last_logged_in_user"] = data["logged_in_user"][:150]
        Asset.objects.filter(pk=agent.asset_id).update(**updates)
    resolve_alert(agent, AlertKind.OFFLINE)
    threshold = alert_rule(agent, AlertKind.DISK_FULL)
    if agent.disk_percent is not None and threshold is not None:
        if agent.disk_percent > threshold.threshold:
            raise_alert(
                agent,
                AlertKind.DISK_FULL,
                rule=threshold,
                message=_("%(host)s: disk %(pct).0f%% full")
                % {
                    "host": agent.hostname,
                    "pct": agent.disk_percent,
                },
            )
        else:
            resolve_alert(agent, AlertKind.DISK_FULL)
    return report


# --- Alerts ------------------------------------------------------------------


def alert_rule(agent: Agent, kind: str) -> AlertRule | None:
    """The company's own rule for `kind`, else the default one, else the
    built-in default (disk > 90 %, offline > the offline threshold; no ticket)."""
    rules = {
        rule.company_id: rule
        for rule in AlertRule.objects.filter(
            Q(company=agent.company_id) | Q(company__isnull=True), kind=kind
        )
    }
    rule = rules.get(agent.company_id) or rules.get(None)
    if rule is None:
        default = (
            DISK_THRESHOLD_DEFAULT
            if kind == AlertKind.DISK_FULL
            else int(offline_after().total_seconds() // 60)
        )
        return AlertRule(kind=kind, threshold=default, open_ticket=False)
    return rule if rule.enabled else None


def raise_alert(
    agent: Agent, kind: str, *, rule: AlertRule, message: str
) -> tuple[FleetAlert, bool]:
    """Open an alert unless one of this kind is open; open a ticket if the rule
    says so. Returns the alert and whether it is new."""
    existing = FleetAlert.objects.filter(agent=agent, kind=kind).open().first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():  # savepoint: a concurrent twin must not abort us
            alert = FleetAlert.objects.create(agent=agent, kind=kind, message=message)
    except IntegrityError:
        return FleetAlert.objects.filter(agent=agent, kind=kind).open().get(), False
    if rule.open_ticket:
        from tickets.choices import EventChannel, TicketPriority
        from tickets.services import create_ticket

        ticket = create_ticket(
            by=None,
            channel=EventChannel.AUTOMATION,
            title=message[:200],
            description=_("Raised by fleet monitoring for agent %(host)s.")
            % {"host": agent.hostname},
            company=agent.company,
            priority=TicketPriority.HIGH,
            assets=[agent.asset] if agent.asset_id else [],
        )
        alert.ticket = ticket
        alert.save(update_fields=["ticket", "updated_at"])
    return alert, True


def resolve_alert(agent: Agent, kind: str) -> int:
    return (
        FleetAlert.objects.filter(agent=agent, kind=kind)
        .open()
        .update(resolved_at=timezone.now())
    )


def check_offline_agents(*, now=None) -> int:
    """Raise offline alerts for agents silent longer than their rule allows.
    Safe to run twice: an open alert is not raised again."""
    now = now or timezone.now()
    raised = 0
    candidates = Agent.objects.active().filter(last_seen_at__isnull=False)
    candidates = candidates.filter(last_seen_at__lt=now - timedelta(minutes=1))
    for agent in candidates.select_related("company", "asset").iterator():
        rule = alert_rule(agent, AlertKind.OFFLINE)
        if rule is None or agent.last_seen_at >= now - timedelta(
            minutes=rule.threshold
        ):
            continue
        with transaction.atomic():
            _alert, created = raise_alert(
                agent,
                AlertKind.OFFLINE,
                rule=rule,
                message=_("%(host)s has not checked in since %(when)s")
                % {"host": agent.hostname, "when": agent.last_seen_at.isoformat()},
            )
        raised += created
    return raised


# --- Jobs --------------------------------------------------------------------


def agents_for_target(*, agents=(), company=None, tag: str = ""):
    """The agents a job goes to: the given ones, or a company's (with a tag)."""
    agents = list(agents)
    if agents:
        return agents
    if company is None:
        raise ValidationError({"agents": _("Choose agents, or a company.")})
    found = Agent.objects.active().filter(company=company).order_by("hostname", "id")
    found = [a for a in found if not tag or tag in a.tag_list]
    if not found:
        raise ValidationError({"agents": _("No agent matches this target.")})
    return found


@transaction.atomic
def queue_jobs(
    *,
    by,
    agents=(),
    company=None,
    tag: str = "",
    kind: str = JobKind.SCRIPT,
    shell: str = JobShell.SH,
    script: str = "",
    file_name: str = "",
    file_content: bytes = b"",
    destination: str = "",
    timeout_seconds: int = 300,
    schedule: JobSchedule | None = None,
) -> list[FleetJob]:
    """Queue one job per target agent (a group shares a batch id)."""
    if getattr(by, "is_portal", False):
        raise PermissionDenied(_("Clients cannot run jobs."))
    targets = agents_for_target(agents=agents, company=company, tag=tag)
    revoked = [a.hostname for a in targets if a.revoked_at is not None]
    if revoked:
        raise ValidationError(
            {"agents": _("Revoked agents: %(h)s") % {"h": ", ".join(revoked)}}
        )
    if kind == JobKind.SCRIPT and not script.strip():
        raise ValidationError({"script": _("Give the script to run.")})
    if kind == JobKind.FILE and not file_name:
        raise ValidationError({"file": _("Choose a file to send.")})
    batch = uuid.uuid4() if len(targets) > 1 else None
    jobs = []
    for agent in targets:
        job = FleetJob(
            company_id=agent.company_id,
            agent=agent,
            schedule=schedule,
            batch=batch,
            kind=kind,
            shell=shell,
            script=script,
            file_name=file_name,
            file_content=file_content,
            destination=destination,
            timeout_seconds=timeout_seconds,
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        job.full_clean()
        job.save()
        jobs.append(job)
    return jobs


@transaction.atomic
def take_jobs(agent: Agent, *, limit: int = 10) -> list[FleetJob]:
    """Hand an agent its queued jobs (oldest first), marking them sent."""
    now = timezone.now()
    jobs = list(
        FleetJob.objects.select_for_update()
        .filter(agent=agent, status=JobStatus.QUEUED)
        .order_by("created_at", "id")[:limit]
    )
    for job in jobs:
        job.status, job.sent_at = JobStatus.SENT, now
        job.deadline_at = now + timedelta(seconds=job.timeout_seconds) + RESULT_GRACE
        job.save(update_fields=["status", "sent_at", "deadline_at", "updated_at"])
    return jobs


@transaction.atomic
def record_job_result(
    job: FleetJob, *, agent: Agent, exit_code: int, stdout: str = "", stderr: str = ""
) -> FleetJob:
    """Store what the agent reports for its job (once)."""
    locked = FleetJob.objects.select_for_update().get(pk=job.pk)
    if locked.agent_id != agent.pk:
        raise PermissionDenied(_("This job belongs to another agent."))
    if locked.status != JobStatus.SENT:
        raise ValidationError(
            {
                "status": _("This job is %(s)s; it takes no result.")
                % {"s": locked.get_status_display()}
            }
        )
    locked.exit_code = exit_code
    locked.stdout = stdout[:MAX_OUTPUT_CHARS]
    locked.stderr = stderr[:MAX_OUTPUT_CHARS]
    locked.status = JobStatus.SUCCEEDED if exit_code == 0 else JobStatus.FAILED
    locked.finished_at = timezone.now()
    locked.save()
    return locked


@transaction.atomic
def cancel_job(job: FleetJob, *, by) -> FleetJob:
    """Stop a job that has not finished; an agent that already has it will see
    its result refused."""
    locked = FleetJob.objects.select_for_update().get(pk=job.pk)
    if not locked.is_pending:
        raise ValidationError(
            {"status": _("Only queued or sent jobs can be cancelled.")}
        )
    locked.status, locked.finished_at = JobStatus.CANCELLED, timezone.now()
    locked.cancelled_by = by if getattr(by, "is_authenticated", False) else None
    locked.save(update_fields=["status", "finished_at", "cancelled_by", "updated_at"])
    return locked


def time_out_jobs(*, now=None) -> int:
    """Mark sent jobs past their deadline as timed out; safe to run twice."""
    now = now or timezone.now()
    return FleetJob.objects.filter(status=JobStatus.SENT, deadline_at__lt=now).update(
        status=JobStatus.TIMED_OUT, finished_at=now, updated_at=now
    )


# --- Schedules ---------------------------------------------------------------


@transaction.atomic
def save_job_schedule(schedule: JobSchedule) -> JobSchedule:
    """Save a recurring job and create/update its Celery Beat PeriodicTask."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    if (
        schedule.agent_id is not None
        and schedule.agent.company_id != schedule.company_id
    ):
        raise ValidationError({"agent": _("The agent belongs to another company.")})
    schedule.full_clean()
    schedule.save()
    task = schedule.periodic_task or PeriodicTask(name=f"fleet-schedule-{schedule.pk}")
    task.task = SCHEDULE_TASK
    task.kwargs = json.dumps({"schedule_id": schedule.pk})
    task.enabled = schedule.enabled
    task.description = _("Managed by Nexus (fleet scheduler).")
    task.interval, _created = IntervalSchedule.objects.get_or_create(
        every=schedule.interval_minutes, period=IntervalSchedule.MINUTES
    )
    task.save()
    if schedule.periodic_task_id != task.pk:
        schedule.periodic_task = task
        schedule.save(update_fields=["periodic_task", "updated_at"])
    return schedule


@transaction.atomic
def delete_job_schedule(schedule: JobSchedule) -> None:
    task = schedule.periodic_task
    schedule.delete()
    if task is not None:
        task.delete()


def run_job_schedule(schedule: JobSchedule) -> list[FleetJob]:
    """Queue this run of a recurring job; agents that still have the previous
    run pending are skipped (a slow or offline host does not pile up runs)."""
    if not schedule.enabled:
        return []
    busy = set(
        FleetJob.objects.pending()
        .filter(schedule=schedule)
        .values_list("agent_id", flat=True)
    )
    try:
        targets = agents_for_target(
            agents=[schedule.agent] if schedule.agent_id else [],
            company=schedule.company,
            tag=schedule.tag,
        )
    except ValidationError:
        return []
    targets = [a for a in targets if a.pk not in busy and a.revoked_at is None]
    if not targets:
        return []
    return queue_jobs(
        by=schedule.created_by,
        agents=targets,
        shell=schedule.shell,
        script=schedule.script,
        timeout_seconds=schedule.timeout_seconds,
        schedule=schedule,
    )


def max_screenshot_bytes() -> int:
    return getattr(settings, "NEXUS_FLEET_MAX_SCREENSHOT_BYTES", 1024 * 1024)


def max_ingest_bytes() -> int:
    return getattr(settings, "NEXUS_FLEET_MAX_INGEST_BYTES", 2 * 1024 * 1024)
