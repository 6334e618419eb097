"""CPU per API request, in process, on the bench database (issue 3's targets).

    .venv/bin/python bench/profile_api.py [-n 300] [--only detail] [--profile]

wrk figures move with whatever else runs on the machine; CPU time per request
does not, so this is what to optimise. It needs the database that
`bench/api_lists.py --keep` seeded (`nexus_bench`) and runs with the production
settings (DJANGO_DEBUG=0, Redis cache when reachable, persistent connections).

Each request goes through the real WSGI handler (`nexus.wsgi.application`, the
whole middleware stack, API-key auth, throttles, rendering), as gunicorn calls
it. For every scenario it prints, per request:

* **app CPU ms**: `time.process_time()` of this process (Django, DRF, drivers);
* **PG CPU ms**: CPU of this connection's PostgreSQL backend (from /proc);
* **queries** and **DB wall ms** (round trips, measured around each execute);
* bytes of the response.

Each scenario runs `--rounds` times (default 3) and the least disturbed round
(lowest app + PG CPU) is shown: other work on the machine only ever adds.

`--profile` adds a cProfile top list (by own time and cumulative) per scenario.
Environment: BENCH_PG, BENCH_REDIS as for bench/api_lists.py.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_lists import ASSETS, base_env  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="requests per scenario")
    parser.add_argument("--only", help="run only scenarios whose label contains this")
    parser.add_argument("--profile", action="store_true", help="cProfile top list")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds per scenario; the best counts"
    )
    return parser.parse_args()


def setup() -> None:
    env = base_env(str(ROOT / "var" / "bench-profile"))
    os.environ.update(env)
    import django

    django.setup()


def backend_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


class QueryTimer:
    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def make_environ(path: str, key: str) -> dict:
    from urllib.parse import urlsplit

    parts = urlsplit(path)
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_X_API_KEY": key,
        "HTTP_USER_AGENT": "wrk",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def call(application, path: str, key: str) -> tuple[str, int]:
    status = []

    def start_response(code, headers, exc_info=None):
        status.append(code)

    result = application(make_environ(path, key), start_response)
    try:
        size = sum(len(chunk) for chunk in result)
    finally:
        close = getattr(result, "close", None)
        if close:
            close()
    return status[0], size


def main() -> None:
    args = parse_args()
    setup()
    from django.db import connection

    from bench.api_lists import new_key
    from nexus.wsgi import application

    key, asset_id = new_key()
    connection.close()  # the handler opens its own (persistent) connection
    warm = call(application, "/api/assets?limit=50&offset=89950", key)
    assert warm[0].startswith("200"), warm
    # A cursor near row 90,000, as bench/api_lists.py uses.
    from urllib.parse import urlsplit

    from django.test import Client

    body = Client().get(
        "/api/assets?limit=50&offset=89950",
        HTTP_X_API_KEY=key,
        SERVER_NAME="127.0.0.1",
    )
    cursor = urlsplit(body.json()["next_cursor"])
    cursor_path = f"{cursor.path}?{cursor.query}"

    scenarios = [
        ("list limit=50", "/api/assets?limit=50"),
        ("list limit=1000", "/api/assets?limit=1000"),
        ("list limit=50 offset=90000", "/api/assets?limit=50&offset=90000"),
        (
            "filtered (status, online, OS)",
            "/api/assets?limit=50&status=in_use&online=true"
            "&operating_system=windows%2011",
        ),
        ("searched (search=HOST-0042)", "/api/assets?limit=50&search=HOST-0042"),
        ("detail", f"/api/assets/{asset_id}"),
        ("cursor page near row 90000", cursor_path),
        ("companies limit=50", "/api/companies?limit=50"),
        ("contacts limit=50", "/api/contacts?limit=50"),
    ]
    if args.only:
        scenarios = [s for s in scenarios if args.only in s[0]]
    timer = QueryTimer()
    print(
        f"{ASSETS:,} assets; {args.n} requests per scenario after 20 warm-up; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'scenario':<32}{'app CPU ms':>11}{'PG CPU ms':>10}{'total':>8}"
        f"{'queries':>8}{'DB wall ms':>11}{'bytes':>9}{'status':>7}"
    )
    for label, path in scenarios:
        n = max(1, args.n // 10) if "1000" in label else args.n
        for _ in range(20):
            status, size = call(application, path, key)
        backend = connection.connection.info.backend_pid if connection.connection else 0
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        best = None
        for _round in range(args.rounds):  # the least disturbed round counts
            timer.count, timer.seconds = 0, 0.0
            pg_before = backend_cpu(backend)
            cpu_before = time.process_time()
            with connection.execute_wrapper(timer):
                if profiler:
                    profiler.enable()
                for _ in range(n):
                    status, size = call(application, path, key)
                if profiler:
                    profiler.disable()
            app = 1000 * (time.process_time() - cpu_before) / n
            pg = 1000 * (backend_cpu(backend) - pg_before) / n
            figures = (app + pg, app, pg, timer.count / n, 1000 * timer.seconds / n)
            best = figures if best is None or figures < best else best
        total, app, pg, queries, db_wall = best
        print(
            f"{label:<32}{app:>11.2f}{pg:>10.2f}{total:>8.2f}"
            f"{queries:>8.1f}{db_wall:>11.2f}"
            f"{size:>9}{status.split()[0]:>7}",
            flush=True,
        )
        if profiler:
            for order in ("tottime", "cumulative"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(
                    args.top
                )
                text = out.getvalue()
                print(text[text.find("   ncalls") :])


if __name__ == "__main__":
    main()
