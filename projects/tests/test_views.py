import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.choices import Role
from companies.services import purchase_credits
from companies.tests.factories import CompanyFactory
from projects.choices import TaskStatus
from projects.models import Task, TaskTimeEntry
from projects.services import log_task_time, post_message, share_thread_file

from .conftest import PNG_BYTES
from .factories import MessageFactory, ProjectFactory, TaskFactory, ThreadFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def manager(make_user):
    return make_user(Role.MANAGER)


def test_project_pages_render_for_staff(manager):
    project = ProjectFactory(name="Website")
    TaskFactory(project=project, title="Design", status=TaskStatus.IN_PROGRESS)
    thread = ThreadFactory(project=project, title="Kick-off")
    web = client_for(manager)
    listing = web.get(reverse("projects:project_list"))
    assert listing.status_code == 200 and b"Website" in listing.content
    detail = web.get(project.get_absolute_url())
    assert detail.status_code == 200
    assert b"Design" in detail.content and b"Kick-off" in detail.content
    board = web.get(reverse("projects:project_board", args=[project.pk]))
    assert board.status_code == 200 and b"Design" in board.content
    assert web.get(thread.get_absolute_url()).status_code == 200
    assert web.get(reverse("projects:thread_list")).status_code == 200
    filtered = web.get(reverse("projects:project_list") + "?status=completed")
    assert b"Website" not in filtered.content
    searched = web.get(reverse("projects:project_list") + "?q=webs")
    assert b"Website" in searched.content


def test_board_moves_a_task_with_htmx(manager):
    task = TaskFactory()
    web = client_for(manager)
    url = reverse("projects:task_move", args=[task.pk])
    response = web.post(url, {"status": "in_progress"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b'id="board"' in response.content and b"<html" not in response.content
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    bad = web.post(url, {"status": "nope"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400
    plain = web.post(url, {"status": "completed"})
    assert plain.status_code == 302
    task.refresh_from_db()
    assert task.completed_at is not None
    assert web.get(url).status_code == 405


def test_project_detail_adds_task_and_shows_errors(manager):
    project = ProjectFactory()
    web = client_for(manager)
    ok = web.post(project.get_absolute_url(), {"title": "New", "priority": "high"})
    assert ok.status_code == 302
    assert Task.objects.filter(project=project, title="New").exists()
    bad = web.post(project.get_absolute_url(), {"title": "", "priority": "urgent"})
    assert bad.status_code == 400
    assert b"errorlist" in bad.content or b'class="error"' in bad.content


def test_log_time_from_project_page(manager):
    project = ProjectFactory()
    purchase_credits(project.client, amount=5)
    task = TaskFactory(project=project)
    web = client_for(manager)
    url = reverse("projects:project_log_time", args=[project.pk])
    ok = web.post(url, {"task": task.pk, "minutes": 30, "billable": "on"})
    assert ok.status_code == 302
    link = TaskTimeEntry.objects.get(task=task)
    assert link.time_entry.billed_hours == 0.5
    page = web.get(project.get_absolute_url())
    assert b"0.50" in page.content
    bad = web.post(url, {"task": task.pk, "minutes": 0})
    assert bad.status_code == 400
    short = web.post(url, {"task": task.pk, "minutes": 600, "billable": "on"})
    assert short.status_code == 400 and b"Not enough credit" in short.content
    other = TaskFactory()
    foreign = web.post(url, {"task": other.pk, "minutes": 5})
    assert foreign.status_code == 400
    delete = web.post(reverse("projects:time_delete", args=[link.pk]))
    assert delete.status_code == 302
    assert not TaskTimeEntry.objects.filter(pk=link.pk).exists()


def test_my_tasks_lists_only_mine(make_user):
    tech = make_user(Role.TECHNICIAN)
    mine = TaskFactory(assignee=tech, title="Mine")
    TaskFactory(title="Someone else's")
    TaskFactory(assignee=tech, title="Finished", status=TaskStatus.COMPLETED)
    web = client_for(tech)
    response = web.get(reverse("projects:my_tasks"))
    assert response.status_code == 200
    assert mine.title.encode() in response.content
    assert b"Someone else" not in response.content
    assert b"Finished" not in response.content
    done = web.get(reverse("projects:my_tasks") + "?status=completed")
    assert b"Finished" in done.content


def test_thread_page_posts_message_with_htmx(make_user):
    tech = make_user(Role.TECHNICIAN)
    thread = ThreadFactory(members=[tech])
    web = client_for(tech)
    url = reverse("projects:thread_post_message", args=[thread.pk])
    response = web.post(
        url, {"body": "Hi **all** <script>x()</script>"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert b"<strong>all</strong>" in response.content
    assert b"<script>x()" not in response.content
    empty = web.post(url, {"body": ""}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 400
    plain = web.post(url, {"body": "plain post"})
    assert plain.status_code == 302
    assert thread.messages.count() == 2


def test_thread_page_shares_and_serves_files(make_user):
    tech = make_user(Role.TECHNICIAN)
    thread = ThreadFactory(members=[tech])
    web = client_for(tech)
    url = reverse("projects:thread_share_file", args=[thread.pk])
    ok = web.post(url, {"file": SimpleUploadedFile("pic.png", PNG_BYTES)})
    assert ok.status_code == 302
    shared = thread.files.get()
    download = web.get(shared.get_absolute_url())
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert 'filename="pic.png"' in download["Content-Disposition"]
    bad = web.post(url, {"file": SimpleUploadedFile("x.html", b"<html></html>")})
    assert bad.status_code == 400
    assert thread.files.count() == 1


@pytest.fixture
def portal(make_user):
    company_a, company_b = CompanyFactory(), CompanyFactory()
    staff = make_user(Role.MANAGER)
    project_a = ProjectFactory(client=company_a)
    project_b = ProjectFactory(client=company_b)
    client_a = make_user(Role.CLIENT, company=company_a)
    mine = ThreadFactory(project=project_a, members=[client_a, staff], title="Mine")
    others = [
        ThreadFactory(project=project_a, members=[staff], title="Internal A"),
        ThreadFactory(project=project_b, members=[staff], title="Other B"),
        ThreadFactory(members=[staff], title="Team room"),
    ]
    files = {}
    for thread in [mine, *others]:
        post_message(thread, author=staff, body=f"secret of {thread.title}")
        files[thread.pk] = share_thread_file(
            thread, upload=SimpleUploadedFile("a.png", PNG_BYTES), uploaded_by=staff
        )
    task_a = TaskFactory(project=project_a)
    purchase_credits(company_a, amount=5)
    link = log_task_time(task_a, user=staff, minutes=10)
    return {
        "web": client_for(client_a),
        "mine": mine,
        "others": others,
        "files": files,
        "project_a": project_a,
        "project_b": project_b,
        "task_a": task_a,
        "link": link,
    }


def test_invited_client_pages_show_only_their_thread(portal):
    web, mine = portal["web"], portal["mine"]
    listing = web.get(reverse("projects:thread_list"))
    assert listing.status_code == 200
    assert b"Mine" in listing.content
    for other in portal["others"]:
        assert other.title.encode() not in listing.content
    page = web.get(mine.get_absolute_url())
    assert page.status_code == 200 and b"secret of Mine" in page.content
    assert web.get(portal["files"][mine.pk].get_absolute_url()).status_code == 200
    posted = web.post(
        reverse("projects:thread_post_message", args=[mine.pk]), {"body": "ok"}
    )
    assert posted.status_code == 302


def test_invited_client_pages_refuse_everything_else(portal):
    web = portal["web"]
    for other in portal["others"]:
        assert web.get(other.get_absolute_url()).status_code == 404
        assert web.get(portal["files"][other.pk].get_absolute_url()).status_code == 404
        response = web.post(
            reverse("projects:thread_post_message", args=[other.pk]), {"body": "x"}
        )
        assert response.status_code == 404
        response = web.post(
            reverse("projects:thread_share_file", args=[other.pk]),
            {"file": SimpleUploadedFile("b.png", PNG_BYTES)},
        )
        assert response.status_code == 404
    for project in (portal["project_a"], portal["project_b"]):
        for url in (
            reverse("projects:project_detail", args=[project.pk]),
            reverse("projects:project_board", args=[project.pk]),
        ):
            assert web.get(url).status_code == 403, url
    assert web.get(reverse("projects:project_list")).status_code == 403
    assert web.get(reverse("projects:my_tasks")).status_code == 403
    move = reverse("projects:task_move", args=[portal["task_a"].pk])
    assert web.post(move, {"status": "completed"}).status_code == 403
    log = reverse("projects:project_log_time", args=[portal["project_a"].pk])
    assert web.post(log, {"task": portal["task_a"].pk, "minutes": 5}).status_code == 403
    delete = reverse("projects:time_delete", args=[portal["link"].pk])
    assert web.post(delete).status_code == 403
    assert TaskTimeEntry.objects.filter(pk=portal["link"].pk).exists()


def test_nav_shows_threads_to_portal_users_only(portal, make_user):
    home = portal["web"].get("/")
    assert reverse("projects:thread_list").encode() in home.content
    assert reverse("projects:project_list").encode() + b'"' not in home.content
    staff_home = client_for(make_user(Role.MANAGER)).get("/")
    assert reverse("projects:project_list").encode() in staff_home.content
    assert reverse("projects:my_tasks").encode() in staff_home.content


def test_anonymous_is_sent_to_login():
    response = Client().get(reverse("projects:project_list"))
    assert response.status_code == 302 and "login" in response["Location"]


def _constant(web, urls, make_more, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as few:
        for url in urls:
            assert web.get(url).status_code == 200, url
    make_more()
    with django_assert_max_num_queries(len(few)):
        for url in urls:
            assert web.get(url).status_code == 200, url


def test_page_queries_do_not_grow(manager, django_assert_max_num_queries):
    project = ProjectFactory()
    project.members.add(manager)
    thread = ThreadFactory(project=project, members=[manager])
    purchase_credits(project.client, amount=100)

    def make(n):
        for _ in range(n):
            other = ProjectFactory()
            ThreadFactory(members=[manager], project=other)
            task = TaskFactory(project=project, assignee=manager)
            task.dependencies.add(TaskFactory(project=project))
            log_task_time(task, user=manager, minutes=5)
            MessageFactory(thread=thread, author=manager)
            share_thread_file(
                thread,
                upload=SimpleUploadedFile("a.png", PNG_BYTES),
                uploaded_by=manager,
            )

    make(2)
    urls = [
        reverse("projects:project_list"),
        project.get_absolute_url(),
        reverse("projects:project_board", args=[project.pk]),
        reverse("projects:my_tasks"),
        reverse("projects:thread_list"),
        thread.get_absolute_url(),
    ]
    _constant(client_for(manager), urls, lambda: make(5), django_assert_max_num_queries)


def test_thread_invite_page(manager, make_user):
    project = ProjectFactory()
    thread = ThreadFactory(project=project, members=[manager])
    own_client = make_user(Role.CLIENT, company=project.client)
    stranger = make_user(Role.CLIENT, company=CompanyFactory())
    web = client_for(manager)
    url = reverse("projects:thread_invite", args=[thread.pk])
    page = web.get(thread.get_absolute_url())
    assert f'value="{own_client.pk}"'.encode() in page.content
    assert f'value="{stranger.pk}"'.encode() not in page.content
    assert web.post(url, {"users": [stranger.pk]}).status_code == 400
    assert web.post(url, {"users": [own_client.pk]}).status_code == 302
    assert own_client in thread.members.all()
    invited = client_for(own_client)
    assert invited.get(thread.get_absolute_url()).status_code == 200
    assert invited.post(url, {"users": [own_client.pk]}).status_code == 403
