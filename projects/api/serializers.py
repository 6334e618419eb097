"""Projects, tasks and threads over the API, with the NEXO seed's field names.

Reads nest brief serializers; related writes are `<name>_id` fields scoped to what
the caller can see (STYLE R11). The seed's spellings are accepted as aliases:
`client_id`, `project_id`, `assigned_to`, `budget`, and "in-progress".
"""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserBriefSerializer
from companies.api.serializers import CompanyBriefSerializer
from companies.models import Company
from nexus.api import VisiblePKField

from ..choices import ProjectStatus, TaskPriority, TaskStatus, ThreadKind
from ..models import Message, Project, Task, TaskTimeEntry, Thread, ThreadFile
from ..services import (
    edit_task_time,
    log_task_time,
    save_project,
    save_task,
    save_thread,
)

User = get_user_model()


class SeedChoiceField(serializers.ChoiceField):
    """A choice that also accepts the seed's hyphenated spelling ("in-progress")."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = data.strip().lower().replace("-", "_")
        return super().to_internal_value(data)


class AliasMixin:
    """Copy the seed's field names onto ours before validation (ours win)."""

    aliases: dict[str, str] = {}

    def to_internal_value(self, data):
        if not hasattr(data, "items") or not any(a in data for a in self.aliases):
            return super().to_internal_value(data)
        if hasattr(data, "getlist"):  # a form or multipart QueryDict: keep lists
            data = data.copy()
            for alias, name in self.aliases.items():
                if alias in data:
                    values = data.getlist(alias)
                    del data[alias]
                    if name not in data:
                        data.setlist(name, values)
        else:
            data = dict(data)
            for alias, name in self.aliases.items():
                if alias in data:
                    data.setdefault(name, data.pop(alias))
        return super().to_internal_value(data)


class ProjectBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:project-detail")
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Project
        fields = ["id", "url", "code", "name", "display"]


class ProjectSerializer(AliasMixin, serializers.ModelSerializer):
    aliases = {
        "client": "client_id",
        "budget": "budget_amount",
        "manager": "manager_id",
    }

    url = serializers.HyperlinkedIdentityField(view_name="api:project-detail")
    status = SeedChoiceField(choices=ProjectStatus.choices, required=False)
    client = CompanyBriefSerializer(read_only=True)
    client_id = VisiblePKField(
        source="client", queryset=Company.objects.all(), write_only=True
    )
    manager = UserBriefSerializer(read_only=True)
    manager_id = VisiblePKField(
        source="manager",
        queryset=User.objects.staff(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    members = VisiblePKField(queryset=User.objects.staff(), many=True, required=False)
    task_count = serializers.IntegerField(source="task_total", read_only=True)
    completed_task_count = serializers.IntegerField(source="task_done", read_only=True)
    progress = serializers.IntegerField(
        read_only=True, help_text="Percentage of the tasks that are completed."
    )
    spent_minutes = serializers.IntegerField(read_only=True)
    spent_hours = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True
    )
    spent_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text="Logged hours at the hourly rate.",
    )
    budget_hours_used_percent = serializers.IntegerField(
        read_only=True, allow_null=True
    )
    budget_amount_used_percent = serializers.IntegerField(
        read_only=True, allow_null=True
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "url",
            "code",
            "name",
            "description",
            "status",
            "client",
            "client_id",
            "manager",
            "manager_id",
            "members",
            "budget_amount",
            "budget_hours",
            "hourly_rate",
            "start_date",
            "deadline",
            "task_count",
            "completed_task_count",
            "progress",
            "spent_minutes",
            "spent_hours",
            "spent_amount",
            "budget_hours_used_percent",
            "budget_amount_used_percent",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["code", "created_at", "updated_at"]
        extra_kwargs = {
            "budget_amount": {"min_value": Decimal("0")},
            "budget_hours": {"min_value": Decimal("0")},
            "hourly_rate": {"min_value": Decimal("0")},
        }

    def create(self, validated_data):
        members = validated_data.pop("members", None)
        return save_project(Project(**validated_data), members=members)

    def update(self, instance, validated_data):
        members = validated_data.pop("members", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return save_project(instance, members=members)


class TaskBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:task-detail")

    class Meta:
        model = Task
        fields = ["id", "url", "title", "status"]


class TaskSerializer(AliasMixin, serializers.ModelSerializer):
    aliases = {
        "assigned_to": "assignee_id",
        "assignee": "assignee_id",
        "project": "project_id",
    }

    url = serializers.HyperlinkedIdentityField(view_name="api:task-detail")
    status = SeedChoiceField(choices=TaskStatus.choices, required=False)
    priority = SeedChoiceField(choices=TaskPriority.choices, required=False)
    project = ProjectBriefSerializer(read_only=True)
    project_id = VisiblePKField(
        source="project", queryset=Project.objects.all(), write_only=True
    )
    assignee = UserBriefSerializer(read_only=True)
    assignee_id = VisiblePKField(
        source="assignee",
        queryset=User.objects.staff(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    dependencies = VisiblePKField(
        queryset=Task.objects.all(),
        many=True,
        required=False,
        help_text="Ids of tasks of the same project this task waits on; "
        "a cycle is refused.",
    )
    is_overdue = serializers.BooleanField(read_only=True)
    spent_minutes = serializers.IntegerField(read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "url",
            "project",
            "project_id",
            "title",
            "description",
            "status",
            "priority",
            "assignee",
            "assignee_id",
            "due_date",
            "dependencies",
            "completed_at",
            "is_overdue",
            "spent_minutes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["completed_at", "created_at", "updated_at"]

    def create(self, validated_data):
        dependencies = validated_data.pop("dependencies", None)
        return save_task(Task(**validated_data), dependencies=dependencies)

    def update(self, instance, validated_data):
        dependencies = validated_data.pop("dependencies", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return save_task(instance, dependencies=dependencies)


class ThreadBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:thread-detail")

    class Meta:
        model = Thread
        fields = ["id", "url", "title"]


class ThreadSerializer(AliasMixin, serializers.ModelSerializer):
    aliases = {"project": "project_id", "company": "company_id"}

    url = serializers.HyperlinkedIdentityField(view_name="api:thread-detail")
    kind = serializers.ChoiceField(choices=ThreadKind.choices, read_only=True)
    project = ProjectBriefSerializer(read_only=True)
    project_id = VisiblePKField(
        source="project",
        queryset=Project.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    company = CompanyBriefSerializer(read_only=True)
    company_id = VisiblePKField(
        source="company",
        queryset=Company.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    members = VisiblePKField(queryset=User.objects.all(), many=True, required=False)
    created_by = UserBriefSerializer(read_only=True)
    message_count = serializers.IntegerField(read_only=True)
    last_message_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Thread
        fields = [
            "id",
            "url",
            "title",
            "kind",
            "project",
            "project_id",
            "company",
            "company_id",
            "members",
            "created_by",
            "message_count",
            "last_message_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def create(self, validated_data):
        members = validated_data.pop("members", None)
        return save_thread(
            Thread(**validated_data),
            members=members,
            actor=self.context["request"].user,
        )

    def update(self, instance, validated_data):
        members = validated_data.pop("members", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return save_thread(instance, members=members)


class MessageSerializer(serializers.ModelSerializer):
    author = UserBriefSerializer(read_only=True)
    body = serializers.CharField(help_text="Markdown; rendered into body_html.")

    class Meta:
        model = Message
        fields = ["id", "thread", "author", "body", "body_html", "created_at"]
        read_only_fields = ["thread", "body_html", "created_at"]


class ThreadFileSerializer(serializers.ModelSerializer):
    uploaded_by = UserBriefSerializer(read_only=True)
    file = serializers.FileField(write_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ThreadFile
        fields = [
            "id",
            "thread",
            "file",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "download_url",
            "created_at",
        ]
        read_only_fields = [
            "thread",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "created_at",
        ]

    @extend_schema_field(serializers.CharField())
    def get_download_url(self, obj: ThreadFile) -> str:
        path = reverse(
            "api:thread-download-file",
            kwargs={"pk": obj.thread_id, "file_id": obj.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class TaskTimeEntrySerializer(serializers.ModelSerializer):
    """Time logged on a task; billable time is deducted from the client's credits."""

    task = TaskBriefSerializer(read_only=True)
    task_id = VisiblePKField(
        source="task", queryset=Task.objects.all(), write_only=True
    )
    project = ProjectBriefSerializer(source="task.project", read_only=True)
    user = UserBriefSerializer(source="time_entry.user", read_only=True)
    time_entry_id = serializers.IntegerField(read_only=True)
    minutes = serializers.IntegerField(
        source="time_entry.minutes", min_value=1, max_value=24 * 60
    )
    billable = serializers.BooleanField(source="time_entry.billable", default=True)
    note = serializers.CharField(
        source="time_entry.note", required=False, allow_blank=True, default=""
    )
    started_at = serializers.DateTimeField(
        source="time_entry.started_at", required=False
    )
    billed_hours = serializers.DecimalField(
        source="time_entry.billed_hours",
        max_digits=10,
        decimal_places=2,
        read_only=True,
        help_text="Credits deducted from the client for this entry.",
    )
    over_credit = serializers.BooleanField(
        source="time_entry.over_credit", read_only=True
    )

    class Meta:
        model = TaskTimeEntry
        fields = [
            "id",
            "task",
            "task_id",
            "project",
            "user",
            "time_entry_id",
            "minutes",
            "billable",
            "note",
            "started_at",
            "billed_hours",
            "over_credit",
        ]

    def create(self, validated_data):
        entry = validated_data.pop("time_entry")
        return log_task_time(
            validated_data["task"],
            user=self.context["request"].user,
            minutes=entry["minutes"],
            billable=entry.get("billable", True),
            note=entry.get("note", ""),
            started_at=entry.get("started_at"),
        )

    def update(self, instance, validated_data):
        from tickets.choices import EventChannel

        task = validated_data.pop("task", None)
        if task is not None and task.pk != instance.task_id:
            raise serializers.ValidationError(
                {
                    "task_id": _(
                        "Time cannot be moved to another task; delete it "
                        "and log it again."
                    )
                }
            )
        changes = validated_data.pop("time_entry", {})
        return edit_task_time(
            instance,
            by=self.context["request"].user,
            channel=EventChannel.API,
            **changes,
        )
