"""The Content-Security-Policy in headless Chromium: what used to be inline
script still works from nexus/ui.js (the language switch, canned responses,
printing a traveler, clearing the assistant's question), the API docs and the
admin (changelist, change form, autocomplete, add popup, the periodic-task and
export pages) run, and the browser reports no violation and no console error.

Each test listens for `securitypolicyviolation` events in every page of its
browser context (popups too) and for console errors, and asserts none.
"""

import os
import re
from types import SimpleNamespace

import pytest

from accounts.choices import Role
from companies.tests.factories import CompanyFactory
from nexus.tests.test_browser_flows import CHROMIUM, sign_in
from tickets.tests.factories import CannedResponseFactory, TicketFactory

# Playwright's sync API runs an event loop in the test thread; the ORM calls made
# under it are ordinary synchronous calls (see test_browser_flows.py).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]

REDOC_CDN = "https://cdn.redoc.ly/"
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__nexusCspViolation({
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    sample: event.sample,
    url: document.URL,
  });
});
"""


@pytest.fixture
def csp(context, page):
    """Collects CSP violations and console errors of every page in the context;
    `csp.assert_clean()` fails on any."""
    violations: list[dict] = []
    console: list[str] = []
    context.expose_binding(
        "__nexusCspViolation", lambda source, report: violations.append(report)
    )
    context.add_init_script(REPORT_VIOLATIONS)

    def watch(new_page):
        new_page.on(
            "console",
            lambda message: (
                console.append(f"{message.type}: {message.text} @ {new_page.url}")
                if message.type == "error"
                or "content security policy" in message.text.lower()
                else None
            ),
        )
        new_page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))

    for existing in context.pages:
        watch(existing)
    context.on("page", watch)

    def assert_clean():
        page.wait_for_timeout(300)  # violation events are dispatched as tasks
        assert violations == []
        assert console == []

    return SimpleNamespace(
        violations=violations, console=console, assert_clean=assert_clean
    )


@pytest.mark.django_db(transaction=True)
def test_language_select_switches_language_without_violation(
    live_server, page, csp, make_user
):
    from playwright.sync_api import expect

    user = make_user(Role.TECHNICIAN, username="csp-lang")
    sign_in(page, live_server.url, user.username)
    page.goto(f"{live_server.url}/tickets/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    with page.expect_navigation():
        page.select_option("#language", "el")
    expect(page.locator("html")).to_have_attribute("lang", "el")
    assert page.url.endswith("/tickets/")  # the form's "next" brought us back
    expect(page.locator("#language option:checked")).to_have_text("Ελληνικά")
    expect(page.locator("#language option[value=en]")).to_have_text("Αγγλικά")

    with page.expect_navigation():
        page.select_option("#language", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    csp.assert_clean()


@pytest.mark.django_db(transaction=True)
def test_canned_response_appends_to_reply_also_after_htmx_swap(
    live_server, page, csp, make_user
):
    from playwright.sync_api import expect

    user = make_user(Role.ADMIN, username="csp-canned", is_superuser=True)
    CannedResponseFactory(title="Reboot", body="Please reboot the router.")
    CannedResponseFactory(title="Thanks", body="Thanks for your patience.")
    ticket = TicketFactory(company=CompanyFactory())
    sign_in(page, live_server.url, user.username)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")

    # htmx read its config from base.html's meta tag: it never evaluates code.
    assert page.evaluate("htmx.config.allowEval") is False
    body = page.locator("#id_body")
    page.select_option("#canned", label="Reboot")
    expect(body).to_have_value("Please reboot the router.")
    body.fill("Hello,")
    page.select_option("#canned", label="Thanks")
    expect(body).to_have_value("Hello,\n\nThanks for your patience.")
    page.select_option("#canned", index=0)  # "—" inserts nothing
    expect(body).to_have_value("Hello,\n\nThanks for your patience.")

    # Sending swaps a new conversation (and reply form) in by htmx: the
    # delegated listener serves the new select too.
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".timeline")).to_contain_text("Thanks for your patience.")
    expect(page.locator("#id_body")).to_have_value("")
    page.select_option("#canned", label="Reboot")
    expect(page.locator("#id_body")).to_have_value("Please reboot the router.")
    csp.assert_clean()


@pytest.mark.django_db(transaction=True)
def test_traveler_print_button_prints(live_server, page, csp, make_user):
    from playwright.sync_api import expect

    from manufacturing import services
    from manufacturing.tests.factories import TravelerFactory, traveler_type

    engineer = make_user(Role.ENGINEER, username="csp-print")
    traveler = services.release_traveler(
        TravelerFactory(traveler_type=traveler_type("cable"), quantity=2), by=engineer
    )
    # Stands in for the print dialog (an init script is not page script: the
    # policy does not apply to it).
    page.add_init_script("window.print = () => { window.__printed += 1; };")
    page.add_init_script("window.__printed = 0;")
    sign_in(page, live_server.url, engineer.username)
    page.goto(f"{live_server.url}/manufacturing/travelers/{traveler.pk}/print")
    expect(page.locator("h1")).to_contain_text(traveler.number)
    page.get_by_role("button", name="Print").click()
    page.wait_for_function("window.__printed === 1")
    csp.assert_clean()


@pytest.mark.django_db(transaction=True)
def test_assistant_question_is_cleared_after_an_answer(
    live_server, page, csp, make_user
):
    from playwright.sync_api import expect

    from knowledge.services import start_assistant_session

    user = make_user(Role.ADMIN, username="csp-assistant", is_superuser=True)
    session = start_assistant_session(user=user)
    sign_in(page, live_server.url, user.username)
    page.goto(f"{live_server.url}/kb/assistant/{session.pk}/")
    question = page.locator("form.kb-ask textarea, form.kb-ask input[name=content]")
    question.fill("How do I reset a printer?")
    page.get_by_role("button", name="Ask").click()
    expect(page.locator("#kb-chat")).to_contain_text("How do I reset a printer?")
    expect(question).to_have_value("")
    csp.assert_clean()


@pytest.mark.django_db(transaction=True)
def test_api_docs_render_without_violation(live_server, page, csp):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Nexus API", timeout=30_000
    )
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.goto(f"{live_server.url}/api/redoc/")
    expect(page.locator("h1", has_text="Nexus API")).to_be_visible(timeout=90_000)
    expect(
        page.locator("[role=search] input, input[placeholder='Search...']")
    ).to_be_visible()
    # ReDoc's footer shows its maker's logo from their CDN: blocked on purpose
    # (pages load nothing from outside), and the only report allowed here. The
    # footer renders after the search box: wait for its report (up to 10 s).
    for _ in range(100):
        cdn_logo = [v for v in csp.violations if v["blocked"].startswith(REDOC_CDN)]
        if cdn_logo:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)  # violation events are dispatched as tasks
    cdn_logo = [v for v in csp.violations if v["blocked"].startswith(REDOC_CDN)]
    assert [v["directive"] for v in cdn_logo] == ["img-src"]
    csp.violations[:] = [v for v in csp.violations if v not in cdn_logo]
    csp.console[:] = [m for m in csp.console if REDOC_CDN not in m]
    csp.assert_clean()


@pytest.mark.django_db(transaction=True)
def test_admin_works_under_the_policy(live_server, page, csp, make_user):
    from django_celery_beat.models import CrontabSchedule
    from playwright.sync_api import expect

    from accounts.models import Department

    admin = make_user(Role.ADMIN, username="csp-admin", is_superuser=True)
    company = CompanyFactory(name="Delphi Dental")
    CompanyFactory(name="Rhodes Shipping")
    ticket = TicketFactory(title="Admin under CSP")
    CrontabSchedule.objects.create(minute="30", hour="4")
    sign_in(page, live_server.url, admin.username)

    # Changelist: the "select all" box (actions.js).
    page.goto(f"{live_server.url}/admin/tickets/ticket/")
    page.locator("#action-toggle").check()
    expect(page.locator("input.action-select").first).to_be_checked()

    # Change form: autocomplete (select2) and an add-related popup.
    page.goto(f"{live_server.url}/admin/tickets/ticket/{ticket.pk}/change/")
    page.locator(".field-company .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("Delphi")
    page.locator(".select2-results__option", has_text="Delphi Dental").click()
    expect(page.locator("#id_company")).to_have_value(str(company.pk))
    with page.expect_popup() as popup_info:
        page.locator("#add_id_department").click()
    popup = popup_info.value
    popup.locator("#id_name").fill("Workshop")
    popup.locator("input[name=_save]").click()
    popup.wait_for_event("close")
    department = Department.objects.get(name="Workshop")
    expect(page.locator("#id_department")).to_have_value(str(department.pk))
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_be_visible()
    ticket.refresh_from_db()
    assert (ticket.company_id, ticket.department_id) == (company.pk, department.pk)

    # Periodic task: the chosen crontab in words (our static script).
    page.goto(f"{live_server.url}/admin/django_celery_beat/periodictask/add/")
    page.select_option("#id_crontab", index=1)
    expect(page.locator(".field-crontab .crontab-in-words")).to_contain_text(
        re.compile(r"Translation: .*04:30")
    )

    # Export action: import-export's "Select all" box (the hashed handler).
    page.goto(f"{live_server.url}/admin/companies/company/")
    page.locator("input.action-select").first.check()
    page.select_option("select[name=action]", "export_admin_action")
    page.locator("button[name=index]").click()
    fields = page.locator(".selectable-field-export-row input[type=checkbox]")
    expect(fields.first).to_be_checked()
    page.locator("input.select-toggle").uncheck()
    for index in range(fields.count()):
        expect(fields.nth(index)).not_to_be_checked()
    csp.assert_clean()
