"""Backup and restore drill: dump, wipe, restore, compare every table.

    .venv/bin/python bench/backup_restore.py [--pg postgres://postgres@127.0.0.1:5432]
                                             [--database NAME --keep]

Without --database it creates a database of its own, migrates it and loads
the demo data (`load_demo`), so the drill has real rows in every app; with
--database it drills an existing database (which it then wipes and restores:
use a copy). Steps, as docs/operations.md prescribes for production:

  1. count the rows of every table in the public schema (and a checksum of
     each table's content: md5 of its rows in primary-key order);
  2. `pg_dump --format=custom` to a file;
  3. wipe: DROP DATABASE … WITH (FORCE), CREATE DATABASE (empty);
  4. `pg_restore --no-owner --exit-on-error` into it;
  5. count and checksum again, and compare table by table; the sequences'
     next values are compared too (a restore that resets a sequence would
     hand out duplicate ids / ticket numbers).

Exit status 0 iff every table, count, checksum and sequence is equal.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def snapshot(url: str) -> tuple[dict, dict]:
    import psycopg

    tables: dict[str, tuple[int, str]] = {}
    sequences: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "ORDER BY tablename"
            )
        ]
        for name in names:
            count = conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            digest = conn.execute(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                f'FROM "{name}" t'
            ).fetchone()[0]
            tables[name] = (count, digest)
        for (seq,) in conn.execute(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
        ).fetchall():
            row = conn.execute(f'SELECT last_value, is_called FROM "{seq}"').fetchone()
            sequences[seq] = row[0] + (1 if row[1] else 0)
    return tables, sequences


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--database", help="drill this existing database instead")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()

    import psycopg

    own = args.database is None
    name = args.database or f"nexus_bench_backup_{os.getpid()}"
    admin_url, url = f"{args.pg}/postgres", f"{args.pg}/{name}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "1",
        "NEXUS_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "nexus.settings",
        "NEXUS_VAR_DIR": tempfile.mkdtemp(prefix="nexus-backup-"),
    }
    env.pop("REDIS_URL", None)
    if own:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        if own:
            started = time.perf_counter()
            manage = [sys.executable, "manage.py"]
            subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT,
                           env=env, check=True)  # fmt: skip
            subprocess.run([*manage, "load_demo"], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            print(
                f"{name}: migrated + demo data in {time.perf_counter() - started:.1f}s"
            )
        before, seq_before = snapshot(url)
        rows = sum(c for c, _ in before.values())
        print(f"before: {len(before)} tables, {rows} rows, {len(seq_before)} sequences")

        with tempfile.TemporaryDirectory() as tmp:
            dump = Path(tmp) / f"{name}.dump"
            started = time.perf_counter()
            subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", url],
                check=True,
            )
            print(f"pg_dump: {dump.stat().st_size / 1024:.0f} KiB in "
                  f"{time.perf_counter() - started:.1f}s")  # fmt: skip

            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
            wiped, _ = snapshot(url)
            print(f"wiped: {len(wiped)} tables")

            started = time.perf_counter()
            subprocess.run(
                ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={url}",
                 str(dump)],
                check=True,
            )  # fmt: skip
            print(f"pg_restore in {time.perf_counter() - started:.1f}s")

        after, seq_after = snapshot(url)
        problems = []
        for table in sorted(set(before) | set(after)):
            if before.get(table) != after.get(table):
                problems.append(
                    f"table {table}: {before.get(table)} → {after.get(table)}"
                )
        for seq in sorted(set(seq_before) | set(seq_after)):
            if seq_before.get(seq) != seq_after.get(seq):
                problems.append(
                    f"sequence {seq}: {seq_before.get(seq)} → {seq_after.get(seq)}"
                )
        rows_after = sum(c for c, _ in after.values())
        print(
            f"after:  {len(after)} tables, {rows_after} rows, {len(seq_after)} sequences"
        )
        for line in problems:
            print("  DIFF " + line)
        nonempty = sum(1 for c, _ in before.values() if c)
        print(
            "restore drill: "
            + ("OK" if not problems else f"{len(problems)} differences")
            + f" ({nonempty} non-empty tables compared by count and md5)"
        )
        return 0 if not problems else 1
    finally:
        if own and not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
