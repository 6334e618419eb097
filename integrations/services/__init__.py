"""Integration services: running jobs, the four syncs and the beat schedule."""

from .account_numbers import (
    assign_account_numbers,
    push_account_numbers_to_datto,
    reserve_account_number,
)
from .datto import sync_datto
from .freshservice import sync_freshservice, upsert_company_from_department
from .jobs import Clients, build_client, connection_for
from .runs import (
    RunRecorder,
    execute_run,
    reap_stale_runs,
    request_run,
    run_sync_job,
    start_run,
)
from .schedules import sync_periodic_task, update_sync_job

__all__ = [
    "Clients",
    "RunRecorder",
    "assign_account_numbers",
    "build_client",
    "connection_for",
    "execute_run",
    "push_account_numbers_to_datto",
    "reap_stale_runs",
    "request_run",
    "reserve_account_number",
    "run_sync_job",
    "start_run",
    "sync_datto",
    "sync_freshservice",
    "sync_periodic_task",
    "update_sync_job",
    "upsert_company_from_department",
]
