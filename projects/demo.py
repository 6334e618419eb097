"""Demo projects with tasks, dependencies, logged time and a thread.

Idempotent: projects are found by (client, name), tasks by (project, title) and
threads by (project, title); time and messages are added only when their project
or thread is first created, so running it again changes nothing.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

DEMO_CLIENT = ("acropolis.client", "nexus-demo-client")

# client account number, name, description, status, budget, hours, rate, tasks
PROJECTS = [
    (
        210101,
        "Practice network refresh",
        "Replace the switches and Wi-Fi at both clinics, with no downtime in hours.",
        "in_progress",
        "6000.00",
        "60",
        "75.00",
        [
            ("Survey both sites", "completed", "high", -20, []),
            ("Order switches and access points", "completed", "medium", -10, [0]),
            ("Install at Main Office", "in_progress", "high", 5, [1]),
            ("Install at Piraeus Clinic", "pending", "high", 12, [2]),
            ("Hand-over and documentation", "pending", "low", 20, [2, 3]),
        ],
    ),
    (
        210202,
        "Warehouse scanner roll-out",
        "Forty handheld scanners on the WMS, with MDM enrolment.",
        "planning",
        "12000.00",
        "90",
        "70.00",
        [
            ("Pilot with five scanners", "pending", "high", 14, []),
            ("MDM profile", "in_progress", "medium", 7, []),
            ("Full roll-out", "pending", "medium", 40, [0, 1]),
        ],
    ),
    (
        210303,
        "Studio backup to the cloud",
        "Nightly backup of the project share, tested restore.",
        "completed",
        "1500.00",
        "16",
        "65.00",
        [
            ("Set up backup job", "completed", "medium", -30, []),
            ("Test restore", "completed", "high", -25, [0]),
        ],
    ),
]
# (project index, task index, minutes, billable, note)
TIME = [
    (0, 0, 180, True, "Site survey, both clinics"),
    (0, 1, 45, False, "Quotes and ordering"),
    (0, 2, 240, True, "Rack work at Main Office"),
    (1, 1, 90, True, "MDM profile draft"),
    (2, 0, 120, True, "Backup job"),
    (2, 1, 60, True, "Restore test"),
]


def _client_user(company):
    from django.contrib.auth.models import Group

    from accounts.choices import Role
    from accounts.models import User

    username, password = DEMO_CLIENT
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            email="client@acropolisdental.example",
            full_name="Eleni Papadaki",
            company=company,
        )
        user.set_password(password)
        user.save()
        user.groups.add(*Group.objects.filter(name=Role.CLIENT))
    return user


@transaction.atomic
def load(stdout=None) -> None:
    from accounts.models import User
    from companies.models import Company
    from companies.services import purchase_credits

    from .models import Project, Task, Thread
    from .services import (
        log_task_time,
        post_message,
        save_project,
        save_task,
        save_thread,
        set_task_dependencies,
    )

    staff = (
        User.objects.filter(is_superuser=True, company__isnull=True)
        .order_by("pk")
        .first()
    )
    if staff is None:
        return
    today = timezone.localdate()
    created = 0
    for number, name, description, status, money, hours, rate, tasks in PROJECTS:
        client = Company.objects.filter(account_number=number).first()
        if client is None:
            continue
        project = Project.objects.filter(client=client, name=name).first()
        if project is not None:
            continue
        created += 1
        project = save_project(
            Project(
                client=client,
                name=name,
                description=description,
                status=status,
                manager=staff,
                budget_amount=Decimal(money),
                budget_hours=Decimal(hours),
                hourly_rate=Decimal(rate),
                start_date=today - datetime.timedelta(days=35),
                deadline=today + datetime.timedelta(days=60),
            ),
            members=[staff],
        )
        rows = []
        for title, task_status, priority, due, _deps in tasks:
            rows.append(
                save_task(
                    Task(
                        project=project,
                        title=title,
                        status=task_status,
                        priority=priority,
                        assignee=staff,
                        due_date=today + datetime.timedelta(days=due),
                    )
                )
            )
        for row, (*_rest, deps) in zip(rows, tasks, strict=True):
            if deps:
                set_task_dependencies(row, dependencies=[rows[i] for i in deps])
        index = [p[1] for p in PROJECTS].index(name)
        for p_index, t_index, minutes, billable, note in TIME:
            if p_index != index:
                continue
            account = getattr(client, "credit_account", None)
            hours_needed = Decimal(minutes) / 60
            if billable and (account is None or account.balance < hours_needed):
                purchase_credits(
                    client, amount=10, actor=staff, reference="demo-projects"
                )
            log_task_time(
                rows[t_index], user=staff, minutes=minutes, billable=billable, note=note
            )
        if index == 0:
            members = [staff, _client_user(client)]
            thread = save_thread(
                Thread(title="Network refresh – coordination", project=project),
                members=members,
                actor=staff,
            )
            post_message(
                thread,
                author=staff,
                body="Hello! We plan the **Main Office** install for Saturday "
                "morning. Does 08:00 suit you?",
            )
            post_message(
                thread,
                author=members[1],
                body="Saturday 08:00 is fine; the front desk opens at 10:00.",
            )
    if not Thread.objects.filter(project__isnull=True, company__isnull=True).exists():
        channel = save_thread(Thread(title="Service desk channel"), actor=staff)
        post_message(channel, author=staff, body="Welcome to the team channel.")
    if stdout:
        stdout.write(
            f"  projects: {created} demo projects created"
            + (
                f"; client '{DEMO_CLIENT[0]}' / '{DEMO_CLIENT[1]}' is invited to "
                "one thread"
                if created
                else ""
            )
        )
