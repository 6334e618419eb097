"""Fault drills on a real stack: PostgreSQL, a private Redis, gunicorn, Celery.

    .venv/bin/python bench/faults.py [--only pg_kill,pg_restart,redis_down,worker_kill,race]
                                     [--pg postgres://postgres@127.0.0.1:5432]
                                     [--pg-down SECONDS]

Each run creates a PostgreSQL database of its own (migrated, demo data loaded,
dropped at the end) and starts a private `redis-server` on a free port (never
the shared 6379), the sandbox upstreams in this process (free ports), and
gunicorn / Celery workers / beat as child processes. With `pg_restart` among the
scenarios the whole run uses a private PostgreSQL cluster instead of --pg
(initdb into a temporary directory, started with pg_ctl on a free port, stopped
and deleted at the end), so the shared server is never restarted. Scenarios:

  pg_kill      a Datto sync runs in a child process; its PostgreSQL backend is
               killed with pg_terminate_backend mid-run. Expect: the run row
               ends FAILED (not stuck RUNNING), nothing is duplicated, the next
               run completes and a third one changes nothing.
  pg_restart   a Datto sync started with "Run now" runs on a Celery worker
               against the sandbox upstream (`python -m integrations.sandbox`,
               a child process); once its first batch of devices is committed,
               the private cluster is restarted (`pg_ctl restart -m fast`, or
               stopped for --pg-down seconds and started again). Expect: the run
               ends in a terminal state (failed with a readable error, or
               succeeded), no run is left queued/running (the lock is free), no
               device uid is duplicated, and the next "Run now" on the same
               worker succeeds with every device of every linked site. Then a
               sync task is sent while the server is stopped: it is retried
               (autoretry on OperationalError) and runs once, changing nothing.
  redis_down   Redis is shut down under gunicorn: pages and API keep serving,
               /api/status answers 503 with the broker (and cache) down;
               "Run now" queued before the outage (worker stopped, Redis
               persisted with appendonly) runs once Redis and a worker are back.
  worker_kill  the pool process of a worker is SIGKILLed mid-sync: the message
               is redelivered (acks_late + reject_on_worker_lost), the
               redelivered task finds the job locked, the reaper fails the
               abandoned run (its heartbeat is stale) and the next run completes.
  race         two workers and two beat schedulers with the Datto job due every
               5 s for 30 s: runs never overlap, each due tick runs at most
               once, no device is duplicated.

Prints one OUTCOME line per scenario; exit status 0 iff all passed.
`Stack` is reused by bench/scaleout.py.
"""

import argparse
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what or predicate}")


class PrivateCluster:
    """A throwaway PostgreSQL cluster: initdb into a temp dir, pg_ctl on a free port.

    Run as root, the server runs as the `postgres` user (PostgreSQL refuses root).
    Trust authentication on loopback and a socket in the data directory only.
    """

    def __init__(self):
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="nexus-faults-pg-"))
        self.data = self.root / "data"
        self.logfile = self.root / "server.log"
        self.bin = Path(
            subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                           check=True).stdout.strip()
        )  # fmt: skip
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}"

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return subprocess.run([*prefix, *argv], check=check, capture_output=True,
                              text=True, cwd=self.root)  # fmt: skip

    def pg_ctl(self, action: str, *args: str, check: bool = True):
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.root} -c max_connections=100 "
            "-c shared_buffers=32MB"
        )
        done = self._run(str(self.bin / "pg_ctl"), action, "-D", str(self.data), "-l",
                         str(self.logfile), "-w", "-t", "60", "-o", options, *args,
                         check=False)  # fmt: skip
        if check and done.returncode:
            raise RuntimeError(f"pg_ctl {action} failed: {done.stdout}{done.stderr}")
        return done

    def start(self) -> "PrivateCluster":
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")  # fmt: skip
        self.pg_ctl("start")
        return self

    def restart(self, down: float = 0.0) -> float:
        """`pg_ctl restart -m fast`, or stop, stay down `down` seconds, start.
        Returns how long the server was unavailable, as seen from here."""
        started = time.monotonic()
        if down:
            self.pg_ctl("stop", "-m", "fast")
            time.sleep(down)
            self.pg_ctl("start")
        else:
            self.pg_ctl("restart", "-m", "fast")
        return time.monotonic() - started

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.pg_ctl("stop", "-m", "immediate", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


class Stack:
    """One PostgreSQL database + one private Redis + child processes."""

    def __init__(self, pg: str, label: str, settings: str = "nexus.settings"):
        self.pg = pg
        self.cluster: PrivateCluster | None = None  # set when pg is a private one
        self.pg_down = 0.0
        self.name = f"nexus_bench_{label}_{os.getpid()}"
        self.var = Path(tempfile.mkdtemp(prefix=f"{self.name}-"))
        self.redis_port = free_port()
        self.children: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "DATABASE_URL": f"{pg}/{self.name}",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "NEXUS_VAR_DIR": str(self.var),
            "DJANGO_DEBUG": "1",
            "NEXUS_LOG_LEVEL": "INFO",
            "DJANGO_SETTINGS_MODULE": settings,
            "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
            "PYTHONUNBUFFERED": "1",
        }

    # -- lifecycle ---------------------------------------------------------------
    def create(self) -> None:
        import psycopg

        with psycopg.connect(f"{self.pg}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.start_redis()
        manage = [PY, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT,
                       env=self.env, check=True)  # fmt: skip
        subprocess.run([*manage, "load_demo"], cwd=ROOT, env=self.env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        os.environ.update(self.env)
        sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
        import django

        django.setup()
        import logging

        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("integrations").setLevel(logging.WARNING)

    def close(self) -> None:
        for name in list(self.children):
            self.stop(name)
        self.stop_redis()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        import psycopg

        with psycopg.connect(f"{self.pg}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.var, ignore_errors=True)

    # -- redis -------------------------------------------------------------------
    def start_redis(self) -> None:
        subprocess.run(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--daemonize", "yes", "--dir", str(self.var), "--appendonly", "yes",
             "--save", "", "--pidfile", str(self.var / "redis.pid")],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.redis_up, 10, what="redis")

    def stop_redis(self) -> None:
        if self.redis_up():
            subprocess.run(
                ["redis-cli", "-p", str(self.redis_port), "shutdown"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            wait_for(lambda: not self.redis_up(), 10, what="redis down")

    def redis_up(self) -> bool:
        return (
            subprocess.run(
                ["redis-cli", "-p", str(self.redis_port), "ping"],
                capture_output=True, text=True,
            ).stdout.strip() == "PONG"
        )  # fmt: skip

    # -- children ----------------------------------------------------------------
    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.var / f"{name}.log", "ab")
        child = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self.children[name] = child
        return child

    def log(self, name: str) -> str:
        path = self.var / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, name: str, sig=signal.SIGTERM) -> None:
        child = self.children.pop(name, None)
        if child is None or child.poll() is not None:
            return
        os.killpg(child.pid, sig)
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(10)

    def web(self, name: str = "web") -> str:
        port = free_port()
        self.spawn(name, [str(BIN / "gunicorn"), "nexus.wsgi:application", "--bind",
                          f"127.0.0.1:{port}", "--workers", "2", "--worker-class",
                          "gthread", "--threads", "4", "--timeout", "60"])  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        import httpx

        def up():
            try:
                return httpx.get(f"{base}/api/status", timeout=3).status_code in (
                    200,
                    503,
                )
            except httpx.HTTPError:
                return False

        wait_for(up, 60, 0.5, what=f"{name} up")
        return base

    def worker(self, name: str = "worker", concurrency: int = 1) -> None:
        self.spawn(name, [str(BIN / "celery"), "-A", "nexus", "worker", "-n",
                          f"{name}@%h", "--loglevel", "INFO", "--concurrency",
                          str(concurrency), "--without-gossip", "--without-mingle"])  # fmt: skip
        wait_for(lambda: "ready." in self.log(name), 60, 0.5, what=f"{name} ready")

    def beat(self, name: str = "beat") -> None:
        self.spawn(name, [str(BIN / "celery"), "-A", "nexus", "beat", "--loglevel",
                          "INFO", "--pidfile=", "-s", str(self.var / f"{name}.db")])  # fmt: skip

    # -- sandbox + data ----------------------------------------------------------
    def sandboxes(self, sites=30, devices_per_site=20, requesters=200):
        from integrations.choices import ConnectionKind
        from integrations.models import Connection
        from integrations.sandbox import DattoSandbox, FreshserviceSandbox, build_world

        world = build_world(seed=3, sites=sites, devices_per_site=devices_per_site,
                            requesters=requesters)  # fmt: skip
        datto = DattoSandbox(world, api_key="k", api_secret="s", slowdown=0)
        fs = FreshserviceSandbox(world, api_key="f")
        datto.__enter__()
        fs.__enter__()
        c = Connection.objects.get(kind=ConnectionKind.DATTO)
        c.base_url, c.api_key, c.api_secret, c.rate_limit_per_minute = (
            datto.url, "k", "s", 0)  # fmt: skip
        c.save()
        c = Connection.objects.get(kind=ConnectionKind.FRESHSERVICE)
        c.base_url, c.api_key = fs.url, "f"
        c.save()
        return datto, fs

    def sync(self, kind):
        from integrations.choices import SyncTrigger
        from integrations.models import SyncJob
        from integrations.services import run_sync_job

        return run_sync_job(SyncJob.objects.get(kind=kind), trigger=SyncTrigger.MANUAL)

    def api_key(self, username="admin"):
        from accounts.models import User
        from accounts.services import create_api_key

        return create_api_key(User.objects.get(username=username), name="bench")[1]


def device_counts() -> dict:
    from django.db.models import Count

    from assets.models import Asset

    uids = Asset.objects.exclude(rmm_device_uid__isnull=True).exclude(rmm_device_uid="")
    dupes = (
        uids.values("rmm_device_uid").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    return {"assets": uids.count(), "duplicated_uids": dupes}


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------


def scenario_pg_kill(stack: Stack) -> tuple[bool, str]:
    from django.db import connection

    from integrations.choices import SyncJobKind, SyncStatus
    from integrations.models import SyncRun
    from integrations.services import reap_stale_runs

    datto, fs = stack.sandboxes()
    try:
        assert stack.sync(SyncJobKind.SYNC_FRESHSERVICE).status == SyncStatus.SUCCEEDED
        datto.inject("site_devices", "slow", times=None, delay=0.4)
        child = subprocess.Popen(
            [PY, __file__, "--child-sync", SyncJobKind.SYNC_DATTO], cwd=ROOT,
            env=stack.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        run = wait_for(
            lambda: SyncRun.objects.filter(job__kind=SyncJobKind.SYNC_DATTO,
                                           status=SyncStatus.RUNNING,
                                           progress_done__gte=3).first(),
            60, what="sync running",
        )  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            killed = len(cursor.fetchall())
        out, _ = child.communicate(timeout=120)
        run.refresh_from_db()
        first = (
            f"killed {killed} backend(s) at {run.progress_done}/{run.progress_total}; "
        )
        first += f"child exit {child.returncode}, run {run.pk} {run.status}"
        stuck = run.status in (SyncStatus.RUNNING, SyncStatus.QUEUED)
        if stuck:
            reaped = reap_stale_runs(now=run.heartbeat_at + timedelta(hours=1))
            run.refresh_from_db()
            first += f" → reaper ({reaped}) → {run.status}"
        datto.clear_faults()
        partial = device_counts()
        second = stack.sync(SyncJobKind.SYNC_DATTO)
        after_second = device_counts()
        third = stack.sync(SyncJobKind.SYNC_DATTO)
        after_third = device_counts()
        expected = sum(1 for d in datto.devices.values() if d.get("siteUid"))
        ok = (
            not stuck
            and second.status in (SyncStatus.SUCCEEDED, SyncStatus.PARTIAL)
            and third.created_count == 0
            and after_third == after_second
            and after_third["duplicated_uids"] == 0
        )
        detail = (
            f"{first}; assets after the killed run {partial['assets']}, after the "
            f"next run {after_second['assets']} ({second.status}, created "
            f"{second.created_count}, updated {second.updated_count}), third run created "
            f"{third.created_count}; duplicated uids {after_third['duplicated_uids']}; "
            f"sandbox devices {expected}"
        )
        if stuck:
            detail += "; the killed run was left active until the reaper"
            detail += " | child output tail: " + " / ".join(
                out.strip().splitlines()[-3:]
            )
        return ok, detail
    finally:
        datto.__exit__(None, None, None)
        fs.__exit__(None, None, None)


def scenario_pg_restart(stack: Stack) -> tuple[bool, str]:
    import httpx
    from django.db import connections

    from assets.models import Asset
    from companies.models import RmmSiteLink
    from integrations.choices import (
        ACTIVE_STATUSES,
        ConnectionKind,
        SyncJobKind,
        SyncStatus,
        SyncTrigger,
    )
    from integrations.models import Connection, SyncJob, SyncRun
    from integrations.sandbox import build_world
    from integrations.sandbox.__main__ import (
        DEMO_DATTO_KEY,
        DEMO_DATTO_SECRET,
        DEMO_FRESHSERVICE_KEY,
    )
    from integrations.services import request_run
    from integrations.tasks import run_sync_job_task

    if stack.cluster is None:
        return False, "needs the private cluster (the stack was not started on one)"
    shape = {"seed": 5, "sites": 60, "devices_per_site": 25, "requesters": 200}
    ports = {"datto": free_port(), "freshservice": free_port()}
    stack.spawn("sandbox", [PY, "-m", "integrations.sandbox", "--no-throttle",
                            "--datto-port", str(ports["datto"]),
                            "--freshservice-port", str(ports["freshservice"]),
                            *itertools.chain.from_iterable(
                                (f"--{k.replace('_', '-')}", str(v))
                                for k, v in shape.items())])  # fmt: skip
    urls = json.loads(
        wait_for(lambda: next((line for line in stack.log("sandbox").splitlines()
                               if line.startswith("{")), None), 30, what="sandbox")
    )  # fmt: skip
    world = build_world(**shape)  # the same seed: the devices the sandbox serves
    Connection.objects.filter(kind=ConnectionKind.DATTO).update(
        base_url=urls["datto"], api_key=DEMO_DATTO_KEY,
        api_secret=DEMO_DATTO_SECRET, rate_limit_per_minute=0,
    )  # fmt: skip
    Connection.objects.filter(kind=ConnectionKind.FRESHSERVICE).update(
        base_url=urls["freshservice"], api_key=DEMO_FRESHSERVICE_KEY
    )
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)

    def finished(run_id):
        return SyncRun.objects.filter(
            pk=run_id, status__in=[SyncStatus.SUCCEEDED, SyncStatus.PARTIAL,
                                   SyncStatus.FAILED]).first()  # fmt: skip

    uids = {d["uid"] for d in world.devices}

    def synced() -> int:
        return Asset.objects.filter(rmm_device_uid__in=uids).count()

    try:
        fs_run = stack.sync(SyncJobKind.SYNC_FRESHSERVICE)
        assert fs_run.status == SyncStatus.SUCCEEDED, fs_run.errors
        httpx.post(f"{urls['datto']}/_sandbox/faults", json={
            "route": "site_devices", "kind": "slow", "times": None, "delay": 0.3,
        }).raise_for_status()  # fmt: skip
        stack.worker("worker", concurrency=1)
        run = request_run(job)
        # Restart once the first batch of devices is committed: the run has
        # written part of its work and is still reading the rest.
        wait_for(lambda: synced() > 0 or finished(run.pk), 120, 0.3,
                 what="first device batch")  # fmt: skip
        run.refresh_from_db()
        at = f"{run.progress_done}/{run.progress_total}"
        before_restart = synced()
        mid_flight = run.status == SyncStatus.RUNNING
        connections.close_all()
        outage = stack.cluster.restart(down=stack.pg_down)
        connections.close_all()  # ours died too; the next query reconnects
        try:
            run = wait_for(lambda: finished(run.pk), 150, 0.5, what="run to end")
        except TimeoutError:
            run.refresh_from_db()
            return False, (
                f"restarted at {at} with {before_restart} devices committed; run "
                f"{run.pk} still {run.status} 150s later: the job stays locked until "
                "the reaper | worker log tail: "
                + " / ".join(stack.log("worker").strip().splitlines()[-3:])[-600:]
            )
        active = SyncRun.objects.filter(job=job, status__in=ACTIVE_STATUSES).count()
        after_cut = device_counts()
        kept = synced()  # what was committed before the restart is still there
        error = next((e["message"] for e in reversed(run.errors)), "")
        retries = stack.log("worker").count("database unavailable")

        httpx.delete(f"{urls['datto']}/_sandbox/faults").raise_for_status()
        queued = request_run(job)
        second = wait_for(lambda: finished(queued.pk), 180, 0.5, what="next run")
        linked = set(RmmSiteLink.objects.values_list("site_uid", flat=True))
        expected = {d["uid"] for d in world.devices if d["siteUid"] in linked}
        present = list(
            Asset.objects.filter(rmm_device_uid__in=uids).values_list(
                "rmm_device_uid", flat=True
            )
        )
        final = device_counts()

        # A scheduled run delivered while the server is down: the task retries
        # (autoretry on OperationalError) and runs once the server is back.
        before = set(SyncRun.objects.filter(job=job).values_list("pk", flat=True))
        connections.close_all()
        stack.cluster.pg_ctl("stop", "-m", "fast")
        try:
            run_sync_job_task.delay(job.pk, trigger=SyncTrigger.MANUAL)
            wait_for(lambda: "run_sync_job_task" in stack.log("worker")
                     and "retry: Retry in" in stack.log("worker"), 60, 0.5,
                     what="task retry")  # fmt: skip
        finally:
            stack.cluster.pg_ctl("start")
        connections.close_all()
        late = wait_for(
            lambda: SyncRun.objects.filter(job=job).exclude(pk__in=before).filter(
                status__in=[SyncStatus.SUCCEEDED, SyncStatus.PARTIAL,
                            SyncStatus.FAILED]).first(),
            180, 0.5, what="retried task's run",
        )  # fmt: skip
        task_retries = stack.log("worker").count("retry: Retry in")
        late_runs = SyncRun.objects.filter(job=job).exclude(pk__in=before).count()
        ok = (
            late.status == SyncStatus.SUCCEEDED
            and late.created_count == 0
            and late_runs == 1
            and device_counts()["duplicated_uids"] == 0
        )
        late_detail = (
            f"; a run delivered while the server was stopped was retried "
            f"{task_retries}× and then {late.status} (created {late.created_count}, "
            f"unchanged {late.unchanged_count}; {late_runs} run)"
        )
        ok = ok and (
            mid_flight
            and run.status in (SyncStatus.FAILED, SyncStatus.SUCCEEDED)
            and (run.status == SyncStatus.SUCCEEDED or "database" in error)
            and active == 0
            and kept >= before_restart
            and after_cut["duplicated_uids"] == 0
            and second.status == SyncStatus.SUCCEEDED
            and set(present) == expected
            and len(present) == len(expected)
            and final["duplicated_uids"] == 0
        )
        how = (f"stopped for {stack.pg_down:g}s" if stack.pg_down
               else "pg_ctl restart -m fast")  # fmt: skip
        return ok, (
            f"restarted ({how}, {outage:.1f}s unavailable) at {at} with "
            f"{before_restart} devices committed; run {run.pk} → {run.status}"
            f" ({error[:200]!r}); worker retried its write {retries}×; "
            f"active runs left {active}; devices kept {kept}; duplicated uids "
            f"{after_cut['duplicated_uids']}"
            f"; next run {second.status} (created {second.created_count}, updated "
            f"{second.updated_count}, unchanged {second.unchanged_count}); devices "
            f"{len(present)}/{len(expected)} expected from {len(linked)} linked "
            f"sites; duplicated uids {final['duplicated_uids']}{late_detail}"
        )
    finally:
        stack.stop("worker")
        stack.stop("sandbox")


def scenario_redis_down(stack: Stack) -> tuple[bool, str]:
    import httpx

    from integrations.choices import SyncJobKind, SyncStatus
    from integrations.models import SyncJob, SyncRun

    datto, fs = stack.sandboxes(sites=8, devices_per_site=5, requesters=40)
    try:
        key = stack.api_key()
        base = stack.web("web")
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                           timeout=30)  # fmt: skip
        web = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
        web.get("/accounts/login/")
        login = web.post("/accounts/login/", data={
            "username": "admin", "password": "nexus-demo-admin",
            "csrfmiddlewaretoken": web.cookies["csrftoken"]},
            headers={"Referer": f"{base}/accounts/login/"})  # fmt: skip
        assert login.status_code == 302, login.status_code
        job = SyncJob.objects.get(kind=SyncJobKind.SYNC_FRESHSERVICE)
        # Queued while Redis is up but no worker runs: the message waits in Redis.
        queued = api.post(f"/api/sync-jobs/{job.pk}/run/", json={})
        assert queued.status_code == 202, queued.text
        run_id = queued.json()["id"]

        stack.stop_redis()
        results = {}
        for label, client, method, url, body in (
            ("page /", web, "GET", "/", None),
            ("page /companies/", web, "GET", "/companies/", None),
            ("page /tickets/", web, "GET", "/tickets/", None),
            ("api companies", api, "GET", "/api/companies/", None),
            ("api tickets", api, "GET", "/api/tickets/?search=printer", None),
            ("api create ticket", api, "POST", "/api/tickets/",
             {"title": "Opened while Redis is down", "company_id": 1}),
        ):  # fmt: skip
            if body and "company_id" in body:
                from companies.models import Company

                body["company_id"] = Company.objects.clients().first().pk
            results[label] = client.request(method, url, json=body).status_code
        status = httpx.get(f"{base}/api/status", timeout=30)
        checks = status.json().get("checks", {})
        run_now_down = api.post(
            f"/api/sync-jobs/{SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO).pk}/run/",
            json={},
        ).status_code
        serving = all(200 <= code < 400 for code in results.values())
        broker_down = status.status_code == 503 and not checks["broker"]["ok"]

        stack.start_redis()
        stack.worker("worker")
        done = wait_for(
            lambda: SyncRun.objects.filter(pk=run_id, status__in=[
                SyncStatus.SUCCEEDED, SyncStatus.PARTIAL, SyncStatus.FAILED]).first(),
            90, 0.5, what="queued run to finish",
        )  # fmt: skip
        status_after = httpx.get(f"{base}/api/status", timeout=30).status_code
        ok = (
            serving
            and broker_down
            and run_now_down < 500
            and done.status in (SyncStatus.SUCCEEDED, SyncStatus.PARTIAL)
        )
        detail = (
            f"while down: {results}; /api/status {status.status_code} "
            f"broker ok={checks.get('broker', {}).get('ok')} "
            f"cache ok={checks.get('cache', {}).get('ok')}; Run now while down → "
            f"HTTP {run_now_down}; after restart the run queued before the outage "
            f"→ {done.status}; /api/status {status_after}"
        )
        return ok, detail
    finally:
        stack.stop("worker")
        stack.stop("web")
        datto.__exit__(None, None, None)
        fs.__exit__(None, None, None)


def scenario_worker_kill(stack: Stack) -> tuple[bool, str]:
    from integrations.choices import SyncJobKind, SyncStatus, SyncTrigger
    from integrations.models import SyncJob, SyncRun
    from integrations.services import reap_stale_runs
    from integrations.tasks import run_sync_job_task

    datto, fs = stack.sandboxes()
    try:
        stack.sync(SyncJobKind.SYNC_FRESHSERVICE)
        datto.inject("site_devices", "slow", times=None, delay=0.4)
        stack.worker("worker", concurrency=1)
        job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
        before = set(SyncRun.objects.values_list("pk", flat=True))
        run_sync_job_task.delay(job.pk, trigger=SyncTrigger.MANUAL)
        run = wait_for(
            lambda: SyncRun.objects.exclude(pk__in=before).filter(
                status=SyncStatus.RUNNING, progress_done__gte=2).first(),
            60, what="task running",
        )  # fmt: skip
        main_pid = stack.children["worker"].pid
        pool = subprocess.run(["pgrep", "-P", str(main_pid)], capture_output=True,
                              text=True).stdout.split()  # fmt: skip
        for pid in pool:
            os.kill(int(pid), signal.SIGKILL)

        def deliveries():
            return sum(
                1 for line in stack.log("worker").splitlines()
                if "run_sync_job_task[" in line and "received" in line
            )  # fmt: skip

        received = wait_for(lambda: deliveries() >= 2, 60, 0.5, what="redelivery")
        time.sleep(3)  # let the redelivered task finish
        run.refresh_from_db()
        locked_meanwhile = run.status == SyncStatus.RUNNING
        new_runs = SyncRun.objects.exclude(pk__in=before).count()
        reaped = reap_stale_runs(now=run.heartbeat_at + timedelta(hours=1))
        run.refresh_from_db()
        datto.clear_faults()
        next_run = stack.sync(SyncJobKind.SYNC_DATTO)
        counts = device_counts()
        lost = "WorkerLostError" in stack.log("worker")
        ok = (
            bool(received)
            and locked_meanwhile
            and new_runs == 1
            and run.status == SyncStatus.FAILED
            and next_run.status in (SyncStatus.SUCCEEDED, SyncStatus.PARTIAL)
            and counts["duplicated_uids"] == 0
        )
        return ok, (
            f"killed pool pid(s) {pool} at {run.progress_done}/{run.progress_total}; "
            f"WorkerLostError logged={lost}; message redelivered "
            f"(received ×{deliveries()}); redelivered task "
            f"found the job locked (runs created: {new_runs}); reaper failed {reaped} "
            f"run(s) → run {run.pk} {run.status}; next run {next_run.status} "
            f"(created {next_run.created_count}, updated {next_run.updated_count}); "
            f"{counts}"
        )
    finally:
        stack.stop("worker")
        datto.__exit__(None, None, None)
        fs.__exit__(None, None, None)


def scenario_race(stack: Stack) -> tuple[bool, str]:
    from django_celery_beat.models import IntervalSchedule

    from integrations.choices import SyncJobKind, SyncStatus
    from integrations.models import SyncJob, SyncRun

    datto, fs = stack.sandboxes(sites=10, devices_per_site=10, requesters=60)
    try:
        stack.sync(SyncJobKind.SYNC_FRESHSERVICE)
        datto.inject("site_devices", "slow", times=None, delay=0.15)
        job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)
        every5, _ = IntervalSchedule.objects.get_or_create(every=5, period="seconds")
        SyncJob.objects.filter(pk=job.pk).update(enabled=True)
        task = job.periodic_task
        task.interval, task.crontab, task.enabled = every5, None, True
        task.save()
        before = set(SyncRun.objects.values_list("pk", flat=True))
        for name in ("worker1", "worker2"):
            stack.worker(name, concurrency=2)
        stack.beat("beat1")
        stack.beat("beat2")
        time.sleep(30)
        stack.stop("beat1")
        stack.stop("beat2")
        task.enabled = False
        task.save()
        wait_for(
            lambda: not SyncRun.objects.filter(
                status__in=[SyncStatus.QUEUED, SyncStatus.RUNNING]).exists(),
            60, 0.5, what="runs to finish",
        )  # fmt: skip
        sent = sum(stack.log(b).count("Sending due task integrations: sync_datto")
                   for b in ("beat1", "beat2"))  # fmt: skip
        received = sum(stack.log(w).count("run_sync_job_task") for w in
                       ("worker1", "worker2")) // 2  # fmt: skip
        runs = list(
            SyncRun.objects.exclude(pk__in=before)
            .filter(job=job)
            .order_by("started_at")
        )
        overlaps = sum(
            1 for a, b in itertools.pairwise(runs)
            if a.finished_at and b.started_at and b.started_at < a.finished_at
        )  # fmt: skip
        counts = device_counts()
        statuses = sorted({r.status for r in runs})
        ok = (
            sent > len(runs) >= 1
            and overlaps == 0
            and counts["duplicated_uids"] == 0
            and set(statuses) <= {SyncStatus.SUCCEEDED, SyncStatus.PARTIAL}
        )
        return ok, (
            f"beats sent {sent} due tasks, workers received ~{received}; "
            f"{len(runs)} runs executed ({statuses}), overlapping runs {overlaps}; "
            f"{counts}"
        )
    finally:
        for name in ("beat1", "beat2", "worker1", "worker2"):
            stack.stop(name)
        datto.__exit__(None, None, None)
        fs.__exit__(None, None, None)


SCENARIOS = {
    "pg_kill": scenario_pg_kill,
    "pg_restart": scenario_pg_restart,
    "redis_down": scenario_redis_down,
    "worker_kill": scenario_worker_kill,
    "race": scenario_race,
}


def child_sync(kind: str) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from integrations.choices import SyncTrigger
    from integrations.models import SyncJob
    from integrations.services import run_sync_job

    run = run_sync_job(SyncJob.objects.get(kind=kind), trigger=SyncTrigger.MANUAL)
    print(json.dumps({"status": getattr(run, "status", None)}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument(
        "--pg-down",
        type=float,
        default=0.0,
        help="pg_restart: stop the server this many seconds instead of "
        "pg_ctl restart -m fast",
    )
    parser.add_argument("--child-sync", help=argparse.SUPPRESS)
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument(
        "--resilient-cache",
        action="store_true",
        help="run with bench/faults_settings.py (nexus.cache.ResilientRedisCache)",
    )
    args = parser.parse_args()
    if args.child_sync:
        return child_sync(args.child_sync)

    names = args.only.split(",")
    cluster = None
    if "pg_restart" in names:  # never restart the shared server: bring our own
        cluster = PrivateCluster().start()
        print(f"private PostgreSQL cluster on :{cluster.port} ({cluster.data})",
              flush=True)  # fmt: skip
    stack = Stack(
        cluster.url if cluster else args.pg,
        "faults",
        "faults_settings" if args.resilient_cache else "nexus.settings",
    )
    stack.cluster, stack.pg_down = cluster, args.pg_down
    failures = 0
    try:
        started = time.perf_counter()
        stack.create()
        print(f"stack {stack.name} (redis :{stack.redis_port}) ready in "
              f"{time.perf_counter() - started:.0f}s", flush=True)  # fmt: skip
        for name in names:
            started = time.perf_counter()
            try:
                ok, detail = SCENARIOS[name](stack)
            except Exception:
                ok, detail = False, traceback.format_exc()
            failures += not ok
            print(f"OUTCOME {name}: {'PASS' if ok else 'FAIL'} "
                  f"({time.perf_counter() - started:.0f}s) — {detail}", flush=True)  # fmt: skip
    finally:
        if args.keep_logs:
            keep = Path(tempfile.mkdtemp(prefix="nexus-fault-logs-"))
            for log in stack.var.glob("*.log"):
                shutil.copy(log, keep)
            print(f"logs kept in {keep}")
        try:
            stack.close()
        finally:
            if cluster is not None:
                if args.keep_logs:
                    shutil.copy(cluster.logfile, keep / "postgresql.log")
                cluster.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
