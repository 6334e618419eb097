"""Celery tasks: thin adapters over integrations.services (STYLE R16)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .choices import SyncTrigger
from .models import SyncJob, SyncRun
from .services import execute_run, reap_stale_runs, run_sync_job

# A task that cannot reach the database at all (a restart or failover under way)
# is tried again later instead of being dropped; Celery's Django fixup discards
# the dead connection before the retry runs.
DB_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def run_sync_job_task(
    job_id: int, trigger: str = SyncTrigger.SCHEDULE, dry_run: bool = False
) -> int | None:
    """Run one job (beat calls this). Safe twice: the run lock lets only one through,
    and every write is an upsert keyed by upstream ids."""
    job = SyncJob.objects.filter(pk=job_id).first()
    if job is None or (trigger == SyncTrigger.SCHEDULE and not job.enabled):
        return None
    run = run_sync_job(job, trigger=trigger, dry_run=dry_run)
    return run.pk if run else None


@shared_task(acks_late=True, ignore_result=True, **DB_RETRY)
def execute_sync_run_task(run_id: int) -> None:
    """Carry out a queued manual run. Safe twice: only a QUEUED run is taken."""
    run = SyncRun.objects.select_related("job").filter(pk=run_id).first()
    if run is not None:
        execute_run(run)


@shared_task(ignore_result=True)
def reap_stale_runs_task() -> int:
    """Fail runs whose worker died, freeing their job's lock; harmless to repeat."""
    return reap_stale_runs()
