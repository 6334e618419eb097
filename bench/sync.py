"""Sync bench: 500 Datto sites × 40 devices and 5,000 Freshservice requesters.

    .venv/bin/python bench/sync.py [--sites 500 --devices-per-site 40 --requesters 5000]
                                   [--pg postgres://postgres@127.0.0.1:5432]

Creates a PostgreSQL database of its own (dropped at the end), migrates it in a
child process, starts the sandbox upstreams in another child process (throttling
off), then in this process runs: Freshservice sync, first Datto sync, second
Datto sync (no changes), second Freshservice sync. Each line reports wall time
split into time waiting on HTTP and local processing, requests and counts; the
peak RSS is this process's (resource.getrusage), i.e. the worker's share only.
Targets: first Datto sync < 20 s, second < 10 s, RSS < 300 MB.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=500)
    parser.add_argument("--devices-per-site", type=int, default=40)
    parser.add_argument("--requesters", type=int, default=5000)
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--profile", action="store_true", help="cProfile each sync")
    args = parser.parse_args()

    import psycopg

    name = f"nexus_bench_sync_{os.getpid()}"
    admin_url = f"{args.pg}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.pg}/{name}",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get(
            "DJANGO_SECRET_KEY", "bench-only-" + "x" * 40
        ),
        "NEXUS_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "nexus.settings",
        "PYTHONPATH": str(ROOT),
    }
    sandbox = None
    try:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        print(f"migrated {name} in {time.perf_counter() - started:.1f}s", flush=True)
        started = time.perf_counter()
        sandbox = subprocess.Popen(
            [sys.executable, "-m", "integrations.sandbox", "--datto-port", "0",
             "--freshservice-port", "0", "--no-throttle", "--sites", str(args.sites),
             "--devices-per-site", str(args.devices_per_site),
             "--requesters", str(args.requesters)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        urls = json.loads(sandbox.stdout.readline())
        print(f"sandbox up in {time.perf_counter() - started:.1f}s: {urls}", flush=True)
        os.environ.update(env)
        return run_bench(urls, profile=args.profile)
    finally:
        if sandbox is not None:
            sandbox.terminate()
            sandbox.wait(10)
        if not args.keep:
            from django.db import connections

            try:
                connections.close_all()
            except Exception:  # Django may not be set up if migrate failed
                pass
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_bench(urls: dict, *, profile: bool = False) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    from assets.models import Asset
    from contacts.models import Contact
    from integrations.choices import ConnectionKind, SyncJobKind, SyncTrigger
    from integrations.models import Connection, SyncJob
    from integrations.sandbox.__main__ import (
        DEMO_DATTO_KEY,
        DEMO_DATTO_SECRET,
        DEMO_FRESHSERVICE_KEY,
    )
    from integrations.services import run_sync_job

    datto = Connection.objects.get(kind=ConnectionKind.DATTO)
    datto.base_url, datto.api_key, datto.api_secret = (
        urls["datto"],
        DEMO_DATTO_KEY,
        DEMO_DATTO_SECRET,
    )
    datto.rate_limit_per_minute = 0  # the sandbox's throttling is off too
    datto.save()
    fs = Connection.objects.get(kind=ConnectionKind.FRESHSERVICE)
    fs.base_url, fs.api_key = urls["freshservice"], DEMO_FRESHSERVICE_KEY
    fs.save()

    def run(kind, label):
        job = SyncJob.objects.get(kind=kind)
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        result = run_sync_job(job, trigger=SyncTrigger.MANUAL)
        wall = time.perf_counter() - started
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        stats = result.stats
        client = next(v for k, v in stats.items() if isinstance(v, dict))
        upstream = stats.get("upstream_seconds", 0.0)
        print(
            f"{label:<34} {result.status:<9} wall {wall:6.2f}s = HTTP {upstream:5.2f}s "
            f"+ local {wall - upstream:5.2f}s | {client['requests']:5d} requests | "
            f"created {result.created_count} updated {result.updated_count} "
            f"unchanged {result.unchanged_count} retired {result.retired_count} "
            f"skipped {result.skipped_count} failed {result.failed_count}",
            flush=True,
        )
        return wall

    run(SyncJobKind.SYNC_FRESHSERVICE, "Freshservice sync (first)")
    first = run(SyncJobKind.SYNC_DATTO, "Datto sync (first, full)")
    second = run(SyncJobKind.SYNC_DATTO, "Datto sync (second, no changes)")
    run(SyncJobKind.SYNC_FRESHSERVICE, "Freshservice sync (second)")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()
    print(
        f"machine load average (1/5/15 min): {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
        f" on {os.cpu_count()} CPUs"
    )
    print(
        f"assets {Asset.objects.count()}, contacts {Contact.objects.count()}; "
        f"peak RSS of this process {rss_mb:.0f} MB"
    )
    ok = first < 20 and second < 10 and rss_mb < 300
    print(
        "targets (first < 20 s, second < 10 s, RSS < 300 MB): "
        + ("met" if ok else "NOT met")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
