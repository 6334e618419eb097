"""The board and the thread page in headless Chromium: htmx moves a task and posts
a message without a page load."""

import os
from pathlib import Path

import pytest

from accounts.choices import Role
from projects.choices import TaskStatus
from projects.models import Task

from .factories import ProjectFactory, TaskFactory, ThreadFactory

CHROMIUM = Path("/usr/bin/chromium")

# See manufacturing/tests/test_browser.py: Playwright's sync API runs an event loop
# in the test thread, so Django's async guard is relaxed for this module.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]


def _sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pass-word-123")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")


@pytest.mark.django_db(transaction=True)
def test_board_moves_task_and_thread_posts_with_htmx(live_server, page, make_user):
    from playwright.sync_api import expect

    manager = make_user(Role.MANAGER, username="board-manager")
    project = ProjectFactory(name="Board demo")
    task = TaskFactory(project=project, title="Paint the fence")
    thread = ThreadFactory(project=project, title="Chat", members=[manager])
    _sign_in(page, live_server, manager)

    page.goto(f"{live_server.url}/projects/{project.pk}/board/")
    page.evaluate("window.__marker = 1")  # survives only if there is no page load
    card = page.locator(f"#task-{task.pk}")
    expect(page.locator("#col-pending").locator("..")).to_contain_text(
        "Paint the fence"
    )
    card.get_by_role("button", name="Move forward").click()
    in_progress = page.locator("#col-in_progress").locator("..")
    expect(in_progress).to_contain_text("Paint the fence")
    assert page.evaluate("window.__marker") == 1
    if os.environ.get("NEXUS_SCREENSHOTS"):
        page.screenshot(path=os.environ["NEXUS_SCREENSHOTS"] + "/board.png")
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    assert Task.objects.get(pk=task.pk).completed_at is None

    page.goto(f"{live_server.url}{thread.get_absolute_url()}")
    page.evaluate("window.__marker = 2")
    page.fill("textarea[name=body]", "Hello **team**")
    page.get_by_role("button", name="Post").click()
    expect(page.locator("#messages .message-body strong")).to_have_text("team")
    assert page.evaluate("window.__marker") == 2
    if os.environ.get("NEXUS_SCREENSHOTS"):
        page.screenshot(path=os.environ["NEXUS_SCREENSHOTS"] + "/thread.png")
    assert thread.messages.count() == 1
