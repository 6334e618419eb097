"""Time on tasks: billed like a ticket's time; budget burn is the sum of entries."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from companies.models import CreditAccount, CreditTransaction
from companies.services import purchase_credits
from projects.models import Project, TaskTimeEntry
from projects.services import (
    delete_project,
    delete_task,
    delete_task_time,
    log_task_time,
)
from tickets.models import TimeEntry

from .factories import ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded_project():
    project = ProjectFactory(
        hourly_rate=Decimal("80.00"),
        budget_hours=Decimal("10"),
        budget_amount=Decimal("1000"),
    )
    purchase_credits(project.client, amount=Decimal("20"))
    return project


def test_budget_burn_equals_sum_of_time_entries(funded_project, make_user, admin_api):
    tech = make_user(Role.TECHNICIAN)
    a = TaskFactory(project=funded_project)
    b = TaskFactory(project=funded_project)
    minutes = [(a, 45, True), (a, 7, False), (b, 130, True), (b, 1, True)]
    for task, m, billable in minutes:
        log_task_time(task, user=tech, minutes=m, billable=billable, note="work")
    TaskFactory()  # time elsewhere must not count
    log_task_time(TaskFactory(), user=tech, minutes=600, billable=False)

    entries = TimeEntry.objects.filter(task_link__task__project=funded_project)
    total = entries.aggregate(n=Sum("minutes"))["n"]
    assert total == sum(m for _, m, _ in minutes) == 183

    for project in (
        Project.objects.get(pk=funded_project.pk),  # computed on demand
        Project.objects.for_api().get(pk=funded_project.pk),  # annotated
    ):
        assert project.spent_minutes == total
        assert project.spent_hours == (Decimal(total) / 60).quantize(Decimal("0.01"))
        assert project.spent_amount == (Decimal(total) * 80 / 60).quantize(
            Decimal("0.01")
        )
    data = admin_api.get(f"/api/projects/{funded_project.pk}/").json()
    assert data["spent_minutes"] == total
    assert Decimal(data["spent_hours"]) == Decimal("3.05")
    assert Decimal(data["spent_amount"]) == Decimal("244.00")
    assert data["budget_hours_used_percent"] == 30
    task_data = admin_api.get(f"/api/tasks/{a.pk}/").json()
    assert task_data["spent_minutes"] == 52


def test_billable_time_deducts_client_credits_and_delete_refunds(
    funded_project, make_user
):
    tech = make_user(Role.TECHNICIAN)
    task = TaskFactory(project=funded_project)
    link = log_task_time(task, user=tech, minutes=90, billable=True)
    account = CreditAccount.objects.get(company=funded_project.client)
    assert account.balance == Decimal("18.50")
    entry = link.time_entry
    assert entry.ticket is None and entry.company == funded_project.client
    assert entry.billed_hours == Decimal("1.50")
    assert CreditTransaction.objects.filter(reference=entry.reference).count() == 1

    log_task_time(task, user=tech, minutes=30, billable=False)
    account.refresh_from_db()
    assert account.balance == Decimal("18.50")

    delete_task_time(link, by=tech)
    account.refresh_from_db()
    assert account.balance == Decimal("20.00")
    assert not TimeEntry.objects.filter(pk=entry.pk).exists()
    assert not TaskTimeEntry.objects.filter(pk=link.pk).exists()


def test_log_task_time_refuses_bad_input_and_short_balance(funded_project, make_user):
    tech = make_user(Role.TECHNICIAN)
    task = TaskFactory(project=funded_project)
    with pytest.raises(ValidationError) as exc:
        log_task_time(task, user=tech, minutes=0)
    assert "minutes" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        log_task_time(task, user=tech, minutes=21 * 60)  # 21 h > 20 credits
    assert "amount" in exc.value.message_dict
    assert not TimeEntry.objects.exists()  # nothing half-written
    client_user = make_user(Role.CLIENT, company=funded_project.client)
    with pytest.raises(PermissionDenied):
        log_task_time(task, user=client_user, minutes=10)


def test_tasks_and_projects_with_time_cannot_be_deleted(funded_project, make_user):
    tech = make_user(Role.TECHNICIAN)
    task = TaskFactory(project=funded_project)
    link = log_task_time(task, user=tech, minutes=10, billable=True)
    with pytest.raises(ValidationError):
        delete_task(task)
    with pytest.raises(ValidationError):
        delete_project(funded_project)
    delete_task_time(link, by=tech)
    delete_project(funded_project)
    assert not Project.objects.filter(pk=funded_project.pk).exists()


def test_time_entry_api(funded_project, make_user, api_for):
    tech = make_user(Role.TECHNICIAN)
    funded_project.members.add(tech)
    task = TaskFactory(project=funded_project)
    api = api_for(tech)
    response = api.post(
        "/api/task-time-entries/",
        {"task_id": task.pk, "minutes": 60, "billable": True, "note": "setup"},
        format="json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["billed_hours"] == "1.00" and data["user"]["id"] == tech.pk
    listing = api.get(f"/api/task-time-entries/?project={funded_project.pk}").json()
    assert listing["count"] == 1
    for bad, field in [
        ({"minutes": 0}, "minutes"),
        ({"minutes": "x"}, "minutes"),
        ({"minutes": 60 * 25}, "minutes"),
        ({"task_id": 999999}, "task_id"),
    ]:
        body = {"task_id": task.pk, "minutes": 10, **bad}
        response = api.post("/api/task-time-entries/", body, format="json")
        assert response.status_code == 400 and field in response.json(), bad
    short = api.post(
        "/api/task-time-entries/",
        {"task_id": task.pk, "minutes": 24 * 60},
        format="json",
    )
    assert short.status_code == 400 and "amount" in short.json()
    delete = api.delete(f"/api/task-time-entries/{data['id']}/")
    assert delete.status_code == 204
    assert CreditAccount.objects.get(company=funded_project.client).balance == 20
    # A task with time cannot be deleted through the API either.
    api.post(
        "/api/task-time-entries/", {"task_id": task.pk, "minutes": 5}, format="json"
    )
    assert api.delete(f"/api/tasks/{task.pk}/").status_code == 400


def test_time_entry_api_hides_other_projects(funded_project, make_user, api_for):
    tech = make_user(Role.TECHNICIAN)
    admin = make_user(Role.ADMIN)
    hidden_task = TaskFactory(project=funded_project)
    log_task_time(hidden_task, user=admin, minutes=10)
    api = api_for(tech)
    assert api.get("/api/task-time-entries/").json()["count"] == 0
    response = api.post(
        "/api/task-time-entries/",
        {"task_id": hidden_task.pk, "minutes": 5},
        format="json",
    )
    assert response.status_code == 400 and "task_id" in response.json()


def test_time_entry_list_queries_do_not_grow(
    funded_project, admin_user, admin_api, django_assert_max_num_queries
):
    funded_project.client.credit_account.allow_overdraft = True
    funded_project.client.credit_account.save()

    def make(n):
        for _ in range(n):
            log_task_time(
                TaskFactory(project=funded_project), user=admin_user, minutes=5
            )

    make(2)
    with CaptureQueriesContext(connection) as few:
        assert admin_api.get("/api/task-time-entries/").status_code == 200
    make(5)
    with django_assert_max_num_queries(len(few)):
        response = admin_api.get("/api/task-time-entries/")
    assert response.json()["count"] == 7


def test_time_entry_api_edit_rebills_the_difference(funded_project, make_user, api_for):
    tech = make_user(Role.TECHNICIAN)
    other_tech = make_user(Role.TECHNICIAN)
    for user in (tech, other_tech):
        funded_project.members.add(user)
    task = TaskFactory(project=funded_project)
    api = api_for(tech)
    created = api.post(
        "/api/task-time-entries/",
        {"task_id": task.pk, "minutes": 90},
        format="json",
    ).json()
    account = CreditAccount.objects.get(company=funded_project.client)
    assert account.balance == Decimal("18.50")
    url = f"/api/task-time-entries/{created['id']}/"
    response = api.patch(url, {"minutes": 30}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["billed_hours"] == "0.50"
    account.refresh_from_db()
    assert account.balance == Decimal("19.50")
    response = api.patch(url, {"billable": False}, format="json")
    assert response.json()["billed_hours"] == "0.00"
    account.refresh_from_db()
    assert account.balance == Decimal("20.00")
    assert api.patch(url, {"minutes": 0}, format="json").status_code == 400
    moved = api.patch(
        url, {"task_id": TaskFactory(project=funded_project).pk}, format="json"
    )
    assert moved.status_code == 400 and "task_id" in moved.json()
    # Someone else's time: the helpdesk's owner rule answers 403.
    assert api_for(other_tech).patch(url, {"minutes": 5}).status_code == 403
    assert api_for(other_tech).delete(url).status_code == 403
    project = Project.objects.for_api().get(pk=funded_project.pk)
    assert project.spent_minutes == 30
