from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_PROJECT_STATUSES = frozenset({ProjectStatus.PLANNING, ProjectStatus.IN_PROGRESS})


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


OPEN_TASK_STATUSES = frozenset({TaskStatus.PENDING, TaskStatus.IN_PROGRESS})


class TaskPriority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ThreadKind(models.TextChoices):
    """Derived from what a thread is attached to (not stored)."""

    PROJECT = "project", _("Project thread")
    COMPANY = "company", _("Company thread")
    CHANNEL = "channel", _("Team channel")
