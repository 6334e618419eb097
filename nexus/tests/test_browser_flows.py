"""End-to-end flows in headless Chromium against the live server.

Staff sign in through the real login form and walk dashboard → company → asset;
staff open a ticket and answer it with an uploaded PNG; a portal user opens a
ticket and is refused another company's pages; "Run now" on a sync job shows
the progress bar reach the finished state by htmx polling while a worker
thread runs the job against the in-process sandbox upstreams.

A failing test leaves a full-page screenshot and the page's HTML under
``var/test-artifacts/`` (kept by CI as artefacts). The shop-floor scan flow
lives in ``manufacturing/tests/test_browser.py``.
"""

import os
import re
import threading
import time
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection

from accounts.choices import Role
from assets.tests.factories import AssetFactory
from companies.tests.factories import CompanyFactory
from tickets.tests.factories import TicketFactory

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts"
PASSWORD = "pass-word-123"
# A valid 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# made under it are ordinary synchronous calls (see manufacturing's browser test).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]


@pytest.fixture(autouse=True)
def failure_artifacts(request, page):
    """Screenshot + HTML of the page when the test body failed."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", request.node.nodeid)[-150:]
    try:
        page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
        (ARTIFACTS / f"{stem}.html").write_text(page.content(), encoding="utf-8")
    except Exception as exc:  # the page may have crashed; keep the test's own error
        (ARTIFACTS / f"{stem}.error.txt").write_text(repr(exc), encoding="utf-8")


def sign_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/).*$"))


@pytest.mark.django_db(transaction=True)
def test_staff_login_dashboard_company_asset(live_server, page, make_user):
    from playwright.sync_api import expect

    user = make_user(Role.TECHNICIAN, Role.MANAGER, username="flow-tech")
    company = CompanyFactory(name="Parthenon Logistics")
    asset = AssetFactory(company=company, hostname="PL-WS-0042")
    AssetFactory(hostname="OTHER-HOST")  # another company's asset stays off its tab

    sign_in(page, live_server.url, user.username)
    expect(page.locator("body")).to_contain_text(user.full_name or user.username)

    page.goto(f"{live_server.url}/companies/dashboard/")
    expect(page.locator("main, body").first).to_be_visible()
    assert page.title()

    page.goto(f"{live_server.url}/companies/")
    page.get_by_role("link", name="Parthenon Logistics").click()
    page.wait_for_url(re.compile(rf"/companies/{company.account_number}/"))
    expect(page.locator("h1")).to_contain_text("Parthenon Logistics")

    page.locator(".tabs a[href='?tab=assets']").click()
    page.wait_for_url(re.compile(r"tab=assets"))
    expect(page.locator("body")).not_to_contain_text("OTHER-HOST")
    page.get_by_role("link", name="PL-WS-0042").click()
    page.wait_for_url(re.compile(rf"/assets/{asset.pk}/"))
    expect(page.locator("h1")).to_contain_text("PL-WS-0042")


@pytest.mark.django_db(transaction=True)
def test_staff_create_ticket_and_answer_with_attachment(
    live_server, page, make_user, tmp_path
):
    from playwright.sync_api import expect

    from tickets.models import Attachment, Ticket

    user = make_user(Role.TECHNICIAN, username="flow-helpdesk")
    company = CompanyFactory(name="Delphi Dental")
    sign_in(page, live_server.url, user.username)

    page.goto(f"{live_server.url}/tickets/new/")
    page.fill("input[name=title]", "Printer offline on floor 2")
    page.fill("textarea[name=description]", "The HP on floor 2 shows *offline*.")
    page.select_option("select[name=company]", str(company.pk))
    page.get_by_role("button", name="Open ticket").click()
    page.wait_for_url(re.compile(r"/tickets/T-\d+/"))
    ticket = Ticket.objects.get(title="Printer offline on floor 2")
    assert ticket.company_id == company.pk
    expect(page.locator("body")).to_contain_text(ticket.number)

    shot = tmp_path / "screen.png"
    shot.write_bytes(PNG)
    form = page.locator("#conversation form, form[action$='/reply/']").first
    form.locator("textarea[name=body]").fill("Power-cycled it; see the screenshot.")
    form.locator("input[type=file][name=files]").set_input_files(str(shot))
    form.get_by_role("button", name="Send").click()

    expect(page.locator(".timeline")).to_contain_text("Power-cycled it")
    link = page.locator(".timeline a.pill", has_text="screen.png")
    expect(link).to_be_visible()
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.original_name == "screen.png"
    # The authorising download view hands back exactly the uploaded bytes.
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200 and response.body() == PNG
    assert "attachment" in response.headers.get("content-disposition", "")


@pytest.mark.django_db(transaction=True)
def test_portal_user_submits_ticket_and_is_refused_other_company(
    live_server, page, portal_user_for
):
    from playwright.sync_api import expect

    from tickets.models import Ticket

    mine, other = (
        CompanyFactory(name="Acropolis Tours"),
        CompanyFactory(name="Rival SA"),
    )
    client = portal_user_for(mine, username="flow-portal")
    foreign = TicketFactory(company=other, title="Rival's secret ticket")

    sign_in(page, live_server.url, client.username)
    page.goto(f"{live_server.url}/tickets/new/")
    expect(page.locator("select[name=company]")).to_have_count(0)
    page.fill("input[name=title]", "VPN drops every hour")
    page.fill("textarea[name=description]", "Since Monday.")
    page.get_by_role("button", name="Open ticket").click()
    page.wait_for_url(re.compile(r"/tickets/T-\d+/"))
    ticket = Ticket.objects.get(title="VPN drops every hour")
    assert ticket.company_id == mine.pk

    for url in (
        f"/companies/{other.account_number}/",
        f"/tickets/{foreign.number}/",
    ):
        response = page.goto(live_server.url + url)
        assert response.status in (403, 404), (url, response.status)
        expect(page.locator("body")).not_to_contain_text("Rival")

    page.goto(f"{live_server.url}/tickets/")
    expect(page.locator("body")).to_contain_text("VPN drops every hour")
    expect(page.locator("body")).not_to_contain_text("Rival's secret ticket")


@pytest.fixture
def sandboxes():
    from integrations.sandbox import DattoSandbox, FreshserviceSandbox, build_world

    world = build_world(seed=5, sites=6, devices_per_site=4, requesters=20)
    # slowdown makes each upstream call take a moment, so the page polls a
    # running run at least once before it finishes.
    with (
        DattoSandbox(world, api_key="k", api_secret="s", slowdown=0.15) as datto,
        FreshserviceSandbox(world, api_key="f") as fs,
    ):
        yield datto, fs


@pytest.mark.django_db(transaction=True)
def test_sync_run_now_progress_reaches_done(
    live_server, page, make_user, sandboxes, monkeypatch, settings
):
    from playwright.sync_api import expect

    from integrations import tasks
    from integrations.choices import (
        ConnectionKind,
        SyncJobKind,
        SyncStatus,
        SyncTrigger,
    )
    from integrations.models import Connection, SyncJob, SyncRun
    from integrations.services import execute_run, run_sync_job

    datto, fs = sandboxes
    settings.NEXUS_SYNC_BACKOFF_SECONDS = 0.01
    # A transactional test starts from a flushed database: seed the jobs and
    # connections the way the migration does.
    import_module("integrations.migrations.0002_seed_jobs_and_schedules").seed(
        django_apps, None
    )
    Connection.objects.update_or_create(
        kind=ConnectionKind.DATTO,
        defaults={"base_url": datto.url, "api_key": "k", "api_secret": "s",
                  "rate_limit_per_minute": 0},
    )  # fmt: skip
    Connection.objects.filter(kind=ConnectionKind.FRESHSERVICE).update(
        base_url=fs.url, api_key="f"
    )
    # Companies first (their account numbers map the Datto sites).
    fs_run = run_sync_job(
        SyncJob.objects.get(kind=SyncJobKind.SYNC_FRESHSERVICE),
        trigger=SyncTrigger.MANUAL,
    )
    assert fs_run.status == SyncStatus.SUCCEEDED
    job = SyncJob.objects.get(kind=SyncJobKind.SYNC_DATTO)

    workers: list[threading.Thread] = []

    def worker(run_id: int) -> None:
        """A Celery worker stand-in: picks the queued run up a moment later."""
        try:
            time.sleep(0.5)
            execute_run(SyncRun.objects.select_related("job").get(pk=run_id))
        finally:
            connection.close()

    def delay(run_id: int) -> None:
        thread = threading.Thread(target=worker, args=(run_id,), daemon=True)
        workers.append(thread)
        thread.start()

    monkeypatch.setattr(tasks.execute_sync_run_task, "delay", delay)

    user = make_user(Role.ADMIN, username="flow-admin")
    sign_in(page, live_server.url, user.username)
    page.goto(f"{live_server.url}/integrations/")
    page.locator(f"form[action$='/jobs/{job.pk}/run/'] button").first.click()
    page.wait_for_url(re.compile(r"/integrations/runs/\d+/"))
    run = SyncRun.objects.get(job=job)

    progress = page.locator("#run-progress")
    # The first render is the queued/running state and it is polling.
    assert page.locator("#run-progress[hx-get]").count() == 1
    expect(progress.locator(".pill")).to_have_text(
        re.compile("Succeeded"), timeout=60_000
    )
    expect(progress.locator("[role=progressbar]")).to_have_attribute(
        "aria-valuenow", "100"
    )
    expect(page.locator("#run-progress[hx-get]")).to_have_count(0)
    for thread in workers:
        thread.join(30)
    run.refresh_from_db()
    assert run.status == SyncStatus.SUCCEEDED
    assert run.created_count > 0
    expect(progress).to_contain_text(str(run.created_count))
