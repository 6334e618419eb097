import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import Role
from companies.tests.factories import CompanyFactory
from projects.choices import ProjectStatus, TaskPriority, TaskStatus
from projects.models import Project, Task
from projects.services import post_message, share_thread_file

from .factories import MessageFactory, ProjectFactory, TaskFactory, ThreadFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


# --------------------------------------------------------------------------- projects


def test_create_project_accepts_seed_fields(admin_api):
    client = CompanyFactory()
    response = admin_api.post(
        "/api/projects",
        {
            "name": "Website Redesign",
            "description": "Company website revamp",
            "status": "in-progress",
            "client_id": client.pk,
            "budget": 100000,
            "start_date": "2026-01-22",
            "deadline": "2026-12-31",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["code"].startswith("PRJ-")
    assert data["status"] == ProjectStatus.IN_PROGRESS
    assert data["client"]["id"] == client.pk
    assert data["budget_amount"] == "100000.00"
    assert data["progress"] == 0 and data["spent_minutes"] == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"start_date": "2026-05-01", "deadline": "2026-04-01"}, "deadline"),
        ({"client_id": 999999}, "client_id"),
        ({"status": "done"}, "status"),
        ({"budget_amount": "-5"}, "budget_amount"),
        ({"budget_hours": "lots"}, "budget_hours"),
        ({"name": ""}, "name"),
        ({"deadline": "31/12/2026"}, "deadline"),
        ({"members": [999999]}, "members"),
    ],
)
def test_create_project_bad_input_is_400(admin_api, payload, field):
    body = {"name": "P", "client_id": CompanyFactory().pk, **payload}
    response = admin_api.post("/api/projects/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in str(response.json())


def test_project_portal_member_refused(admin_api, make_user):
    company = CompanyFactory()
    client_user = make_user(Role.CLIENT, company=company)
    response = admin_api.post(
        "/api/projects/",
        {"name": "P", "client_id": company.pk, "members": [client_user.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert "members" in response.json()


def test_project_detail_has_progress(admin_api):
    project = ProjectFactory()
    TaskFactory(project=project, status=TaskStatus.COMPLETED)
    TaskFactory(project=project)
    data = admin_api.get(f"/api/projects/{project.pk}").json()
    assert (data["task_count"], data["completed_task_count"], data["progress"]) == (
        2,
        1,
        50,
    )


def test_project_update_and_delete(admin_api):
    project = ProjectFactory()
    response = admin_api.patch(
        f"/api/projects/{project.pk}/", {"status": "completed"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "completed"
    assert admin_api.delete(f"/api/projects/{project.pk}/").status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()


def test_project_filters(admin_api, make_user):
    manager = make_user(Role.MANAGER)
    client = CompanyFactory()
    hit = ProjectFactory(
        name="Needle",
        client=client,
        manager=manager,
        status=ProjectStatus.IN_PROGRESS,
        deadline=datetime.date(2026, 6, 1),
    )
    ProjectFactory(name="Hay", deadline=datetime.date(2027, 6, 1))

    def ids(query):
        response = admin_api.get(f"/api/projects/?{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("status=in-progress") == [hit.pk]
    assert ids("status=in_progress") == [hit.pk]
    assert ids(f"client={client.pk}") == [hit.pk]
    assert ids(f"client_id={client.pk}") == [hit.pk]
    assert ids(f"manager={manager.pk}") == [hit.pk]
    assert ids("deadline_after=2026-01-01&deadline_before=2026-12-31") == [hit.pk]
    assert ids("search=needle") == [hit.pk]
    assert admin_api.get("/api/projects/?deadline_before=nope").status_code == 400


def test_technician_sees_only_own_projects(make_user, api_for):
    tech = make_user(Role.TECHNICIAN)
    managed = ProjectFactory(manager=tech)
    member = ProjectFactory()
    member.members.add(tech)
    ProjectFactory()
    response = api_for(tech).get("/api/projects/")
    assert {row["id"] for row in response.json()["results"]} == {
        managed.pk,
        member.pk,
    }


def test_technician_cannot_create_projects(make_user, api_for):
    tech = make_user(Role.TECHNICIAN)
    response = api_for(tech).post(
        "/api/projects/", {"name": "P", "client_id": CompanyFactory().pk}
    )
    assert response.status_code == 403


# ------------------------------------------------------------------------------ tasks


def test_create_task_accepts_seed_fields(admin_api, make_user):
    project = ProjectFactory()
    tech = make_user(Role.TECHNICIAN)
    response = admin_api.post(
        "/api/tasks",
        {
            "title": "Design homepage",
            "description": "Create mockups",
            "status": "in-progress",
            "priority": "high",
            "assigned_to": tech.pk,
            "project_id": project.pk,
            "due_date": "2026-02-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["assignee"]["id"] == tech.pk
    assert data["project"]["id"] == project.pk
    assert data["status"] == TaskStatus.IN_PROGRESS
    assert data["priority"] == TaskPriority.HIGH


def test_task_filters(admin_api, make_user):
    tech = make_user(Role.TECHNICIAN)
    project = ProjectFactory()
    late = TaskFactory(
        project=project,
        assignee=tech,
        priority=TaskPriority.HIGH,
        due_date=TODAY - datetime.timedelta(days=2),
    )
    done_late = TaskFactory(
        status=TaskStatus.COMPLETED, due_date=TODAY - datetime.timedelta(days=2)
    )
    future = TaskFactory(
        priority=TaskPriority.LOW, due_date=TODAY + datetime.timedelta(days=20)
    )

    def ids(query):
        response = admin_api.get(f"/api/tasks/?{query}")
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids("overdue=true") == {late.pk}
    assert ids("overdue=false") == {done_late.pk, future.pk}
    assert ids("status=completed") == {done_late.pk}
    assert ids("priority=high") == {late.pk}
    assert ids(f"assignee={tech.pk}") == {late.pk}
    assert ids(f"assigned_to={tech.pk}") == {late.pk}
    assert ids(f"project={project.pk}") == {late.pk}
    assert ids(f"due_before={TODAY}") == {late.pk, done_late.pk}
    assert admin_api.get("/api/tasks/?priority=urgent").status_code == 400


def test_task_dependencies_cycle_is_400(admin_api):
    a = TaskFactory(title="A")
    b = TaskFactory(title="B", project=a.project)
    c = TaskFactory(title="C", project=a.project)
    ok = admin_api.patch(f"/api/tasks/{a.pk}/", {"dependencies": [b.pk]}, format="json")
    assert ok.status_code == 200 and ok.json()["dependencies"] == [b.pk]
    direct = admin_api.patch(
        f"/api/tasks/{b.pk}/", {"dependencies": [a.pk]}, format="json"
    )
    assert direct.status_code == 400
    assert "cycle" in direct.json()["dependencies"][0]
    admin_api.patch(f"/api/tasks/{b.pk}/", {"dependencies": [c.pk]}, format="json")
    indirect = admin_api.patch(
        f"/api/tasks/{c.pk}/", {"dependencies": [a.pk]}, format="json"
    )
    assert indirect.status_code == 400
    assert "“C” → “A” → “B” → “C”" in indirect.json()["dependencies"][0]
    itself = admin_api.patch(
        f"/api/tasks/{a.pk}/", {"dependencies": [a.pk]}, format="json"
    )
    assert itself.status_code == 400
    assert list(c.dependencies.all()) == []


def test_task_bad_input_is_400(admin_api, make_user):
    project = ProjectFactory()
    client_user = make_user(Role.CLIENT, company=project.client)
    for payload, field in [
        ({"priority": "urgent"}, "priority"),
        ({"due_date": "tomorrow"}, "due_date"),
        ({"assigned_to": client_user.pk}, "assignee_id"),
        ({"dependencies": [TaskFactory().pk]}, "dependencies"),
        ({"project_id": None}, "project_id"),
    ]:
        response = admin_api.post(
            "/api/tasks/",
            {"title": "T", "project_id": project.pk, **payload},
            format="json",
        )
        assert response.status_code == 400, (payload, response.content)
        assert field in response.json(), (payload, response.json())
    assert not Task.objects.filter(project=project).exists()


def test_technician_cannot_attach_task_to_invisible_project(make_user, api_for):
    tech = make_user(Role.TECHNICIAN)
    hidden = ProjectFactory()
    response = api_for(tech).post(
        "/api/tasks/", {"title": "T", "project_id": hidden.pk}, format="json"
    )
    assert response.status_code == 400
    assert "project_id" in response.json()


# ---------------------------------------------------------------------------- threads


def test_thread_messages_and_files_round_trip(make_user, api_for, png_upload):
    tech = make_user(Role.TECHNICIAN)
    api = api_for(tech)
    created = api.post("/api/threads/", {"title": "Team room"}, format="json")
    assert created.status_code == 201, created.content
    thread_id = created.json()["id"]
    assert created.json()["kind"] == "channel"
    assert created.json()["members"] == [tech.pk]
    posted = api.post(
        f"/api/threads/{thread_id}/messages/",
        {"body": "Hello *team* <img src=x onerror=alert(1)>"},
        format="json",
    )
    assert posted.status_code == 201, posted.content
    assert "<em>team</em>" in posted.json()["body_html"]
    assert "onerror" not in posted.json()["body_html"]
    listing = api.get(f"/api/threads/{thread_id}/messages/").json()
    assert listing["count"] == 1
    uploaded = api.post(
        f"/api/threads/{thread_id}/files/", {"file": png_upload()}, format="multipart"
    )
    assert uploaded.status_code == 201, uploaded.content
    download = api.get(uploaded.json()["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")
    assert api.get(f"/api/threads/{thread_id}/files/").json()["count"] == 1
    detail = api.get(f"/api/threads/{thread_id}/").json()
    assert detail["message_count"] == 1 and detail["last_message_at"]


def test_thread_bad_input_is_400(make_user, api_for):
    tech = make_user(Role.TECHNICIAN)
    api = api_for(tech)
    thread = ThreadFactory(members=[tech])
    assert (
        api.post(f"/api/threads/{thread.pk}/messages/", {"body": "  "}).status_code
        == 400
    )
    assert api.post(f"/api/threads/{thread.pk}/messages/", {}).status_code == 400
    assert (
        api.post(f"/api/threads/{thread.pk}/files/", {}, format="multipart").status_code
        == 400
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00not a png at all")
    response = api.post(
        f"/api/threads/{thread.pk}/files/", {"file": fake}, format="multipart"
    )
    assert response.status_code == 400 and "file" in response.json()
    project = ProjectFactory()
    both = api.post(
        "/api/threads/",
        {"title": "x", "project_id": project.pk, "company_id": project.client_id},
        format="json",
    )
    assert both.status_code == 400


# ------------------------------------------------------------------ client isolation


@pytest.fixture
def invited(make_user, api_for):
    """A client of company A invited to one thread of A's project; other rows exist."""
    company_a, company_b = CompanyFactory(), CompanyFactory()
    staff = make_user(Role.MANAGER)
    project_a = ProjectFactory(client=company_a)
    project_b = ProjectFactory(client=company_b)
    TaskFactory(project=project_a)
    TaskFactory(project=project_b)
    client_a = make_user(Role.CLIENT, company=company_a)
    mine = ThreadFactory(project=project_a, members=[client_a, staff])
    other_a = ThreadFactory(project=project_a, members=[staff])  # same company
    other_b = ThreadFactory(project=project_b, members=[staff])
    channel = ThreadFactory(members=[staff])
    company_thread_b = ThreadFactory(company=company_b, members=[staff])
    for thread in (mine, other_a, other_b, channel, company_thread_b):
        post_message(thread, author=staff, body=f"hello {thread.title}")
    files = {}
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import PNG_BYTES

    for thread in (mine, other_a, other_b):
        files[thread.pk] = share_thread_file(
            thread,
            upload=SimpleUploadedFile("a.png", PNG_BYTES),
            uploaded_by=staff,
        )
    return {
        "api": api_for(client_a),
        "user": client_a,
        "mine": mine,
        "others": [other_a, other_b, channel, company_thread_b],
        "files": files,
        "project_a": project_a,
        "project_b": project_b,
        "staff": staff,
    }


def test_invited_client_lists_only_that_thread(invited):
    api, mine = invited["api"], invited["mine"]
    response = api.get("/api/threads/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    for other in invited["others"]:
        assert api.get(f"/api/threads/?search={other.title}").json()["count"] == 0
        assert (
            api.get(f"/api/threads/?project={invited['project_b'].pk}").json()["count"]
            == 0
        )


def test_invited_client_reads_and_posts_in_that_thread(invited, png_upload):
    api, mine = invited["api"], invited["mine"]
    assert api.get(f"/api/threads/{mine.pk}/").status_code == 200
    messages = api.get(f"/api/threads/{mine.pk}/messages/").json()
    assert [m["body"] for m in messages["results"]] == [f"hello {mine.title}"]
    assert (
        api.post(
            f"/api/threads/{mine.pk}/messages/", {"body": "Thanks!"}, format="json"
        ).status_code
        == 201
    )
    files = api.get(f"/api/threads/{mine.pk}/files/").json()
    assert files["count"] == 1
    assert api.get(files["results"][0]["download_url"]).status_code == 200
    assert (
        api.post(
            f"/api/threads/{mine.pk}/files/", {"file": png_upload()}, format="multipart"
        ).status_code
        == 201
    )


def test_invited_client_gets_nothing_else(invited):
    api, files = invited["api"], invited["files"]
    for other in invited["others"]:
        assert api.get(f"/api/threads/{other.pk}/").status_code == 404
        assert api.get(f"/api/threads/{other.pk}/messages/").status_code == 404
        assert api.get(f"/api/threads/{other.pk}/files/").status_code == 404
        response = api.post(
            f"/api/threads/{other.pk}/messages/", {"body": "hi"}, format="json"
        )
        assert response.status_code == 404
    for thread_id, shared in files.items():
        if thread_id == invited["mine"].pk:
            continue
        url = f"/api/threads/{thread_id}/files/{shared.pk}/download"
        assert api.get(url).status_code == 404
        # A file of another thread through the client's own thread: not found.
        url = f"/api/threads/{invited['mine'].pk}/files/{shared.pk}/download"
        assert api.get(url).status_code == 404
    # Projects and tasks are staff-only, even the client's own company's.
    for url in (
        "/api/projects/",
        f"/api/projects/{invited['project_a'].pk}/",
        "/api/tasks/",
    ):
        assert api.get(url).status_code == 403, url


def test_invited_client_cannot_write_threads(invited):
    api, mine, project_a = invited["api"], invited["mine"], invited["project_a"]
    assert (
        api.post(
            "/api/threads/", {"title": "x", "project_id": project_a.pk}, format="json"
        ).status_code
        == 403
    )
    assert (
        api.patch(f"/api/threads/{mine.pk}/", {"title": "x"}, format="json").status_code
        == 403
    )
    assert api.delete(f"/api/threads/{mine.pk}/").status_code == 403
    assert (
        api.post(
            "/api/tasks/", {"title": "x", "project_id": project_a.pk}, format="json"
        ).status_code
        == 403
    )


def test_client_not_invited_sees_no_thread(make_user, api_for, invited):
    outsider = make_user(Role.CLIENT, company=invited["project_a"].client)
    api = api_for(outsider)
    assert api.get("/api/threads/").json()["count"] == 0
    assert api.get(f"/api/threads/{invited['mine'].pk}/").status_code == 404


def test_staff_cannot_invite_other_company_client(admin_api, invited, make_user):
    stranger = make_user(Role.CLIENT, company=CompanyFactory())
    mine = invited["mine"]
    response = admin_api.patch(
        f"/api/threads/{mine.pk}/",
        {"members": [invited["user"].pk, stranger.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert "members" in response.json()


def test_technician_sees_threads_by_membership_and_project(make_user, api_for):
    tech = make_user(Role.TECHNICIAN)
    project = ProjectFactory()
    project.members.add(tech)
    via_project = ThreadFactory(project=project)
    via_member = ThreadFactory(members=[tech])
    ThreadFactory()  # another team's channel
    ThreadFactory(project=ProjectFactory())
    ids = {row["id"] for row in api_for(tech).get("/api/threads/").json()["results"]}
    assert ids == {via_project.pk, via_member.pk}


# ----------------------------------------------------------------------- query counts


def _assert_constant(api, url, make_more, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as few:
        assert api.get(url).status_code == 200
    make_more()
    with django_assert_max_num_queries(len(few)):
        response = api.get(url)
    assert response.status_code == 200
    return response


def test_project_list_queries_do_not_grow(admin_api, django_assert_max_num_queries):
    def make(n):
        for project in ProjectFactory.create_batch(n, manager=None):
            TaskFactory(project=project)
            project.members.add(*[])

    make(2)
    response = _assert_constant(
        admin_api, "/api/projects/", lambda: make(5), django_assert_max_num_queries
    )
    assert response.json()["count"] == 7


def test_task_list_queries_do_not_grow(admin_api, django_assert_max_num_queries):
    project = ProjectFactory()

    def make(n):
        for task in TaskFactory.create_batch(n, project=project):
            task.dependencies.add(TaskFactory(project=project))

    make(1)
    response = _assert_constant(
        admin_api, "/api/tasks/", lambda: make(3), django_assert_max_num_queries
    )
    assert response.json()["count"] == 8


def test_thread_list_and_children_queries_do_not_grow(
    make_user, api_for, django_assert_max_num_queries, png_upload
):
    staff = make_user(Role.MANAGER)
    api = api_for(staff)
    thread = ThreadFactory(members=[staff])

    def make(n):
        for _ in range(n):
            ThreadFactory(members=[staff], project=ProjectFactory())
            MessageFactory(thread=thread)
            share_thread_file(thread, upload=png_upload(), uploaded_by=staff)

    make(2)
    with CaptureQueriesContext(connection) as few:
        for url in (
            "/api/threads/",
            f"/api/threads/{thread.pk}/messages/",
            f"/api/threads/{thread.pk}/files/",
        ):
            assert api.get(url).status_code == 200
    make(5)
    with django_assert_max_num_queries(len(few)):
        for url in (
            "/api/threads/",
            f"/api/threads/{thread.pk}/messages/",
            f"/api/threads/{thread.pk}/files/",
        ):
            assert api.get(url).status_code == 200
