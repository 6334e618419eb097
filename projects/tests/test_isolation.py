"""Isolation matrix: a client user of company A gets nothing of company B (nor of
A's staff-only work) from any projects endpoint, by list, detail, filter, search
or download, and every write to B is refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.choices import Role
from companies.services import purchase_credits
from companies.tests.factories import CompanyFactory
from projects.models import Message, TaskTimeEntry
from projects.services import log_task_time, post_message, share_thread_file

from .conftest import PNG_BYTES
from .factories import ProjectFactory, TaskFactory, ThreadFactory

pytestmark = pytest.mark.django_db

SECRET = "zebra-secret-of-b"


@pytest.fixture
def world(make_user, api_for):
    company_a = CompanyFactory(name="Alpha Client Ltd")
    company_b = CompanyFactory(name="Bravo Client Ltd")
    staff = make_user(Role.MANAGER)
    project_b = ProjectFactory(client=company_b, name=f"Project {SECRET}")
    task_b = TaskFactory(project=project_b, title=f"Task {SECRET}")
    purchase_credits(company_b, amount=5)
    link_b = log_task_time(task_b, user=staff, minutes=30, note=SECRET)
    client_b = make_user(Role.CLIENT, company=company_b)
    thread_b = ThreadFactory(
        project=project_b, title=f"Thread {SECRET}", members=[staff, client_b]
    )
    post_message(thread_b, author=staff, body=SECRET)
    file_b = share_thread_file(
        thread_b,
        upload=SimpleUploadedFile(f"{SECRET}.png", PNG_BYTES),
        uploaded_by=staff,
    )
    company_thread_b = ThreadFactory(company=company_b, title=f"Company {SECRET}")
    client_a = make_user(Role.CLIENT, company=company_a)
    return {
        "api": api_for(client_a),
        "project_b": project_b,
        "task_b": task_b,
        "link_b": link_b,
        "thread_b": thread_b,
        "file_b": file_b,
        "company_thread_b": company_thread_b,
        "company_b": company_b,
    }


READS = [
    "/api/projects/",
    "/api/projects/?search=zebra",
    "/api/projects/{project_b}/",
    "/api/tasks/",
    "/api/tasks/?project={project_b}",
    "/api/tasks/{task_b}/",
    "/api/task-time-entries/",
    "/api/task-time-entries/{link_b}/",
    "/api/threads/",
    "/api/threads/?search=zebra",
    "/api/threads/?project={project_b}",
    "/api/threads/?company={company_b}",
    "/api/threads/{thread_b}/",
    "/api/threads/{company_thread_b}/",
    "/api/threads/{thread_b}/messages/",
    "/api/threads/{thread_b}/files/",
    "/api/threads/{thread_b}/files/{file_b}/download/",
]


def _fill(url, world):
    return url.format(
        **{
            key: world[key].pk
            for key in (
                "project_b",
                "task_b",
                "link_b",
                "thread_b",
                "file_b",
                "company_thread_b",
                "company_b",
            )
        }
    )


@pytest.mark.parametrize("url", READS)
def test_client_reads_nothing_of_other_company(world, url):
    response = world["api"].get(_fill(url, world))
    assert response.status_code in (200, 403, 404), response.status_code
    if response.status_code == 200:
        assert SECRET not in response.content.decode()
        assert response.json()["count"] == 0


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/projects/", {"name": "x", "client_id": "{company_b}"}),
        ("patch", "/api/projects/{project_b}/", {"name": "x"}),
        ("delete", "/api/projects/{project_b}/", None),
        ("post", "/api/tasks/", {"title": "x", "project_id": "{project_b}"}),
        ("patch", "/api/tasks/{task_b}/", {"title": "x"}),
        ("delete", "/api/tasks/{task_b}/", None),
        ("post", "/api/task-time-entries/", {"task_id": "{task_b}", "minutes": 5}),
        ("delete", "/api/task-time-entries/{link_b}/", None),
        ("post", "/api/threads/", {"title": "x", "company_id": "{company_b}"}),
        ("patch", "/api/threads/{thread_b}/", {"title": "x"}),
        ("delete", "/api/threads/{thread_b}/", None),
        ("post", "/api/threads/{thread_b}/messages/", {"body": "x"}),
    ],
)
def test_client_writes_to_other_company_are_refused(world, method, url, body):
    if body:
        body = {k: _fill(str(v), world) for k, v in body.items()}
    response = getattr(world["api"], method)(_fill(url, world), body, format="json")
    assert response.status_code in (400, 403, 404), response.status_code
    world["project_b"].refresh_from_db()
    assert SECRET in world["project_b"].name
    assert TaskTimeEntry.objects.filter(pk=world["link_b"].pk).exists()
    assert Message.objects.filter(thread=world["thread_b"]).count() == 1


def test_client_file_upload_to_other_company_refused(world):
    response = world["api"].post(
        _fill("/api/threads/{thread_b}/files/", world),
        {"file": SimpleUploadedFile("a.png", PNG_BYTES)},
        format="multipart",
    )
    assert response.status_code == 404
    assert world["thread_b"].files.count() == 1


PAGES = [
    ("projects:project_list", None),
    ("projects:my_tasks", None),
    ("projects:thread_list", None),
    ("projects:project_detail", "project_b"),
    ("projects:project_board", "project_b"),
    ("projects:thread_detail", "thread_b"),
    ("projects:thread_detail", "company_thread_b"),
    ("projects:file_download", "file_b"),
]


@pytest.mark.parametrize(("name", "key"), PAGES)
def test_client_pages_show_nothing_of_other_company(world, portal_user_for, name, key):
    from django.test import Client

    web = Client()
    web.force_login(portal_user_for(CompanyFactory()))
    url = reverse(name, args=[world[key].pk] if key else [])
    response = web.get(url)
    assert response.status_code in (200, 403, 404)
    if response.status_code == 200:
        assert SECRET not in response.content.decode()
