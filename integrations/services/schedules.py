"""Keep each job's django-celery-beat PeriodicTask in step with the job.

DatabaseScheduler notices changed PeriodicTask rows (PeriodicTasks.changed is
bumped by the model's save signal), so edits apply without restarting beat.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_celery_beat.models import (
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
)
from django_celery_beat.validators import crontab_validator

from ..models import SyncJob

TASK = "integrations.tasks.run_sync_job_task"


def parse_crontab(value: str) -> list[str]:
    parts = value.split()
    if len(parts) != 5:
        raise ValidationError(
            {
                "crontab": _(
                    "Give five fields: minute hour day-of-month month day-of-week."
                )
            }
        )
    try:
        crontab_validator(" ".join(parts))
    except ValidationError as exc:
        raise ValidationError({"crontab": exc.messages}) from None
    return parts


def sync_periodic_task(job: SyncJob) -> PeriodicTask:
    """Create or update the job's PeriodicTask (schedule, enabled, kwargs)."""
    task = job.periodic_task or PeriodicTask(name=f"integrations: {job.kind}")
    task.task = TASK
    task.kwargs = json.dumps({"job_id": job.pk, "trigger": "schedule"})
    task.enabled = job.enabled
    task.description = _("Managed by Nexus (Integrations page / sync jobs).")
    if job.crontab:
        minute, hour, dom, month, dow = parse_crontab(job.crontab)
        task.crontab, _created = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=dom,
            month_of_year=month,
            day_of_week=dow,
            timezone=settings.TIME_ZONE,
        )
        task.interval = None
    else:
        task.interval, _created = IntervalSchedule.objects.get_or_create(
            every=job.interval_minutes, period=IntervalSchedule.MINUTES
        )
        task.crontab = None
    task.save()
    if job.periodic_task_id != task.pk:
        job.periodic_task = task
        job.save(update_fields=["periodic_task", "updated_at"])
    return task


@transaction.atomic
def update_sync_job(
    job: SyncJob,
    *,
    enabled: bool | None = None,
    interval_minutes: int | None = None,
    crontab: str | None = None,
) -> SyncJob:
    """Change a job's switch or schedule; the beat schedule follows at once."""
    if enabled is not None:
        job.enabled = enabled
    if interval_minutes is not None:
        job.interval_minutes = interval_minutes
    if crontab is not None:
        job.crontab = " ".join(crontab.split())
        if job.crontab:
            parse_crontab(job.crontab)
    job.full_clean()
    job.save()
    sync_periodic_task(job)
    return job
