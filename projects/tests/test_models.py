import datetime

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from companies.tests.factories import CompanyFactory
from projects import demo
from projects.choices import TaskStatus, ThreadKind
from projects.models import Message, Project, Task, TaskTimeEntry, Thread

from .factories import ProjectFactory, TaskFactory, ThreadFactory

pytestmark = pytest.mark.django_db


def test_project_code_and_str():
    project = ProjectFactory(name="Website")
    assert project.code.startswith("PRJ-") and len(project.code) == 8
    assert str(project) == f"{project.code} Website"
    assert project.get_absolute_url() == f"/projects/{project.pk}/"


def test_database_refuses_bad_rows():
    project = ProjectFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Project.objects.filter(pk=project.pk).update(
            start_date=datetime.date(2026, 2, 1), deadline=datetime.date(2026, 1, 1)
        )
    with transaction.atomic(), pytest.raises(IntegrityError):
        Project.objects.filter(pk=project.pk).update(status="lost")
    with transaction.atomic(), pytest.raises(IntegrityError):
        Project.objects.create(name="Dup", client=project.client, code=project.code)
    task = TaskFactory()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Task.objects.filter(pk=task.pk).update(priority="urgent")
    with transaction.atomic(), pytest.raises(IntegrityError):
        Thread.objects.create(title="x", project=project, company=project.client)


def test_task_completed_at_follows_status():
    task = TaskFactory(status=TaskStatus.COMPLETED)
    assert task.completed_at is not None
    task.status = TaskStatus.PENDING
    task.save()
    assert task.completed_at is None


def test_thread_kind():
    project = ProjectFactory()
    assert ThreadFactory(project=project).kind == ThreadKind.PROJECT
    assert ThreadFactory(company=CompanyFactory()).kind == ThreadKind.COMPANY
    assert ThreadFactory().kind == ThreadKind.CHANNEL


def test_demo_is_idempotent(admin_user):
    for number in (210101, 210202, 210303):
        CompanyFactory(account_number=number)
    demo.load()
    counts = (
        Project.objects.count(),
        Task.objects.count(),
        Thread.objects.count(),
        Message.objects.count(),
        TaskTimeEntry.objects.count(),
    )
    assert counts[0] == 3 and counts[4] == 6
    demo.load()
    assert counts == (
        Project.objects.count(),
        Task.objects.count(),
        Thread.objects.count(),
        Message.objects.count(),
        TaskTimeEntry.objects.count(),
    )
    client = User.objects.get(username=demo.DEMO_CLIENT[0])
    assert list(Thread.objects.visible_to(client)) == [
        Thread.objects.get(project__client__account_number=210101)
    ]
