"""Scale-out check: two gunicorn web processes and two Celery workers sharing one
PostgreSQL database and one (private) Redis.

    .venv/bin/python bench/scaleout.py [--pg postgres://postgres@127.0.0.1:5432]

Uses bench/faults.py's Stack (own database, private redis-server on a free
port, sandbox upstreams in this process). Checks, each printed as one line:

  sessions  sign in through the login form on web A; the session cookie is
            accepted by web B (sessions live in the database).
  cache     the per-user API throttle (a counter in the shared cache; set to
            40/min for the check) counts requests sent to A and B together.
  locks     "Run now" for the same job sent to A and B at the same moment: one
            202, one 400 "already queued or running"; the run is executed by
            exactly one of the two workers and succeeds.
  uploads   an attachment uploaded through web A is downloaded byte-identical
            through web B (shared MEDIA_ROOT).

Exit status 0 iff every check passed.
"""

import argparse
import os
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from faults import Stack, wait_for


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    )
    args = parser.parse_args()
    stack = Stack(args.pg, "scaleout")
    results: list[tuple[str, bool, str]] = []
    datto = fs = None
    try:
        stack.create()
        import httpx

        from companies.models import Company
        from integrations.choices import SyncJobKind, SyncStatus
        from integrations.models import SyncJob, SyncRun

        datto, fs = stack.sandboxes(sites=8, devices_per_site=5, requesters=40)
        stack.env["NEXUS_THROTTLE_USER"] = "40/min"  # small, to see the shared counter
        a, b = stack.web("webA"), stack.web("webB")
        stack.worker("worker1")
        stack.worker("worker2")
        print(f"web A {a}, web B {b}, two workers, redis :{stack.redis_port}")

        # sessions
        with httpx.Client(timeout=30) as browser:
            browser.get(f"{a}/accounts/login/")
            login = browser.post(
                f"{a}/accounts/login/",
                data={"username": "admin", "password": "nexus-demo-admin",
                      "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
                headers={"Referer": f"{a}/accounts/login/"},
            )  # fmt: skip
            page = browser.get(f"{b}/companies/", follow_redirects=False)
            ok = login.status_code == 302 and page.status_code == 200
            results.append(("sessions", ok, f"login on A → {login.status_code}; "
                            f"/companies/ on B with that cookie → {page.status_code}"))  # fmt: skip

        # cache: the per-user API throttle (40/min here) is a counter in the
        # shared cache, so requests to A and B count together.
        key = stack.api_key()
        codes = []
        with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
            for i in range(60):
                base = a if i % 2 == 0 else b
                codes.append(c.get(f"{base}/api/plans/").status_code)
        first_429 = codes.index(429) + 1 if 429 in codes else None
        ok = first_429 == 41
        results.append(("cache", ok, f"API requests alternating A/B: first 429 at "
                        f"request {first_429} (user limit 40/min counted across both)"))  # fmt: skip
        # A fresh key (another user) for the rest: the throttled one is spent.
        from django.contrib.auth.models import Group

        from accounts.services import create_api_key
        from accounts.tests.factories import UserFactory

        other = UserFactory(username="scaleout-admin", is_staff=True)
        other.groups.add(Group.objects.get(name="Admin"))
        key = create_api_key(other, name="bench")[1]

        # locks: the same job run from A and B at the same moment
        job = SyncJob.objects.get(kind=SyncJobKind.SYNC_FRESHSERVICE)
        barrier, answers = threading.Barrier(2), {}

        def run_now(base):
            with httpx.Client(
                headers={"Authorization": f"Bearer {key}"}, timeout=30
            ) as c:
                barrier.wait()
                answers[base] = c.post(f"{base}/api/sync-jobs/{job.pk}/run/", json={})

        threads = [threading.Thread(target=run_now, args=(x,)) for x in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r.status_code for r in answers.values())
        accepted = next((r for r in answers.values() if r.status_code == 202), None)
        done = None
        if accepted is not None:
            done = wait_for(
                lambda: SyncRun.objects.filter(pk=accepted.json()["id"], status__in=[
                    SyncStatus.SUCCEEDED, SyncStatus.PARTIAL, SyncStatus.FAILED]).first(),
                90, 0.5, what="run",
            )  # fmt: skip
        executed_by = [
            w for w in ("worker1", "worker2")
            if "execute_sync_run_task" in stack.log(w) and "succeeded" in stack.log(w)
        ]  # fmt: skip
        ok = (
            statuses == [202, 400]
            and done is not None
            and done.status == SyncStatus.SUCCEEDED
            and len(executed_by) == 1
        )
        results.append(("locks", ok, f"Run now on A and B together → {statuses}; run "
                        f"{getattr(done, 'status', None)}, executed by {executed_by}"))  # fmt: skip

        # uploads: via A, download via B
        company = Company.objects.clients().first()
        payload = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
        with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
            ticket = c.post(f"{a}/api/tickets/", json={
                "title": "Scale-out upload", "company_id": company.pk})  # fmt: skip
            tid = ticket.json()["id"]
            up = c.post(f"{a}/api/tickets/{tid}/attachments/",
                        files={"file": ("report.pdf", payload, "application/pdf")})  # fmt: skip
            body = up.json()
            att = body[0] if isinstance(body, list) else body
            down = c.get(f"{b}/api/attachments/{att['id']}/download/")
        ok = (
            up.status_code == 201
            and down.status_code == 200
            and down.content == payload
        )
        results.append(("uploads", ok, f"upload on A → {up.status_code}; download on B "
                        f"→ {down.status_code}, identical={down.content == payload}"))  # fmt: skip
    finally:
        for sandbox in (datto, fs):
            if sandbox is not None:
                sandbox.__exit__(None, None, None)
        stack.close()
    for name, ok, detail in results:
        print(f"OUTCOME {name}: {'PASS' if ok else 'FAIL'} — {detail}")
    return 0 if results and all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
