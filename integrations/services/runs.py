"""Run lifecycle: the database lock, progress recording, execution and the reaper."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import ACTIVE_STATUSES, SyncStatus, SyncTrigger
from ..clients import (
    ForeignOriginError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamRateLimited,
)
from ..models import SyncJob, SyncRun

logger = logging.getLogger(__name__)

MAX_PROBLEMS = 500  # warnings/errors kept per run; the counts stay exact
MAX_LOG_CHARS = 200_000
COUNTS = ("created", "updated", "unchanged", "retired", "skipped", "failed")
# Errors after which carrying on would only hammer the upstream or leak a token.
FATAL_UPSTREAM_ERRORS = (UpstreamAuthError, UpstreamRateLimited, ForeignOriginError)
# The database went away under the run (server restarted, backend killed, network).
DB_CONNECTION_ERRORS = (OperationalError, InterfaceError)
_sleep = time.sleep  # tests record the waits instead


def stale_after() -> timedelta:
    return timedelta(
        minutes=getattr(settings, "NEXUS_SYNC_STALE_MINUTES", 30),
    )


class RunRecorder:
    """Collects what a run does and writes it to its SyncRun now and then.

    Progress is flushed at most every `flush_interval` seconds, so a 20,000
    device sync costs a handful of UPDATEs, not one per device.
    """

    def __init__(
        self,
        run: SyncRun,
        *,
        on_progress: Callable[[int, int], None] | None = None,
        flush_interval: float = 0.5,
    ):
        self.run = run
        self.dry_run = run.dry_run
        self.on_progress = on_progress
        self.flush_interval = flush_interval
        self.counts = dict.fromkeys(COUNTS, 0)
        self.done = self.total = 0
        self.warnings: list[dict] = []
        self.errors: list[dict] = []
        self.warning_total = self.error_total = 0
        self.lines: list[str] = []
        self.log_chars = 0
        self._last_flush = 0.0
        self.clients: dict[str, object] = {}
        # Time the run was blocked on upstreams, when a service measures it itself
        # (reads ahead on threads); otherwise the clients' own timings are used.
        self.upstream_seconds: float | None = None

    # -- recording ---------------------------------------------------------------------
    def log(self, message: str) -> None:
        stamp = timezone.now().strftime("%H:%M:%S")
        line = f"{stamp} {message}"
        if self.log_chars < MAX_LOG_CHARS:
            self.lines.append(line)
            self.log_chars += len(line) + 1
        logger.info("sync run %s: %s", self.run.pk, message)

    def count(self, kind: str, n: int = 1) -> None:
        self.counts[kind] += n

    def _problem(self, bucket: list, message: str, upstream_id) -> None:
        if len(bucket) < MAX_PROBLEMS:
            entry = {"message": str(message)}
            if upstream_id is not None:
                entry["upstream_id"] = str(upstream_id)
            bucket.append(entry)

    def warn(self, message: str, *, upstream_id=None) -> None:
        self.warning_total += 1
        self._problem(self.warnings, message, upstream_id)
        self.log(f"WARNING {message}" + (f" [{upstream_id}]" if upstream_id else ""))

    def error(self, message: str, *, upstream_id=None) -> None:
        self.error_total += 1
        self._problem(self.errors, message, upstream_id)
        self.log(f"ERROR {message}" + (f" [{upstream_id}]" if upstream_id else ""))

    def fail(self, message: str, *, upstream_id=None) -> None:
        """One item could not be synced: keep the error and count the item failed."""
        self.error(message, upstream_id=upstream_id)
        self.count("failed")

    def add_total(self, n: int) -> None:
        self.total += n
        self.flush()

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.flush()

    # -- persistence -------------------------------------------------------------------
    def fields(self) -> dict:
        extra_w = self.warning_total - len(self.warnings)
        extra_e = self.error_total - len(self.errors)
        warnings = self.warnings + (
            [{"message": _("…and %(n)d more") % {"n": extra_w}}] if extra_w > 0 else []
        )
        errors = self.errors + (
            [{"message": _("…and %(n)d more") % {"n": extra_e}}] if extra_e > 0 else []
        )
        return {
            "progress_done": self.done,
            "progress_total": max(self.total, self.done),
            **{f"{kind}_count": value for kind, value in self.counts.items()},
            "warnings": warnings,
            "errors": errors,
            "log": "\n".join(self.lines),
            "stats": {
                name: client.stats.as_dict() for name, client in self.clients.items()
            },
            "heartbeat_at": timezone.now(),
        }

    def flush(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_flush < self.flush_interval:
            return
        self._last_flush = now
        fields = self.fields()
        SyncRun.objects.filter(pk=self.run.pk).update(**fields)
        for name, value in fields.items():
            setattr(self.run, name, value)
        if self.on_progress:
            self.on_progress(self.done, max(self.total, self.done))


class ProblemCollector:
    """A recorder stand-in that keeps only the errors (for nested service calls)."""

    def __init__(self):
        self.errors: list[str] = []

    def count(self, kind: str, n: int = 1) -> None:
        pass

    def log(self, message: str) -> None:
        pass

    def warn(self, message: str, *, upstream_id=None) -> None:
        pass

    def error(self, message: str, *, upstream_id=None) -> None:
        self.errors.append(str(message))

    def fail(self, message: str, *, upstream_id=None) -> None:
        self.error(message, upstream_id=upstream_id)


# -- lifecycle -----------------------------------------------------------------------------
def reap_stale_runs(*, job: SyncJob | None = None, now=None) -> int:
    """Fail queued/running runs whose worker went away, which frees the lock."""
    now = now or timezone.now()
    cutoff = now - stale_after()
    runs = SyncRun.objects.filter(status__in=ACTIVE_STATUSES)
    if job is not None:
        runs = runs.filter(job=job)
    stale = [
        run
        for run in runs
        if (run.heartbeat_at or run.started_at or run.created_at) < cutoff
    ]
    for run in stale:
        SyncRun.objects.filter(pk=run.pk, status=run.status).update(
            status=SyncStatus.FAILED,
            finished_at=now,
            errors=[
                *run.errors,
                {"message": _("Abandoned: no progress was reported.")},
            ],
        )
    return len(stale)


def start_run(
    job: SyncJob,
    *,
    trigger: str = SyncTrigger.SCHEDULE,
    dry_run: bool = False,
    user=None,
) -> SyncRun | None:
    """Queue a run of `job`, or return None when one is already queued or running.

    The partial unique constraint is the lock (STYLE R17b), so it holds across
    processes and machines; stale runs are reaped first so a crash never wedges it.
    """
    reap_stale_runs(job=job)
    try:
        with transaction.atomic():  # savepoint: the IntegrityError must not poison
            return SyncRun.objects.create(
                job=job,
                trigger=trigger,
                dry_run=dry_run,
                triggered_by=user if getattr(user, "pk", None) else None,
                status=SyncStatus.QUEUED,
                heartbeat_at=timezone.now(),
            )
    except IntegrityError:
        return None


@transaction.atomic
def request_run(job: SyncJob, *, user=None, dry_run: bool = False) -> SyncRun:
    """A staff "Run now" / "Dry run": queue it and hand it to a worker on commit."""
    from ..tasks import execute_sync_run_task

    run = start_run(job, trigger=SyncTrigger.MANUAL, dry_run=dry_run, user=user)
    if run is None:
        raise ValidationError(
            {"job": _("%(job)s is already queued or running.") % {"job": job}}
        )
    transaction.on_commit(lambda: _dispatch_run(execute_sync_run_task, run.pk))
    return run


def _dispatch_run(task, run_id: int) -> None:
    """Hand the run to a worker; with the broker down, fail it at once (freeing the
    job) instead of answering 500 and leaving it QUEUED until the reaper."""
    from kombu.exceptions import OperationalError as BrokerError

    try:
        task.delay(run_id)
    except BrokerError as exc:
        logger.warning("sync run %s not queued: broker unavailable (%s)", run_id, exc)
        SyncRun.objects.filter(pk=run_id, status=SyncStatus.QUEUED).update(
            status=SyncStatus.FAILED,
            finished_at=timezone.now(),
            errors=[
                {
                    "message": _(
                        "Could not be queued: the task queue is unavailable. "
                        "Try again later."
                    )
                }
            ],
        )


def execute_run(
    run: SyncRun,
    *,
    clients=None,
    on_progress: Callable[[int, int], None] | None = None,
) -> SyncRun:
    """Run a queued SyncRun to the end; every outcome is written to the row.

    Not one transaction: each batch commits on its own, so a failure part-way
    leaves finished companies written and the rest untouched, and the next run
    completes the work (upserts are keyed by upstream ids).
    """
    from .jobs import JOB_RUNNERS, Clients

    now = timezone.now()
    taken = _retry_on_db_loss(
        lambda: SyncRun.objects.filter(pk=run.pk, status=SyncStatus.QUEUED).update(
            status=SyncStatus.RUNNING, started_at=now, heartbeat_at=now
        ),
        what=f"starting sync run {run.pk}",
    )
    if not taken:
        run.refresh_from_db()
        return run
    run.status, run.started_at = SyncStatus.RUNNING, now
    recorder = RunRecorder(run, on_progress=on_progress)
    clients = clients or Clients()
    recorder.clients = clients.opened
    status = SyncStatus.SUCCEEDED
    started = time.perf_counter()
    kind = run.job.kind
    recorder.log(
        _("%(job)s started%(dry)s")
        % {
            "job": run.job,
            "dry": _(" (dry run: nothing is written)") if run.dry_run else "",
        }
    )
    try:
        JOB_RUNNERS[kind](recorder, clients, dry_run=run.dry_run)
    except UpstreamError as exc:
        status = SyncStatus.FAILED
        recorder.error(_("Aborted: %(error)s") % {"error": exc}, upstream_id=None)
    except DB_CONNECTION_ERRORS as exc:
        status = SyncStatus.FAILED
        logger.warning("sync run %s: database unavailable: %s", run.pk, exc)
        _reconnect_if_broken()
        recorder.error(
            _(
                "Aborted: the database was unavailable (%(error)s). Batches written "
                "before then are kept; the next run completes the work."
            )
            % {"error": _first_line(exc)}
        )
    except Exception as exc:  # the row must say what happened, whatever it was
        status = SyncStatus.FAILED
        logger.exception("sync run %s crashed", run.pk)
        _reconnect_if_broken()
        recorder.error(_("Internal error: %(error)r") % {"error": exc})
        recorder.log(traceback.format_exc(limit=8))
    finally:
        clients.close()
    if status == SyncStatus.SUCCEEDED and (
        recorder.error_total or recorder.counts["failed"]
    ):
        status = SyncStatus.PARTIAL
    elapsed = time.perf_counter() - started
    http = recorder.upstream_seconds
    if http is None:
        http = sum(
            c.stats.http_seconds + c.stats.wait_seconds for c in clients.opened.values()
        )
    recorder.log(
        _("Finished: %(status)s in %(s).1fs (%(http).1fs waiting on upstreams)")
        % {"status": SyncStatus(status).label, "s": elapsed, "http": http}
    )
    fields = recorder.fields()
    fields["stats"]["elapsed_seconds"] = round(elapsed, 3)
    fields["stats"]["upstream_seconds"] = round(http, 3)
    fields["stats"]["local_seconds"] = round(max(0.0, elapsed - http), 3)
    fields.update(status=status, finished_at=timezone.now())
    if status != SyncStatus.FAILED:
        fields["progress_done"] = fields["progress_total"] = max(
            fields["progress_total"], fields["progress_done"]
        )
    # The database may still be restarting: wait for it rather than leave the run
    # RUNNING (holding the job's lock) until the reaper.
    _retry_on_db_loss(
        lambda: SyncRun.objects.filter(pk=run.pk).update(**fields),
        what=f"recording the end of sync run {run.pk}",
    )
    for name, value in fields.items():
        setattr(run, name, value)
    if on_progress:
        on_progress(run.progress_done, run.progress_total)
    return run


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _retry_on_db_loss(write: Callable[[], int], *, what: str) -> int:
    """Run one autocommitted write, retrying on a lost connection for up to
    NEXUS_SYNC_DB_RETRY_SECONDS (a PostgreSQL restart or failover takes seconds).

    Each retry drops the dead connection first, so the next attempt reconnects.
    Inside a transaction nothing can be retried: the error goes up at once.
    """
    from django.db import connection

    budget = float(getattr(settings, "NEXUS_SYNC_DB_RETRY_SECONDS", 60.0))
    deadline = time.monotonic() + budget
    delay = 0.5
    while True:
        try:
            return write()
        except DB_CONNECTION_ERRORS as exc:
            if connection.in_atomic_block or time.monotonic() + delay > deadline:
                raise
            logger.warning(
                "%s: database unavailable (%s); retrying in %.1fs",
                what,
                _first_line(exc),
                delay,
            )
            _drop_connection()
            _sleep(delay)
            delay = min(delay * 2, 10.0)


def _drop_connection() -> None:
    from django.db import connection

    try:
        connection.close()
    except DB_CONNECTION_ERRORS:  # closing a dead socket may complain; it is gone
        connection.connection = None


def _reconnect_if_broken() -> None:
    """Drop a database connection that died under the run (server restart, killed
    backend), so the failure can still be written: the next query reconnects.
    Without this the run stayed RUNNING, holding the job's lock until the reaper."""
    from django.db import connection

    if (
        connection.connection is not None
        and not connection.in_atomic_block
        and not connection.is_usable()
    ):
        _drop_connection()


def run_sync_job(
    job: SyncJob,
    *,
    trigger: str = SyncTrigger.SCHEDULE,
    dry_run: bool = False,
    user=None,
    clients=None,
    on_progress=None,
) -> SyncRun | None:
    """Run `job` now in this process; None when it is already running elsewhere."""
    run = start_run(job, trigger=trigger, dry_run=dry_run, user=user)
    if run is None:
        return None
    return execute_run(run, clients=clients, on_progress=on_progress)
