"""Celery tasks: thin adapters over integrations.services (STYLE R16)."""

from celery import shared_task

from .choices import SyncTrigger
from .models import SyncJob, SyncRun
from .services import execute_run, reap_stale_runs, run_sync_job


@shared_task(acks_late=True, ignore_result=True)
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


@shared_task(acks_late=True, ignore_result=True)
def execute_sync_run_task(run_id: int) -> None:
    """Carry out a queued manual run. Safe twice: only a QUEUED run is taken."""
    run = SyncRun.objects.select_related("job").filter(pk=run_id).first()
    if run is not None:
        execute_run(run)


@shared_task(ignore_result=True)
def reap_stale_runs_task() -> int:
    """Fail runs whose worker died, freeing their job's lock; harmless to repeat."""
    return reap_stale_runs()
