"""Celery tasks of the assets app (STYLE R16): thin adapters over services."""

from celery import shared_task


@shared_task
def run_job_schedule_task(schedule_id: int) -> int:
    """Queue one run of a recurring fleet job. Running it twice in a row queues
    nothing the second time for agents whose previous run is still pending."""
    from .fleet import run_job_schedule
    from .fleet_models import JobSchedule

    schedule = (
        JobSchedule.objects.select_related("company", "agent", "created_by")
        .filter(pk=schedule_id)
        .first()
    )
    if schedule is None:
        return 0
    return len(run_job_schedule(schedule))


@shared_task
def time_out_fleet_jobs_task() -> int:
    """Mark sent jobs past their deadline as timed out (idempotent)."""
    from .fleet import time_out_jobs

    return time_out_jobs()


@shared_task
def check_offline_agents_task() -> int:
    """Raise offline alerts for silent agents (idempotent: open alerts are not
    raised twice)."""
    from .fleet import check_offline_agents

    return check_offline_agents()
