"""Benchmark the asset API lists (issue 3's targets) on PostgreSQL + gunicorn.

    .venv/bin/python bench/api_lists.py [--duration 20] [--keep] [--reuse]
                                        [--worker-class sync|gthread]

What it does:
1. creates a PostgreSQL database of its own (`nexus_bench`, dropped at the end
   unless --keep), migrates it and seeds 10,000 companies, 50,000 contacts (each
   linked to one company) and 100,000 assets with bulk inserts, then VACUUM ANALYZE;
2. creates a Technician with an API key (a real role: permissions are checked);
3. starts gunicorn with 2 sync workers on a free loopback port, DJANGO_DEBUG=0,
   with the production flags of docs/operations.md (access log to a file,
   timeouts; --max-requests 2000 recycling only when asked: at bench rates it
   restarts a worker every ~20 s);
4. drives each scenario with wrk (2 threads, 16 connections, loopback) after a 2 s
   warm-up — or, without wrk, with an equivalent Python load generator (16
   keep-alive connections on threads) — and prints requests/s and p50/p99.

Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432), BENCH_REDIS
(default redis://127.0.0.1:6379/15; the cache the workers share, as in production;
set it empty to use the file cache). Nothing here is run by the test suite.
"""

import argparse
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "nexus_bench"
COMPANIES, CONTACTS, ASSETS = 10_000, 50_000, 100_000
BATCH = 5_000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--worker-class",
        default="sync",
        help="gunicorn worker class (issue 3's targets: sync; production: gthread)",
    )
    parser.add_argument("--threads-per-worker", type=int, default=8)
    parser.add_argument(
        "--max-requests",
        type=int,
        default=0,
        help="gunicorn worker recycling (production: 2000). Off by default: at "
        "bench rates a worker restarts every ~20 s and the run measures Django's "
        "boot (seconds-long stalls) instead of the API",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse a kept, seeded database (and keep it)",
    )
    args = parser.parse_args()
    args.keep = args.keep or args.reuse
    return args


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_url() -> str:
    url = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/15")
    if not url:
        return ""
    host, port = re.match(r"redis://([^:/]+):?(\d*)", url).groups()
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=1):
            return url
    except OSError:
        return ""


def base_env(var_dir: str) -> dict:
    pg = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "nexus.settings",
        "DATABASE_URL": f"{pg}/{DB_NAME}",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "NEXUS_FIELD_ENCRYPTION_KEYS": "ZmFrZS1iZW5jaC1rZXktMDEyMzQ1Njc4OWFiY2RlZmc=",
        "NEXUS_THROTTLE_USER": "100000000/min",
        # Production keeps database connections open between requests.
        "DJANGO_CONN_MAX_AGE": "600",
        "NEXUS_LOG_LEVEL": "WARNING",
        "NEXUS_VAR_DIR": var_dir,
        "NEXUS_CACHE_PREFIX": f"bench{os.getpid()}",
        "PYTHONPATH": str(ROOT),
    }
    url = redis_url()
    if url:
        env["REDIS_URL"] = url
    else:
        env.pop("REDIS_URL", None)
    return env


def admin_sql(sql: str) -> None:
    import psycopg

    pg = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def seed() -> tuple[str, int]:
    """Runs inside a child process with the bench env: fills the database."""
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.choices import Role
    from accounts.services import create_api_key
    from accounts.tests.factories import UserFactory
    from assets.models import Asset
    from companies.models import Company
    from contacts.models import Contact

    rng = random.Random(42)
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        Company.objects.bulk_create(
            (
                Company(name=f"Company {n:05d}", account_number=100000 + n)
                for n in range(COMPANIES)
            ),
            batch_size=BATCH,
        )
        company_ids = list(Company.objects.values_list("id", flat=True))
        Contact.objects.bulk_create(
            (
                Contact(
                    name=f"Contact {n:05d}",
                    email=f"contact{n}@example.test",
                    title=rng.choice(["CEO", "IT manager", "Accountant", ""]),
                    work_phone=f"+30 210 {n:07d}",
                    active=n % 10 != 0,
                )
                for n in range(CONTACTS)
            ),
            batch_size=BATCH,
        )
        contact_ids = list(Contact.objects.values_list("id", flat=True))
        link = Contact.companies.through
        link.objects.bulk_create(
            (
                link(contact_id=cid, company_id=company_ids[i % COMPANIES])
                for i, cid in enumerate(contact_ids)
            ),
            batch_size=BATCH,
        )
        systems = [
            "Microsoft Windows 11 Pro",
            "Microsoft Windows 10 Pro",
            "Windows Server 2022 Standard",
            "Ubuntu 24.04 LTS",
            "macOS 15",
        ]
        Asset.objects.bulk_create(
            (
                Asset(
                    company_id=company_ids[n % COMPANIES],
                    hostname=f"HOST-{rng.randrange(1_000_000):06d}",
                    name=f"Workstation {n}",
                    serial_number=f"SN{n:08d}",
                    manufacturer=rng.choice(["Dell", "HP", "Lenovo"]),
                    model="OptiPlex 7090",
                    hardware_type=rng.choice(["Desktop", "Laptop", "Server"]),
                    device_type=rng.choice(["", "VM"]),
                    operating_system=rng.choice(systems),
                    last_logged_in_user=f"DOMAIN\\user{n % 500}",
                    antivirus_product="Datto AV",
                    antivirus_status="RunningAndUpToDate",
                    patch_status="FullyPatched",
                    int_ip_address=f"10.{n % 250}.{n % 200}.{n % 100}",
                    ext_ip_address="203.0.113.10",
                    domain="corp.example",
                    site_name=f"Site {n % COMPANIES}",
                    last_seen=now - timedelta(minutes=rng.randrange(60 * 24 * 60)),
                    last_reboot=now - timedelta(days=rng.randrange(30)),
                    last_audit=now - timedelta(days=rng.randrange(7)),
                    online=rng.random() < 0.6,
                    backup_usage_tb=rng.choice([None, "0.25", "1.50"]),
                    warranty_expires=(
                        now + timedelta(days=rng.randrange(-365, 1500))
                    ).date(),
                    status=rng.choice(["in_use"] * 8 + ["in_stock", "in_repair"]),
                    rmm_device_uid=f"dev-{n:08d}",
                    udfs={"udf4": "Administrator", "udf6": "274877906944"},
                )
                for n in range(ASSETS)
            ),
            batch_size=BATCH,
        )
        user = UserFactory(username="bench-tech")
        user.groups.set(Group.objects.filter(name=Role.TECHNICIAN))
        _key, plain = create_api_key(user, name="bench")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    asset_id = Asset.objects.order_by("id").values_list("id", flat=True)[ASSETS // 2]
    print(f"seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return plain, asset_id


def new_key() -> tuple[str, int]:
    import django

    django.setup()
    from accounts.models import User
    from accounts.services import create_api_key
    from assets.models import Asset

    _key, plain = create_api_key(User.objects.get(username="bench-tech"), name="b")
    asset_id = Asset.objects.order_by("id").values_list("id", flat=True)[ASSETS // 2]
    return plain, asset_id


def run_child(env: dict, function: str) -> tuple[str, int]:
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import bench.api_lists as b; "
        f"key, pk = b.{function}(); print(key); print(pk)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    sys.stderr.write(out.stderr[-2000:])
    key, pk = out.stdout.strip().splitlines()[-2:]
    return key, int(pk)


def wait_until_up(url: str, headers: dict, proc) -> None:
    import httpx

    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited; see its output above")
        try:
            if httpx.get(url, headers=headers, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not answer in 60 s")


def _generator_cpu() -> float:
    """CPU seconds of finished child processes (wrk) and of this process (the
    Python load generator runs on threads here)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    me = resource.getrusage(resource.RUSAGE_SELF)
    return children.ru_utime + children.ru_stime + me.ru_utime + me.ru_stime


def run_wrk(url, key, seconds, threads, connections) -> dict:
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "60s",
            "-H",
            f"X-API-Key: {key}",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def latency(pct):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": latency(50),
        "p99": latency(99),
        "errors": int(errors.group(1)) if errors else 0,
    }


def run_python(url, key, seconds, threads, connections) -> dict:
    """A bounded stand-in for wrk: `connections` keep-alive clients on threads."""
    import httpx

    stop = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client():
        mine = []
        with httpx.Client(headers={"X-API-Key": key}, timeout=30) as http:
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                response = http.get(url)
                mine.append((time.perf_counter() - t0) * 1000)
                if response.status_code != 200:
                    with lock:
                        errors[0] += 1
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    pool = [threading.Thread(target=client) for _ in range(connections)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "errors": errors[0],
    }


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def server_cpu(master: int) -> dict[int, float]:
    """CPU seconds used so far by gunicorn and this database's backends, by pid
    (compare per pid: a backend that goes away must not count as negative)."""
    import psycopg

    pg = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        backends = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (DB_NAME,)
            )
        ]
    pids = [master, *_children(master), *backends]
    return {pid: _cpu_seconds(pid) for pid in pids}


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(max(0.0, used - before.get(pid, 0.0)) for pid, used in after.items())


def cursor_near(base: str, key: str, offset: int) -> str:
    """A keyset cursor for the page at about `offset` (for the cursor scenario)."""
    import httpx

    body = httpx.get(
        f"{base}/api/assets?limit=50&offset={offset - 50}",
        headers={"X-API-Key": key},
        timeout=30,
    ).json()
    return body["next_cursor"]


def main() -> None:
    args = parse_args()
    var_dir = tempfile.mkdtemp(prefix="nexus-bench-")
    env = base_env(var_dir)
    if not args.reuse:
        admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME}")
        admin_sql(f"CREATE DATABASE {DB_NAME}")
        print("migrating…", file=sys.stderr)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        print("seeding…", file=sys.stderr)
        key, asset_id = run_child(env, "seed")
    else:
        key, asset_id = run_child(env, "new_key")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent))
    # The production flags of docs/operations.md (timeouts, an access log written
    # to a file, proxy addresses; worker recycling with --max-requests), with the
    # worker count and class of issue 3's targets (2 sync workers).
    command = [
        gunicorn or "gunicorn",
        "nexus.wsgi:application",
        "--workers",
        str(args.workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        args.worker_class,
        "--timeout",
        "120",
        "--graceful-timeout",
        "30",
        "--max-requests",
        str(args.max_requests),
        "--max-requests-jitter",
        str(args.max_requests // 10),
        "--access-logfile",
        str(Path(var_dir) / "access.log"),
        "--forwarded-allow-ips",
        "127.0.0.1",
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
    ]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads_per_worker)]
    proc = subprocess.Popen(command, env=env, cwd=ROOT)
    use_wrk = shutil.which("wrk") is not None
    runner = run_wrk if use_wrk else run_python
    try:
        wait_until_up(f"{base}/api/assets?limit=1", {"X-API-Key": key}, proc)
        cursor = cursor_near(base, key, 90_000)
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
            ("cursor page near row 90000", cursor.replace(base, "")),
        ]
        tool = "wrk" if use_wrk else "python load generator"
        print(
            f"\n{ASSETS:,} assets, {COMPANIES:,} companies, {CONTACTS:,} contacts; "
            f"gunicorn {args.workers} {args.worker_class} workers; {tool} {args.threads} threads, "
            f"{args.connections} connections, {args.duration} s per scenario "
            f"(after a 2 s warm-up); cache: {'redis' if 'REDIS_URL' in env else 'file'}"
        )
        print(
            "CPU ms/req = CPU used by gunicorn, its PostgreSQL backends and the load "
            "generator per request; 'idle 2-core req/s' = 2000 / that, what the\n"
            "same work gives when nothing else runs on the two cores (the load "
            "average shows how busy the machine was)."
        )
        print(
            f"{'scenario':<32}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'err':>5}"
            f"{'CPU ms/req':>12}{'idle 2-core req/s':>19}{'load':>7}"
        )
        figures = {}
        for label, path in scenarios:
            url = base + path
            runner(url, key, 2, args.threads, args.connections)
            load = os.getloadavg()[0]
            before = server_cpu(proc.pid)
            gen_before = _generator_cpu()
            result = runner(url, key, args.duration, args.threads, args.connections)
            used = cpu_delta(before, server_cpu(proc.pid))
            used += _generator_cpu() - gen_before
            total = result["rps"] * args.duration
            per_request = 1000 * used / total if total else float("nan")
            result["cpu_ms"] = per_request
            figures[label] = result
            print(
                f"{label:<32}{result['rps']:>9.1f}{result['p50']:>9.2f}"
                f"{result['p99']:>9.2f}{result['errors']:>5}{per_request:>12.2f}"
                f"{2000 / per_request:>19.0f}{load:>7.1f}",
                flush=True,
            )
        first = figures["list limit=50"]
        deep = figures["list limit=50 offset=90000"]
        rps_change = 100 * (first["rps"] - deep["rps"]) / first["rps"]
        cpu_change = 100 * (deep["cpu_ms"] - first["cpu_ms"]) / first["cpu_ms"]
        print(
            f"\ndeep offset (offset=90000) vs first page: "
            f"{abs(rps_change):.1f} % {'fewer' if rps_change > 0 else 'more'} req/s, "
            f"{abs(cpu_change):.1f} % {'more' if cpu_change > 0 else 'less'} CPU "
            "per request (target: at most 20 % slower)"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(var_dir, ignore_errors=True)
        if not args.keep:
            admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


if __name__ == "__main__":
    main()
