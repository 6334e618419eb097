"""Shop-floor flow in headless Chromium: scan → start → stop → complete, keyboard only."""

import os
import re
from pathlib import Path

import pytest

from accounts.choices import Role
from manufacturing import services
from manufacturing.choices import StepStatus
from manufacturing.models import LaborLog

from .factories import TravelerFactory, traveler_type

CHROMIUM = Path("/usr/bin/chromium")

# Playwright's sync API runs an event loop in the test thread, and its session
# fixtures start before pytest-django creates the test database; the ORM calls
# made under that loop (database set-up, the test body, the flush) are ordinary
# synchronous calls, so Django's async guard is relaxed for this module's run.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]


@pytest.mark.django_db(transaction=True)
def test_shop_floor_scan_start_stop_complete(live_server, page, make_user):
    from playwright.sync_api import expect

    engineer = make_user(Role.ENGINEER)
    operator = make_user(Role.OPERATOR, username="floor-op")
    traveler = services.release_traveler(
        TravelerFactory(traveler_type=traveler_type("cable"), quantity=12), by=engineer
    )
    step = traveler.steps.get(sequence=10)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", operator.username)
    page.fill("input[name=password]", "pass-word-123")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^(?!.*login).*$"))

    page.goto(f"{live_server.url}/manufacturing/station/")
    scan = page.locator("#scan")
    expect(scan).to_be_focused()
    # A keyboard-wedge scanner types the number and presses Enter.
    page.keyboard.type(traveler.number)
    page.keyboard.press("Enter")
    start = page.get_by_role("button", name="Start labour")
    expect(start).to_be_visible()
    expect(page.locator("#step")).to_contain_text("Cut and strip")
    expect(start).to_be_focused()
    page.keyboard.press("Enter")

    quantity = page.locator("input[name=quantity]")
    expect(quantity).to_be_focused()
    assert LaborLog.objects.open().filter(operator=operator, step=step).exists()
    quantity.fill("12")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Timer stopped")
    log = LaborLog.objects.get(operator=operator, step=step)
    assert log.stopped_at is not None and log.quantity == 12

    passed = page.locator("input[name=quantity_passed]")
    passed.fill("11")
    page.locator("input[name=quantity_failed]").fill("1")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Step 10 done")
    expect(page.locator("#step")).to_contain_text("Crimp and insert")
    step.refresh_from_db()
    assert (step.status, step.quantity_passed, step.quantity_failed) == (
        StepStatus.DONE,
        11,
        1,
    )

    # Back to the scan field with F2 for the next traveler.
    page.keyboard.press("F2")
    expect(scan).to_be_focused()
