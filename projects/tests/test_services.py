import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.choices import Role
from companies.tests.factories import CompanyFactory
from projects.choices import TaskStatus
from projects.models import Project, Task, Thread
from projects.services import (
    invite_to_thread,
    move_task,
    post_message,
    save_project,
    save_task,
    save_thread,
    set_task_dependencies,
    share_thread_file,
)

from .factories import ProjectFactory, TaskFactory, ThreadFactory

pytestmark = pytest.mark.django_db


def test_save_project_hands_out_sequential_codes():
    client = CompanyFactory()
    first = save_project(Project(name="A", client=client))
    second = save_project(Project(name="B", client=client))
    assert first.code.startswith("PRJ-")
    assert int(second.code[4:]) == int(first.code[4:]) + 1
    first.name = "A2"
    save_project(first)
    first.refresh_from_db()
    assert first.code.startswith("PRJ-") and first.name == "A2"


def test_save_project_rejects_deadline_before_start():
    project = Project(
        name="Late",
        client=CompanyFactory(),
        start_date=datetime.date(2026, 5, 1),
        deadline=datetime.date(2026, 4, 1),
    )
    with pytest.raises(ValidationError) as exc:
        save_project(project)
    assert "deadline" in str(exc.value).lower()
    assert not Project.objects.exists()


def test_save_project_rejects_portal_members_and_manager(make_user):
    company = CompanyFactory()
    client_user = make_user(Role.CLIENT, company=company)
    with pytest.raises(ValidationError) as exc:
        save_project(Project(name="X", client=company), members=[client_user])
    assert "members" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        save_project(Project(name="X", client=company, manager=client_user))
    assert "manager" in exc.value.message_dict


def test_task_dependencies_refuse_self():
    task = TaskFactory()
    with pytest.raises(ValidationError) as exc:
        set_task_dependencies(task, dependencies=[task])
    assert "itself" in exc.value.message_dict["dependencies"][0]


def test_task_dependencies_refuse_direct_cycle():
    a = TaskFactory(title="A")
    b = TaskFactory(title="B", project=a.project)
    set_task_dependencies(a, dependencies=[b])
    with pytest.raises(ValidationError) as exc:
        set_task_dependencies(b, dependencies=[a])
    message = exc.value.message_dict["dependencies"][0]
    assert "cycle" in message and "“B” → “A” → “B”" in message
    assert list(b.dependencies.all()) == []


def test_task_dependencies_refuse_indirect_cycle():
    a, b, c, d = (TaskFactory(title=t) for t in "ABCD")
    for task in (b, c, d):
        task.project = a.project
        task.save()
    set_task_dependencies(a, dependencies=[b])
    set_task_dependencies(b, dependencies=[c])
    set_task_dependencies(c, dependencies=[d])
    with pytest.raises(ValidationError) as exc:
        set_task_dependencies(d, dependencies=[a])
    assert "“D” → “A” → “B” → “C” → “D”" in exc.value.message_dict["dependencies"][0]


def test_task_dependencies_allow_diamond():
    a, b, c, d = (TaskFactory(title=t) for t in "ABCD")
    for task in (b, c, d):
        task.project = a.project
        task.save()
    set_task_dependencies(a, dependencies=[b, c])
    set_task_dependencies(b, dependencies=[d])
    set_task_dependencies(c, dependencies=[d])
    assert set(a.dependencies.all()) == {b, c}
    # Replacing a task's own edges does not count them as part of a cycle.
    set_task_dependencies(a, dependencies=[d])
    assert list(a.dependencies.all()) == [d]


def test_task_dependencies_refuse_other_projects():
    a = TaskFactory()
    other = TaskFactory()
    with pytest.raises(ValidationError) as exc:
        save_task(a, dependencies=[other])
    assert "same project" in exc.value.message_dict["dependencies"][0]


def test_save_task_rejects_portal_assignee(make_user):
    project = ProjectFactory()
    client_user = make_user(Role.CLIENT, company=project.client)
    with pytest.raises(ValidationError) as exc:
        save_task(Task(project=project, title="T", assignee=client_user))
    assert "assignee" in exc.value.message_dict


def test_move_task_sets_and_clears_completed_at():
    task = TaskFactory()
    move_task(task, status=TaskStatus.COMPLETED)
    task.refresh_from_db()
    assert task.completed_at is not None
    move_task(task, status=TaskStatus.IN_PROGRESS)
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS and task.completed_at is None
    with pytest.raises(ValidationError):
        move_task(task, status="done")


def test_project_progress_counts_completed_tasks():
    project = ProjectFactory()
    assert project.progress == 0
    TaskFactory.create_batch(3, project=project)
    TaskFactory(project=project, status=TaskStatus.COMPLETED)
    annotated = Project.objects.for_api().get(pk=project.pk)
    assert (annotated.task_total, annotated.task_done, annotated.progress) == (4, 1, 25)
    assert project.progress == 25


def test_save_thread_adds_creator_and_refuses_strangers(make_user):
    project = ProjectFactory()
    staff = make_user(Role.TECHNICIAN)
    own_client = make_user(Role.CLIENT, company=project.client)
    stranger = make_user(Role.CLIENT, company=CompanyFactory())
    thread = save_thread(
        Thread(title="Kick-off", project=project), members=[own_client], actor=staff
    )
    assert set(thread.members.all()) == {own_client, staff}
    with pytest.raises(ValidationError) as exc:
        invite_to_thread(thread, users=[stranger])
    assert "members" in exc.value.message_dict
    channel = save_thread(Thread(title="Team"), actor=staff)
    with pytest.raises(ValidationError):
        invite_to_thread(channel, users=[own_client])


def test_save_thread_refuses_project_and_company_together():
    project = ProjectFactory()
    with pytest.raises(ValidationError):
        save_thread(Thread(title="Both", project=project, company=project.client))


def test_post_message_sanitises_markdown(make_user):
    thread = ThreadFactory()
    author = make_user(Role.TECHNICIAN)
    message = post_message(
        thread,
        author=author,
        body="**bold** <script>alert(1)</script> [x](javascript:alert(1))",
    )
    assert "<strong>bold</strong>" in message.body_html
    assert "<script" not in message.body_html
    assert "javascript:" not in message.body_html
    with pytest.raises(ValidationError) as exc:
        post_message(thread, author=author, body="   ")
    assert "body" in exc.value.message_dict


def test_share_thread_file_checks_content(make_user, png_upload, settings):
    thread = ThreadFactory()
    user = make_user(Role.TECHNICIAN)
    shared = share_thread_file(thread, upload=png_upload(), uploaded_by=user)
    assert shared.content_type == "image/png"
    assert shared.original_name == "shot.png"
    assert "shot" not in shared.file.name  # random storage name
    html = SimpleUploadedFile("evil.png", b"<html><script>x</script></html>")
    with pytest.raises(ValidationError) as exc:
        share_thread_file(thread, upload=html, uploaded_by=user)
    assert "file" in exc.value.message_dict
    exe = SimpleUploadedFile("tool.exe", b"MZ\x90\x00" + b"\x00" * 100)
    with pytest.raises(ValidationError):
        share_thread_file(thread, upload=exe, uploaded_by=user)
    settings.NEXUS_MAX_UPLOAD_BYTES = 10
    with pytest.raises(ValidationError) as exc:
        share_thread_file(thread, upload=png_upload(), uploaded_by=user)
    assert "too large" in exc.value.message_dict["file"][0]
