"""Projects and tasks (the NEXO CRM work items) and collaboration threads."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nexus.models import TimeStampedModel
from nexus.sequences import next_value

from .choices import (
    OPEN_TASK_STATUSES,
    ProjectStatus,
    TaskPriority,
    TaskStatus,
    ThreadKind,
)
from .querysets import (
    MessageQuerySet,
    ProjectQuerySet,
    TaskQuerySet,
    TaskTimeEntryQuerySet,
    ThreadFileQuerySet,
    ThreadQuerySet,
)

MONEY = {"max_digits": 12, "decimal_places": 2}


def _staff_only(user, field: str) -> None:
    if user is not None and user.company_id is not None:
        raise ValidationError(
            {field: _("Choose a staff member, not a client-portal user.")}
        )


class Project(TimeStampedModel):
    """A piece of client work with a budget, a deadline, members and tasks."""

    code = models.CharField(_("code"), max_length=20, editable=False)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    client = models.ForeignKey(
        "companies.Company",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_projects",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ProjectStatus.choices,
        default=ProjectStatus.PLANNING,
        db_index=True,
    )
    budget_amount = models.DecimalField(
        _("budget (money)"), null=True, blank=True, **MONEY
    )
    budget_hours = models.DecimalField(
        _("budget (hours)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    hourly_rate = models.DecimalField(
        _("hourly rate"),
        default=Decimal("0.00"),
        help_text=_("Cost of one hour of work, used for the money burn."),
        **MONEY,
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True, db_index=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        blank=True,
        related_name="projects",
    )

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            models.UniqueConstraint(
                fields=["code"], name="%(app_label)s_%(class)s_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProjectStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(deadline__isnull=True)
                | Q(start_date__isnull=True)
                | Q(deadline__gte=F("start_date")),
                name="%(app_label)s_%(class)s_deadline_after_start",
                violation_error_message=_(
                    "The deadline cannot be before the start date."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(budget_amount__isnull=True) | Q(budget_amount__gte=0))
                & (Q(budget_hours__isnull=True) | Q(budget_hours__gte=0))
                & Q(hourly_rate__gte=0),
                name="%(app_label)s_%(class)s_budget_not_negative",
                violation_error_message=_("Budgets and rates cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}" if self.code else self.name

    def save(self, *args, **kwargs):
        # The code is handed out once, from a race-free counter (nexus.sequences).
        if not self.code:
            self.code = f"PRJ-{next_value('project_code'):04d}"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("projects:project_detail", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        if self.manager_id:
            _staff_only(self.manager, "manager")

    # Figures below come from for_api()/for_list() annotations when present, so a
    # list never runs a query per row; a lone instance computes them itself.

    @property
    def task_total(self) -> int:
        if hasattr(self, "_task_total"):
            return self._task_total or 0
        return self.tasks.count()

    @property
    def task_done(self) -> int:
        if hasattr(self, "_task_done"):
            return self._task_done or 0
        return self.tasks.filter(status=TaskStatus.COMPLETED).count()

    @property
    def progress(self) -> int:
        """Percentage of the project's tasks that are completed (0 without tasks)."""
        total = self.task_total
        return round(100 * self.task_done / total) if total else 0

    @property
    def spent_minutes(self) -> int:
        if hasattr(self, "_spent_minutes"):
            return self._spent_minutes or 0
        from .querysets import spent_minutes_of_project

        return spent_minutes_of_project(self.pk)

    @property
    def spent_hours(self) -> Decimal:
        return (Decimal(self.spent_minutes) / 60).quantize(Decimal("0.01"))

    @property
    def spent_amount(self) -> Decimal:
        """Money burnt: every logged minute at the project's hourly rate."""
        return (Decimal(self.spent_minutes) * self.hourly_rate / 60).quantize(
            Decimal("0.01")
        )

    @property
    def budget_hours_used_percent(self) -> int | None:
        if not self.budget_hours:
            return None
        return round(100 * self.spent_hours / self.budget_hours)

    @property
    def budget_amount_used_percent(self) -> int | None:
        if not self.budget_amount:
            return None
        return round(100 * self.spent_amount / self.budget_amount)


class Task(TimeStampedModel):
    """One piece of work in a project; it may wait on other tasks of the project."""

    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=TaskStatus.choices,
        default=TaskStatus.PENDING,
        db_index=True,
    )
    priority = models.CharField(
        _("priority"),
        max_length=10,
        choices=TaskPriority.choices,
        default=TaskPriority.MEDIUM,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tasks",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True, db_index=True)
    dependencies = models.ManyToManyField(
        "self",
        verbose_name=_("depends on"),
        symmetrical=False,
        blank=True,
        related_name="dependents",
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=TaskStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(priority__in=TaskPriority.values),
                name="%(app_label)s_%(class)s_priority_valid",
            ),
            models.CheckConstraint(
                condition=Q(status=TaskStatus.COMPLETED) | Q(completed_at__isnull=True),
                name="%(app_label)s_%(class)s_completed_at_only_when_completed",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self._sync_completed_at()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "status" in update_fields:
            kwargs["update_fields"] = {*update_fields, "completed_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("projects:project_detail", args=[self.project_id])

    def clean(self) -> None:
        super().clean()
        self._sync_completed_at()
        if self.assignee_id:
            _staff_only(self.assignee, "assignee")

    def _sync_completed_at(self) -> None:
        # completed_at follows the status: set when it becomes completed, cleared
        # when it is reopened (a single-row invariant, so it lives on the model).
        if self.status == TaskStatus.COMPLETED and self.completed_at is None:
            self.completed_at = timezone.now()
        elif self.status != TaskStatus.COMPLETED:
            self.completed_at = None

    @property
    def is_overdue(self) -> bool:
        return (
            self.due_date is not None
            and self.status in OPEN_TASK_STATUSES
            and self.due_date < timezone.localdate()
        )

    @property
    def spent_minutes(self) -> int:
        if hasattr(self, "_spent_minutes"):
            return self._spent_minutes or 0
        from .querysets import spent_minutes_of_task

        return spent_minutes_of_task(self.pk)


class TaskTimeEntry(models.Model):
    """Links a time entry (a `tickets.TimeEntry` without a ticket) to its task.

    The time entry carries the minutes and the credits billed to the project's
    client; deleting it (which refunds them) removes this link too. A task with
    logged time cannot be deleted until its time is.
    """

    task = models.ForeignKey(
        Task,
        verbose_name=_("task"),
        on_delete=models.PROTECT,
        related_name="time_entries",
    )
    time_entry = models.OneToOneField(
        "tickets.TimeEntry",
        verbose_name=_("time entry"),
        on_delete=models.CASCADE,
        related_name="task_link",
    )

    objects = TaskTimeEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-time_entry__started_at", "-id"]
        verbose_name = _("task time entry")
        verbose_name_plural = _("task time entries")

    def __str__(self) -> str:
        return f"{self.task}: {self.time_entry}"


class Thread(TimeStampedModel):
    """A conversation: on a project, on a company, or a team channel of its own."""

    title = models.CharField(_("title"), max_length=200)
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="threads",
    )
    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="threads",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        blank=True,
        related_name="threads",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_threads",
    )

    objects = ThreadQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        constraints = [
            models.CheckConstraint(
                condition=Q(project__isnull=True) | Q(company__isnull=True),
                name="%(app_label)s_%(class)s_one_parent",
                violation_error_message=_(
                    "A thread belongs to a project or to a company, not both."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("projects:thread_detail", args=[self.pk])

    @property
    def kind(self) -> str:
        if self.project_id:
            return ThreadKind.PROJECT
        if self.company_id:
            return ThreadKind.COMPANY
        return ThreadKind.CHANNEL

    @property
    def message_count(self) -> int:
        if hasattr(self, "_message_count"):
            return self._message_count or 0
        return self.messages.count()

    @property
    def last_message_at(self):
        if hasattr(self, "_last_message_at"):
            return self._last_message_at
        return self.messages.aggregate(last=models.Max("created_at"))["last"]

    @property
    def client_company_id(self) -> int | None:
        """The company whose client users may be invited (None: staff only)."""
        if self.project_id:
            return self.project.client_id
        return self.company_id


class Message(models.Model):
    """One post in a thread; the Markdown body is stored with its sanitised HTML."""

    thread = models.ForeignKey(
        Thread,
        verbose_name=_("thread"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="thread_messages",
    )
    body = models.TextField(_("message"))
    body_html = models.TextField(_("message (HTML)"), editable=False, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return self.body[:60]


def thread_file_storage_name(instance, filename: str) -> str:
    """A random name with no user-controlled part; the real name is a column."""
    return f"threads/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class ThreadFile(models.Model):
    """A file shared in a thread, stored under a random name, served by a view."""

    thread = models.ForeignKey(
        Thread,
        verbose_name=_("thread"),
        on_delete=models.CASCADE,
        related_name="files",
    )
    file = models.FileField(
        _("file"), upload_to=thread_file_storage_name, max_length=200
    )
    original_name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="thread_files",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    objects = ThreadFileQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("shared file")
        verbose_name_plural = _("shared files")

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("projects:file_download", args=[self.pk])
