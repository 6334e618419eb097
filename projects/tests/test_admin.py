import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Message, Task, Thread
from projects.services import set_task_dependencies, share_thread_file

from .conftest import PNG_BYTES
from .factories import MessageFactory, ProjectFactory, TaskFactory, ThreadFactory

pytestmark = pytest.mark.django_db

MODELS = ["project", "task", "thread", "message", "threadfile", "tasktimeentry"]


def _make(n, admin_user):
    for _ in range(n):
        project = ProjectFactory()
        project.members.add(admin_user)
        task = TaskFactory(project=project)
        thread = ThreadFactory(project=project, members=[admin_user])
        MessageFactory(thread=thread)
        share_thread_file(
            thread,
            upload=SimpleUploadedFile("a.png", PNG_BYTES),
            uploaded_by=admin_user,
        )
        set_task_dependencies(task, dependencies=[TaskFactory(project=project)])


@pytest.mark.parametrize("model", MODELS)
def test_changelist_queries_do_not_grow(
    staff_client, admin_user, model, django_assert_max_num_queries
):
    url = reverse(f"admin:projects_{model}_changelist")
    _make(2, admin_user)
    with CaptureQueriesContext(connection) as few:
        assert staff_client.get(url).status_code == 200
    _make(5, admin_user)
    with django_assert_max_num_queries(len(few)):
        assert staff_client.get(url).status_code == 200


def test_change_pages_render(staff_client, admin_user):
    _make(1, admin_user)
    for obj, model in [
        (Task.objects.first(), "task"),
        (Thread.objects.first(), "thread"),
        (Message.objects.first(), "message"),
    ]:
        url = reverse(f"admin:projects_{model}_change", args=[obj.pk])
        assert staff_client.get(url).status_code == 200
    project = ProjectFactory()
    url = reverse("admin:projects_project_change", args=[project.pk])
    assert staff_client.get(url).status_code == 200
    assert staff_client.get(reverse("admin:projects_project_add")).status_code == 200


def test_admin_refuses_dependency_cycle(staff_client):
    a = TaskFactory(title="A")
    b = TaskFactory(title="B", project=a.project)
    set_task_dependencies(a, dependencies=[b])
    url = reverse("admin:projects_task_change", args=[b.pk])
    response = staff_client.post(
        url,
        {
            "project": b.project_id,
            "title": "B",
            "status": "pending",
            "priority": "medium",
            "dependencies": [a.pk],
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "dependency cycle" in response.content.decode()
    assert not b.dependencies.exists()


def test_admin_thread_inline_message_is_sanitised(staff_client, admin_user):
    thread = ThreadFactory(members=[admin_user])
    url = reverse("admin:projects_thread_change", args=[thread.pk])
    response = staff_client.post(
        url,
        {
            "title": thread.title,
            "members": [admin_user.pk],
            "messages-TOTAL_FORMS": "1",
            "messages-INITIAL_FORMS": "0",
            "messages-MIN_NUM_FORMS": "0",
            "messages-MAX_NUM_FORMS": "1000",
            "messages-0-body": "**hi** <script>bad()</script>",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    message = thread.messages.get()
    assert message.author == admin_user
    assert "<strong>hi</strong>" in message.body_html
    assert "<script" not in message.body_html
