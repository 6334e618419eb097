"""Writes on projects, tasks and threads (STYLE R6).

Each function runs under `transaction.atomic`, validates with `full_clean()` and
raises Django's `ValidationError` with a field dict, which the API answers with 400.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from companies.services import deduct_credits
from nexus.uploads import check_upload
from tickets.choices import EventChannel
from tickets.models import TimeEntry, minutes_to_hours
from tickets.rendering import render_markdown
from tickets.services import delete_time, edit_time

from .choices import TaskStatus
from .models import Message, Project, Task, TaskTimeEntry, Thread, ThreadFile

MAX_MESSAGE_LENGTH = 20_000
MAX_MINUTES = 24 * 60  # one entry is at most a day (tickets.TimeEntry's constraint)


def _names(users) -> str:
    return ", ".join(sorted(str(u) for u in users))


# -------------------------------------------------------------------------- projects


def check_project_members(users, field: str = "members") -> None:
    portal = [u for u in users if u.company_id is not None]
    if portal:
        raise ValidationError(
            {
                field: _("Only staff can be project members, not %(names)s.")
                % {"names": _names(portal)}
            }
        )


@transaction.atomic
def save_project(project: Project, *, members: Iterable | None = None) -> Project:
    """Create or update a project; its code is handed out on first save."""
    if members is not None:
        members = list(members)
        check_project_members(members, "members")
    project.full_clean(exclude=["code"])
    project.save()
    if members is not None:
        project.members.set(members)
    return project


# ----------------------------------------------------------------------------- tasks


def _dependency_path(task: Task, dependencies: list[Task]) -> list[int] | None:
    """The chain dependency → … → task that adding `dependencies` would close.

    Edges go from a task to what it waits on; all edges of the project are read in
    one query and walked in memory (breadth first, so the shortest chain is named).
    """
    through = Task.dependencies.through
    edges: dict[int, list[int]] = {}
    for from_id, to_id in through.objects.filter(
        from_task__project_id=task.project_id
    ).values_list("from_task_id", "to_task_id"):
        if from_id != task.pk:  # the task's own edges are being replaced
            edges.setdefault(from_id, []).append(to_id)
    for start in dependencies:
        parents = {start.pk: None}
        queue = [start.pk]
        while queue:
            current = queue.pop(0)
            if current == task.pk:
                path = []
                while current is not None:
                    path.append(current)
                    current = parents[current]
                return list(reversed(path))
            for nxt in edges.get(current, ()):
                if nxt not in parents:
                    parents[nxt] = current
                    queue.append(nxt)
    return None


def check_task_dependencies(task: Task, dependencies: list[Task]) -> None:
    if any(dep.pk == task.pk for dep in dependencies):
        raise ValidationError({"dependencies": _("A task cannot depend on itself.")})
    foreign = [dep for dep in dependencies if dep.project_id != task.project_id]
    if foreign:
        raise ValidationError(
            {
                "dependencies": _(
                    "A task can only depend on tasks of the same project "
                    "(not on %(titles)s)."
                )
                % {"titles": _names(foreign)}
            }
        )
    if task.pk is None:
        return  # a new task has no dependents yet, so it cannot close a cycle
    path = _dependency_path(task, dependencies)
    if path:
        titles = dict(Task.objects.filter(pk__in=path).values_list("pk", "title"))
        chain = " → ".join(f"“{titles.get(pk, pk)}”" for pk in [task.pk, *path])
        raise ValidationError(
            {
                "dependencies": _("This would create a dependency cycle: %(chain)s.")
                % {"chain": chain},
            },
            code="cycle",
        )


@transaction.atomic
def save_task(task: Task, *, dependencies: Iterable[Task] | None = None) -> Task:
    """Create or update a task; new dependencies are refused if they close a cycle."""
    task.full_clean()
    if dependencies is not None:
        dependencies = list(dependencies)
        check_task_dependencies(task, dependencies)
    if task.pk is not None and dependencies is None:
        moved = Task.objects.filter(pk=task.pk).exclude(project_id=task.project_id)
        if moved.exists() and (task.dependencies.exists() or task.dependents.exists()):
            raise ValidationError(
                {
                    "project_id": _(
                        "Remove the task's dependencies before moving it to "
                        "another project."
                    )
                }
            )
    task.save()
    if dependencies is not None:
        task.dependencies.set(dependencies)
    return task


@transaction.atomic
def set_task_dependencies(task: Task, *, dependencies: Iterable[Task]) -> Task:
    """Replace what a task waits on; a cycle (direct or indirect) is refused."""
    dependencies = list(dependencies)
    check_task_dependencies(task, dependencies)
    task.dependencies.set(dependencies)
    return task


@transaction.atomic
def move_task(task: Task, *, status: str) -> Task:
    """Move a task to another column of the board (pending, in progress, done)."""
    if status not in TaskStatus.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    if status == task.status:
        return task
    task.status = status
    task.full_clean()
    task.save(update_fields=["status", "completed_at", "updated_at"])
    return task


def _in_the_way(what: str) -> ValidationError:
    return ValidationError(
        _(
            "%(what)s has logged time; delete its time entries first (that "
            "refunds the credits they billed)."
        )
        % {"what": what},
        code="protected",
    )


@transaction.atomic
def delete_task(task: Task) -> None:
    """Delete a task that has no logged time (time is billed, so it goes first)."""
    if task.time_entries.exists():
        raise _in_the_way(_("This task"))
    task.delete()


@transaction.atomic
def delete_project(project: Project) -> None:
    """Delete a project, its tasks and threads, if none of its tasks has time."""
    if TaskTimeEntry.objects.filter(task__project=project).exists():
        raise _in_the_way(_("This project"))
    for shared in ThreadFile.objects.filter(thread__project=project):
        delete_thread_file(shared)
    project.delete()


# ---------------------------------------------------------------------- time entries


def _check_minutes(minutes) -> None:
    if (
        not isinstance(minutes, int)
        or isinstance(minutes, bool)
        or not 1 <= minutes <= MAX_MINUTES
    ):
        raise ValidationError(
            {
                "minutes": _("Minutes must be between 1 and %(max)s.")
                % {"max": MAX_MINUTES}
            },
            code="invalid",
        )


@transaction.atomic
def log_task_time(
    task: Task,
    *,
    user,
    minutes: int,
    billable: bool = True,
    note: str = "",
    started_at=None,
) -> TaskTimeEntry:
    """Record time worked on a task as a `tickets.TimeEntry` without a ticket.

    Billable time is deducted from the project client's credits in the same
    transaction, exactly as a ticket's time is (tickets.services.time): the entry
    keeps what it billed, so the helpdesk's edit and delete refund the difference.
    """
    if user is None or user.company_id is not None:
        raise PermissionDenied(_("Only staff can log time."))
    _check_minutes(minutes)
    company = task.project.client
    entry = TimeEntry(
        ticket=None,
        company=company,
        user=user,
        minutes=minutes,
        billable=billable,
        note=note,
        started_at=started_at or timezone.now(),
    )
    entry.full_clean()
    entry.save()
    if billable:
        hours = minutes_to_hours(entry.minutes)
        movement = deduct_credits(
            company,
            amount=hours,
            actor=user,
            reference=entry.reference,
            note=note[:200]
            or _("Time on %(code)s: %(task)s")
            % {"code": task.project.code, "task": task.title},
        )
        entry.billed_hours = hours
        entry.billed_company = company
        entry.over_credit = movement.balance_after < 0
        entry.save(update_fields=["billed_hours", "billed_company", "over_credit"])
    return TaskTimeEntry.objects.create(task=task, time_entry=entry)


@transaction.atomic
def edit_task_time(
    link: TaskTimeEntry, *, by, channel: str = EventChannel.PAGE, **changes
) -> TaskTimeEntry:
    """Change minutes, billable, note or start of time on a task; the helpdesk's
    service re-deducts or refunds the credits by the difference."""
    if "minutes" in changes:
        _check_minutes(changes["minutes"])
    edit_time(link.time_entry, by=by, channel=channel, **changes)
    link.time_entry.refresh_from_db()
    return link


@transaction.atomic
def delete_task_time(
    link: TaskTimeEntry, *, by, channel: str = EventChannel.PAGE
) -> None:
    """Remove time logged on a task; the helpdesk's service refunds its credits."""
    delete_time(link.time_entry, by=by, channel=channel)


# --------------------------------------------------------------------------- threads


def check_thread_members(thread: Thread, members: list) -> None:
    company_id = thread.client_company_id
    strangers = [u for u in members if u.is_portal and u.company_id != company_id]
    if strangers:
        raise ValidationError(
            {
                "members": _(
                    "%(names)s cannot be invited: a client user can join only a "
                    "thread of their own company or of a project for it."
                )
                % {"names": _names(strangers)}
            }
        )


@transaction.atomic
def save_thread(
    thread: Thread, *, members: Iterable | None = None, actor=None
) -> Thread:
    """Create or update a thread; its creator is always a member of a new one."""
    creating = thread.pk is None
    if creating and actor is not None and thread.created_by_id is None:
        thread.created_by = actor
    thread.full_clean()
    if members is not None:
        members = list(members)
    elif not creating:
        members = list(thread.members.all())  # re-check after a change of parent
    if members is not None:
        check_thread_members(thread, members)
    thread.save()
    if members is not None:
        thread.members.set(members)
    if creating and actor is not None and actor.is_authenticated:
        thread.members.add(actor)
    return thread


@transaction.atomic
def invite_to_thread(thread: Thread, *, users: Iterable) -> Thread:
    """Add members to a thread (client users only to their own company's)."""
    users = list(users)
    check_thread_members(thread, users)
    thread.members.add(*users)
    return thread


@transaction.atomic
def post_message(thread: Thread, *, author, body: str) -> Message:
    """Post a Markdown message; its HTML is rendered and sanitised once, here."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")}, code="required")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            {
                "body": _("A message can have at most %(max)s characters.")
                % {"max": MAX_MESSAGE_LENGTH}
            },
            code="max_length",
        )
    message = Message(
        thread=thread, author=author, body=body, body_html=render_markdown(body)
    )
    message.full_clean()
    message.save()
    # Threads are listed by latest activity.
    Thread.objects.filter(pk=thread.pk).update(updated_at=message.created_at)
    return message


@transaction.atomic
def share_thread_file(thread: Thread, *, upload, uploaded_by) -> ThreadFile:
    """Store a file in a thread after the size and content-type checks of tickets."""
    if upload is None:
        raise ValidationError({"file": _("Choose a file.")}, code="required")
    checked = check_upload(upload)
    shared = ThreadFile(
        thread=thread,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=uploaded_by,
    )
    shared.file.save(checked.original_name, upload, save=False)
    shared.save()
    return shared


@transaction.atomic
def delete_thread_file(shared: ThreadFile) -> None:
    """Remove a shared file and, once committed, its stored content."""
    storage, name = shared.file.storage, shared.file.name
    shared.delete()
    transaction.on_commit(lambda: storage.delete(name))
