"""Reads: who sees which projects, tasks and threads (ARCHITECTURE rule 1).

- Admins, managers and billing see every project and task; other staff see the
  projects they manage or are members of, their tasks, and tasks assigned to them.
- Admins and managers see every thread; other staff see threads they are members
  of and the threads of projects they can see.
- Client-portal users see nothing of projects or tasks: only the threads they were
  invited to (as members), with those threads' messages and files.
"""

from django.db import models
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from accounts.choices import Role

ALL_PROJECTS_ROLES = (Role.ADMIN, Role.MANAGER, Role.BILLING)
ALL_THREADS_ROLES = (Role.ADMIN, Role.MANAGER)


def _count(queryset, group_by: str):
    """A correlated COUNT(*) subquery, so several counts never multiply joins."""
    return Coalesce(
        Subquery(
            queryset.order_by()
            .values(group_by)
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def _sum_minutes(queryset, group_by: str):
    return Coalesce(
        Subquery(
            queryset.order_by()
            .values(group_by)
            .annotate(n=Sum("time_entry__minutes"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def _time_entry_model():
    from .models import TaskTimeEntry

    return TaskTimeEntry


def spent_minutes_of_project(project_id) -> int:
    return (
        _time_entry_model()
        .objects.filter(task__project_id=project_id)
        .aggregate(n=Sum("time_entry__minutes"))["n"]
        or 0
    )


def spent_minutes_of_task(task_id) -> int:
    return (
        _time_entry_model()
        .objects.filter(task_id=task_id)
        .aggregate(n=Sum("time_entry__minutes"))["n"]
        or 0
    )


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated or user.is_portal:
            return self.none()
        if user.has_role(*ALL_PROJECTS_ROLES):
            return self
        membership = self.model.members.through.objects.filter(
            project_id=OuterRef("pk"), user_id=user.pk
        )
        return self.filter(Q(manager_id=user.pk) | Q(Exists(membership)))

    def with_figures(self):
        """Task counts and logged minutes, as columns (no query per row)."""
        from .models import Task

        tasks = Task.objects.filter(project_id=OuterRef("pk"))
        return self.annotate(
            _task_total=_count(tasks, "project_id"),
            _task_done=_count(tasks.filter(status="completed"), "project_id"),
            _spent_minutes=_sum_minutes(
                _time_entry_model().objects.filter(task__project_id=OuterRef("pk")),
                "task__project_id",
            ),
        )

    def for_api(self):
        return (
            self.select_related("client", "manager")
            .prefetch_related("members")
            .with_figures()
        )

    def for_list(self):
        return self.select_related("client", "manager").with_figures()


class TaskQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated or user.is_portal:
            return self.none()
        if user.has_role(*ALL_PROJECTS_ROLES):
            return self
        from .models import Project

        projects = Project.objects.visible_to(user).values("pk")
        return self.filter(Q(project_id__in=projects) | Q(assignee_id=user.pk))

    def overdue(self, *, today=None):
        from django.utils import timezone

        from .choices import OPEN_TASK_STATUSES

        return self.filter(
            status__in=OPEN_TASK_STATUSES,
            due_date__lt=today or timezone.localdate(),
        )

    def with_figures(self):
        return self.annotate(
            _spent_minutes=_sum_minutes(
                _time_entry_model().objects.filter(task_id=OuterRef("pk")), "task_id"
            )
        )

    def for_api(self):
        return (
            self.select_related("project__client", "assignee")
            .prefetch_related("dependencies")
            .with_figures()
        )

    def for_list(self):
        return self.select_related("project__client", "assignee").with_figures()


class ThreadQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if not user.is_portal and user.has_role(*ALL_THREADS_ROLES):
            return self
        membership = Exists(
            self.model.members.through.objects.filter(
                thread_id=OuterRef("pk"), user_id=user.pk
            )
        )
        if user.is_portal:
            return self.filter(membership)
        from .models import Project

        projects = Project.objects.visible_to(user).values("pk")
        return self.filter(Q(membership) | Q(project_id__in=projects))

    def with_figures(self):
        from .models import Message

        messages = Message.objects.filter(thread_id=OuterRef("pk"))
        return self.annotate(
            _message_count=_count(messages, "thread_id"),
            _last_message_at=Subquery(
                messages.order_by()
                .values("thread_id")
                .annotate(last=Max("created_at"))
                .values("last")[:1]
            ),
        )

    def for_api(self):
        return (
            self.select_related("project__client", "company", "created_by")
            .prefetch_related("members")
            .with_figures()
        )

    def for_list(self):
        return self.select_related(
            "project__client", "company", "created_by"
        ).with_figures()


class MessageQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .models import Thread

        return self.filter(thread_id__in=Thread.objects.visible_to(user).values("pk"))

    def for_api(self):
        return self.select_related("author", "thread")

    def for_list(self):
        return self.for_api()


class ThreadFileQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .models import Thread

        return self.filter(thread_id__in=Thread.objects.visible_to(user).values("pk"))

    def for_api(self):
        return self.select_related("uploaded_by", "thread")

    def for_list(self):
        return self.for_api()


class TaskTimeEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .models import Task

        return self.filter(task_id__in=Task.objects.visible_to(user).values("pk"))

    def for_api(self):
        return self.select_related("task__project", "time_entry__user")

    def for_list(self):
        return self.for_api()
