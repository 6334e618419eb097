"""Load bench: 64 concurrent clients for 60 s against gunicorn while a sync runs.

    .venv/bin/python bench/load.py [--clients 64 --duration 60 --workers 3 --threads 8]
                                   [--pg postgres://postgres@127.0.0.1:5432]
                                   [--redis redis://127.0.0.1:6379/13]

Everything on loopback, all of it started and stopped here:
  * a PostgreSQL database of its own (created, migrated, dropped at the end);
  * Redis: the given URL with a db number of its own and a per-run key prefix
    (cache, throttles); nothing else in that Redis is touched;
  * demo data (`load_demo`) plus volume: 300 companies, 3,000 contacts,
    6,000 assets, 3,000 tickets; one staff user + API key per client (so the
    per-user throttle, 6000/min by default, is not what is measured);
  * the sandbox upstreams (child process) and a sync child that runs the
    Freshservice and Datto syncs back to back for the whole load window;
  * gunicorn (gthread) with --workers × --threads.

The load mix (weights): API list 30, detail 20, search 15, HTML pages 10,
writes 15 (create ticket, change its priority, add a comment), and intended
4xx 10 (a ticket without a title → 400, an unknown ticket → 404). Every
response is checked: intended 4xx must be exactly the expected code, anything
else must be 2xx. Reports requests/s, p50/p95/p99 per kind and overall, and
every unexpected status. Exit status 0 iff no unexpected status.
"""

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------
# Child-process helpers (run with Django set up on the bench database)
# ---------------------------------------------------------------------------


def seed(clients: int) -> None:
    """Volume + one API key per client; prints a JSON line with what the load needs."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User
    from accounts.services import create_api_key
    from assets.models import Asset
    from companies.models import Company
    from companies.tests.factories import CompanyFactory
    from contacts.models import Contact
    from tickets.models import Ticket

    rng = random.Random(7)
    companies = [CompanyFactory(name=f"Load Co {i:03d}") for i in range(300)]
    contacts = Contact.objects.bulk_create(
        Contact(name=f"Load Person {i}", email=f"load{i}@example.test")
        for i in range(3000)
    )
    Contact.companies.through.objects.bulk_create(
        Contact.companies.through(contact=c, company=rng.choice(companies))
        for c in contacts
    )
    Asset.objects.bulk_create(
        Asset(company=rng.choice(companies), hostname=f"LOAD-{i:05d}")
        for i in range(6000)
    )
    Ticket.objects.bulk_create(
        Ticket(
            number=f"T-8{i:06d}",
            title=f"Load ticket {i} printer vpn email",
            description="Volume for the load bench.",
            company=rng.choice(companies),
        )
        for i in range(3000)
    )
    admin_group = Group.objects.get(name="Admin")
    keys, sessions = [], []
    for i in range(clients):
        user = User.objects.create(
            username=f"load{i}", email=f"load-user{i}@example.test",
            full_name=f"Load User {i}", is_staff=True,
        )  # fmt: skip
        user.set_unusable_password()
        user.save()
        user.groups.add(admin_group)
        keys.append(create_api_key(user, name="load bench")[1])
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "accounts.backends.EmailOrUsernameBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    out = {
        "keys": keys,
        "sessions": sessions,
        "companies": list(Company.objects.values_list("pk", flat=True)),
        "accounts": list(Company.objects.values_list("account_number", flat=True)),
        "tickets": list(Ticket.objects.values_list("pk", flat=True)[:3000]),
        "assets": list(Asset.objects.values_list("pk", flat=True)[:6000]),
        "contacts": list(Contact.objects.values_list("pk", flat=True)[:3000]),
    }
    print(json.dumps(out), flush=True)


def sync_loop(urls: str, stop_file: str) -> None:
    """Run the Freshservice then the Datto sync until stop_file appears."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from integrations.choices import ConnectionKind, SyncJobKind, SyncTrigger
    from integrations.models import Connection, SyncJob
    from integrations.sandbox.__main__ import (
        DEMO_DATTO_KEY,
        DEMO_DATTO_SECRET,
        DEMO_FRESHSERVICE_KEY,
    )
    from integrations.services import run_sync_job

    up = json.loads(urls)
    datto = Connection.objects.get(kind=ConnectionKind.DATTO)
    datto.base_url, datto.api_key, datto.api_secret = (
        up["datto"],
        DEMO_DATTO_KEY,
        DEMO_DATTO_SECRET,
    )
    datto.rate_limit_per_minute = 0  # the sandbox's throttling is off too
    datto.save()
    fs = Connection.objects.get(kind=ConnectionKind.FRESHSERVICE)
    fs.base_url, fs.api_key = up["freshservice"], DEMO_FRESHSERVICE_KEY
    fs.save()
    runs = Counter()
    while not os.path.exists(stop_file):
        for kind in (SyncJobKind.SYNC_FRESHSERVICE, SyncJobKind.SYNC_DATTO):
            started = time.perf_counter()
            run = run_sync_job(
                SyncJob.objects.get(kind=kind), trigger=SyncTrigger.MANUAL
            )
            status = run.status if run else "locked"
            runs[f"{kind}:{status}"] += 1
            print(
                f"  sync {kind}: {status} in {time.perf_counter() - started:.1f}s "
                f"(created {getattr(run, 'created_count', 0)}, "
                f"updated {getattr(run, 'updated_count', 0)})",
                flush=True,
            )
    print("SYNC " + json.dumps(runs), flush=True)


# ---------------------------------------------------------------------------
# Load generator
# ---------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.unexpected: Counter = Counter()

    def add(self, kind: str, seconds: float, status: int, ok: bool, what: str):
        with self.lock:
            self.latency[kind].append(seconds)
            self.statuses[kind][status] += 1
            if not ok:
                self.unexpected[(kind, what, status)] += 1


def client_loop(index, base, data, deadline, rec: Recorder, seed_value):
    import httpx

    rng = random.Random(seed_value)
    key = data["keys"][index]
    # As behind the TLS-terminating proxy of docs/operations.md.
    proxied = {"X-Forwarded-Proto": "https"}
    api = httpx.Client(
        base_url=base,
        headers={"Authorization": f"Bearer {key}", **proxied},
        timeout=60,
    )
    web = httpx.Client(
        base_url=base,
        headers=proxied,
        cookies={"sessionid": data["sessions"][index]},
        timeout=60,
    )
    mine: list[int] = []
    words = ["printer", "vpn", "email", "Load", "LOAD-01", "Dental", "Co 1"]

    def pick(name):
        return rng.choice(data[name])

    actions = [
        ("list", 30), ("detail", 20), ("search", 15),
        ("page", 10), ("write", 15), ("intended_4xx", 10),
    ]  # fmt: skip
    names = [a for a, _ in actions]
    weights = [w for _, w in actions]
    while time.monotonic() < deadline:
        kind = rng.choices(names, weights)[0]
        expected = None  # None: any 2xx
        client = api
        method, body = "GET", None
        if kind == "list":
            url = (
                rng.choice(
                    [
                        "/api/companies/",
                        "/api/tickets/",
                        "/api/assets/",
                        "/api/contacts/",
                    ]
                )
                + f"?limit=50&offset={rng.randrange(0, 1000, 50)}"
            )
        elif kind == "detail":
            url = rng.choice(
                [
                    f"/api/companies/{pick('accounts')}/",
                    f"/api/tickets/{pick('tickets')}/",
                    f"/api/assets/{pick('assets')}/",
                    f"/api/contacts/{pick('contacts')}/",
                ]
            )
        elif kind == "search":
            url = (
                rng.choice(
                    [
                        "/api/companies/",
                        "/api/tickets/",
                        "/api/assets/",
                        "/api/contacts/",
                    ]
                )
                + f"?search={rng.choice(words)}&limit=25"
            )
        elif kind == "page":
            client = web
            url = rng.choice(
                [
                    "/",
                    "/companies/",
                    f"/companies/{pick('accounts')}/",
                    "/tickets/",
                    "/assets/",
                    "/companies/dashboard/",
                ]
            )
        elif kind == "write":
            op = rng.random()
            if op < 0.45 or not mine:
                method, url = "POST", "/api/tickets/"
                body = {
                    "title": f"Load write {index}-{rng.random():.6f}",
                    "description": "Created by bench/load.py",
                    "company_id": pick("companies"),
                }
            elif op < 0.75:
                method, url = "PATCH", f"/api/tickets/{rng.choice(mine)}/"
                body = {"priority": rng.choice(["low", "normal", "high"])}
            else:
                method, url = "POST", f"/api/tickets/{rng.choice(mine)}/comments/"
                body = {"body": "Load comment"}
        else:
            if rng.random() < 0.5:
                method, url, body, expected = "POST", "/api/tickets/", {}, 400
            else:
                url, expected = "/api/tickets/987654321/", 404
        started = time.perf_counter()
        try:
            response = client.request(method, url, json=body)
            status = response.status_code
        except httpx.HTTPError as exc:
            status = 0
            url = f"{url} ({type(exc).__name__})"
        elapsed = time.perf_counter() - started
        ok = status == expected if expected else 200 <= status < 300
        rec.add(kind, elapsed, status, ok, f"{method} {url.split('?')[0]}")
        if ok and kind == "write" and method == "POST" and url == "/api/tickets/":
            mine.append(response.json()["id"])
    api.close()
    web.close()


def pct(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13")
    )
    parser.add_argument("--seed-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sync-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_child is not None:
        seed(args.seed_child)
        return 0
    if args.sync_child:
        sync_loop(*args.sync_child)
        return 0

    import psycopg

    name = f"nexus_bench_load_{os.getpid()}"
    admin_url = f"{args.pg}/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    var = Path(f"/tmp/{name}")
    var.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"{args.pg}/{name}",
        "REDIS_URL": args.redis,
        "NEXUS_CACHE_PREFIX": name,
        "NEXUS_VAR_DIR": str(var),
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECRET_KEY": os.environ.get(
            "DJANGO_SECRET_KEY", "bench-only-" + "x" * 40
        ),
        "NEXUS_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "nexus.settings",
        "PYTHONPATH": str(ROOT),
    }
    children: list[subprocess.Popen] = []
    stop_file = var / "stop-sync"
    try:
        step = time.perf_counter()
        manage = [sys.executable, "manage.py"]
        subprocess.run(
            [*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
        )
        subprocess.run([*manage, "load_demo"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        # DEBUG off serves hashed static files from the manifest (whitenoise).
        subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], cwd=ROOT,
                       env=env, check=True)  # fmt: skip
        seeded = subprocess.run(
            [sys.executable, __file__, "--seed-child", str(args.clients)],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        data = json.loads(seeded.stdout.strip().splitlines()[-1])
        print(f"database {name} migrated, demo + volume loaded in "
              f"{time.perf_counter() - step:.1f}s", flush=True)  # fmt: skip

        sandbox = subprocess.Popen(
            [sys.executable, "-m", "integrations.sandbox", "--datto-port", "0",
             "--freshservice-port", "0", "--no-throttle", "--sites", "120",
             "--devices-per-site", "25", "--requesters", "1500"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        children.append(sandbox)
        urls = sandbox.stdout.readline().strip()

        port = free_port()
        # 4xx are logged as warnings by django.request: keep them out of the report.
        server_log = open(var / "gunicorn.log", "ab")
        gunicorn = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "nexus.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
             "--worker-class", "gthread", "--threads", str(args.threads),
             "--timeout", "120", "--keep-alive", "75", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        children.append(gunicorn)
        base = f"http://127.0.0.1:{port}"
        import httpx

        for _ in range(120):
            try:
                if httpx.get(f"{base}/api/status", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit("gunicorn did not come up")

        sync = subprocess.Popen(
            [sys.executable, __file__, "--sync-child", urls, str(stop_file)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        children.append(sync)
        print(
            f"gunicorn {args.workers}×{args.threads} on {base}; sync running; "
            f"{args.clients} clients for {args.duration:.0f}s …",
            flush=True,
        )
        rec = Recorder()
        deadline = time.monotonic() + args.duration
        started = time.perf_counter()
        threads = [
            threading.Thread(
                target=client_loop, args=(i, base, data, deadline, rec, 1000 + i)
            )
            for i in range(args.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        stop_file.touch()
        sync_out, _ = sync.communicate(timeout=600)
        print(sync_out.rstrip())

        total = sum(len(v) for v in rec.latency.values())
        everything = [x for v in rec.latency.values() for x in v]
        print(f"\n{'kind':<14}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
              "  statuses")  # fmt: skip
        for kind in sorted(rec.latency):
            values = rec.latency[kind]
            print(
                f"{kind:<14}{len(values):>9}{pct(values, 50) * 1000:>9.0f}"
                f"{pct(values, 95) * 1000:>9.0f}{pct(values, 99) * 1000:>9.0f}  "
                + ", ".join(f"{s}×{n}" for s, n in sorted(rec.statuses[kind].items()))
            )
        print(
            f"{'all':<14}{total:>9}{pct(everything, 50) * 1000:>9.0f}"
            f"{pct(everything, 95) * 1000:>9.0f}{pct(everything, 99) * 1000:>9.0f}"
        )
        print(
            f"\nthroughput {total / wall:.0f} requests/s over {wall:.1f}s with "
            f"{args.clients} clients; mean {statistics.mean(everything) * 1000:.0f} ms"
        )
        load = os.getloadavg()
        print(f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
              f"on {os.cpu_count()} CPUs")  # fmt: skip
        bad = sum(rec.unexpected.values())
        print(f"unexpected statuses: {bad}")
        for (kind, what, status), n in rec.unexpected.most_common(20):
            print(f"  {n:>5} × {status} {kind} {what}")
        return 0 if bad == 0 else 1
    finally:
        stop_file.touch()
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(20)
                except subprocess.TimeoutExpired:
                    child.kill()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        try:
            import redis

            r = redis.Redis.from_url(args.redis)
            for key in r.scan_iter(f"{name}*"):
                r.delete(key)
        except Exception as exc:  # Redis cleanup is best effort
            print(f"redis cleanup: {exc}")


if __name__ == "__main__":
    sys.exit(main())
