"""Benchmark host-list generation and next-free claims on a /16 (issue 9).

    .venv/bin/python bench/networks.py [--hosts 20000] [--pg]

Creates a database of its own (a temporary SQLite file, or with --pg the
PostgreSQL database `nexus_bench_networks` on BENCH_PG, default
postgres://postgres@127.0.0.1:5432, dropped at the end), migrates it, makes one
/16 network with --hosts assigned addresses from the start of the range, and
prints how long these take:
- a 1000-address page of the host list at the start, middle and end;
- the summary (counts, utilisation, next free — the worst case here, as the
  first --hosts addresses are taken);
- the whole host list as CSV (65,534 rows);
- 200 claims of the next free address from 20 threads.
Nothing here is run by the test suite.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "nexus_bench_networks"


def timed(label: str, fn, repeat: int = 1):
    best = float("inf")
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<48} {best * 1000:9.1f} ms")
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=20_000)
    parser.add_argument("--pg", action="store_true")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="nexus-bench-net-")
    base = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    if args.pg:
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
            conn.execute(f"CREATE DATABASE {DB_NAME}")
        os.environ["DATABASE_URL"] = f"{base}/{DB_NAME}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ["NEXUS_VAR_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from assets.network_models import Host, Network, ip_key
    from assets.networks import (
        claim_next_free,
        iter_host_list,
        iter_host_list_csv,
        network_summary,
        save_network,
    )
    from companies.models import Company

    try:
        company = Company.objects.create(name="Bench", account_number=999001)
        network = save_network(
            Network(company=company, name="big", cidr="10.50.0.0/16")
        )
        first, _last = network.usable_bounds()
        hosts = []
        for value in range(first, first + args.hosts):
            address = network.address(value)
            hosts.append(Host(network=network, ip=str(address), ip_key=ip_key(address)))
        timed(
            f"bulk insert {args.hosts} hosts",
            lambda: Host.objects.bulk_create(hosts, batch_size=5000),
        )
        print(
            f"database: {connection.vendor}; usable addresses: {network.usable_count}"
        )
        for label, offset in (("start", 0), ("middle", 32_000), ("end", 64_534)):
            timed(
                f"host-list page of 1000 ({label})",
                lambda offset=offset: list(
                    iter_host_list(network, offset=offset, limit=1000)
                ),
                repeat=5,
            )
        summary = timed(
            "summary (next free after the taken block)",
            lambda: network_summary(network),
            repeat=3,
        )
        print(f"  -> {summary}")
        timed(
            "whole host list as CSV",
            lambda: sum(len(line) for line in iter_host_list_csv(network)),
        )

        claimed, errors = [], []

        def worker():
            try:
                for _ in range(10):
                    claimed.append(claim_next_free(network).ip)
            except Exception as exc:  # report, do not hide
                errors.append(repr(exc))
            finally:
                connection.close()

        def race():
            threads = [threading.Thread(target=worker) for _ in range(20)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        timed("200 claims from 20 threads", race)
        print(
            f"  -> {len(claimed)} claimed, {len(set(claimed))} distinct, errors: {errors[:3]}"
        )
    finally:
        connection.close()
        if args.pg:
            import psycopg

            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
