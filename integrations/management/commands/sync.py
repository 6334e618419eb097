from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from integrations.choices import SyncJobKind, SyncStatus, SyncTrigger
from integrations.models import SyncJob
from integrations.services import run_sync_job

ALIASES = {
    "freshservice": SyncJobKind.SYNC_FRESHSERVICE,
    "datto": SyncJobKind.SYNC_DATTO,
    "assign": SyncJobKind.ASSIGN_ACCOUNT_NUMBERS,
    "push": SyncJobKind.PUSH_ACCOUNT_NUMBERS,
}


class Command(BaseCommand):
    help = (
        "Run one integration job now, in this process, with a progress bar. "
        "Jobs: " + ", ".join([*SyncJobKind.values, *ALIASES])
    )

    def add_arguments(self, parser):
        parser.add_argument("job", choices=[*SyncJobKind.values, *ALIASES])
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="report what would change; write nothing",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, job: str, dry_run: bool, no_progress: bool, **options):
        kind = ALIASES.get(job, job)
        sync_job = SyncJob.objects.filter(kind=kind).first()
        if sync_job is None:
            raise CommandError(f"job {kind} does not exist (run migrate)")
        bar = tqdm(
            total=0,
            unit="item",
            desc=str(sync_job),
            disable=no_progress,
            file=self.stderr,
        )

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        run = run_sync_job(
            sync_job, trigger=SyncTrigger.MANUAL, dry_run=dry_run, on_progress=progress
        )
        bar.close()
        if run is None:
            raise CommandError(f"{sync_job} is already running")
        self.stdout.write(
            f"run #{run.pk} {run.get_status_display()}{' (dry run)' if dry_run else ''}: "
            f"{run.created_count} created, {run.updated_count} updated, "
            f"{run.unchanged_count} unchanged, {run.retired_count} retired, "
            f"{run.skipped_count} skipped, {run.failed_count} failed; "
            f"{len(run.warnings)} warnings, {len(run.errors)} errors"
        )
        for error in run.errors[:20]:
            self.stderr.write(f"  error: {error['message']}")
        if run.status == SyncStatus.FAILED:
            raise CommandError("the run failed")
