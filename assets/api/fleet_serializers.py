"""Fleet serializers: the agent protocol and the staff resources."""

import base64
import binascii

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from companies.models import Company
from nexus.api import VisiblePKField

from ..choices import JobKind, JobShell
from ..fleet import max_screenshot_bytes
from ..fleet_models import (
    Agent,
    AlertRule,
    EnrolmentToken,
    FleetAlert,
    FleetJob,
    JobSchedule,
)
from ..models import Asset
from .serializers import CompanyRefSerializer

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_FILE_BYTES = 5 * 1024 * 1024

# --- The agent protocol -------------------------------------------------------


class EnrolSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)
    hostname = serializers.CharField(max_length=150)
    platform = serializers.CharField(max_length=100, required=False, default="")
    rmm_device_uid = serializers.CharField(max_length=100, required=False, default="")
    serial = serializers.CharField(max_length=150, required=False, default="")
    agent_version = serializers.CharField(max_length=50, required=False, default="")


class EnrolledSerializer(serializers.Serializer):
    agent_id = serializers.IntegerField()
    key = serializers.CharField(help_text="The agent's key; shown only once.")
    company = serializers.IntegerField()
    asset = serializers.IntegerField(allow_null=True)


class ScreenshotField(serializers.CharField):
    """A base64 PNG no larger than NEXUS_FLEET_MAX_SCREENSHOT_BYTES."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        limit = max_screenshot_bytes()
        if len(text) > (limit * 4) // 3 + 4:
            raise serializers.ValidationError(
                _("The screenshot is larger than %(n)d bytes.") % {"n": limit}
            )
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError(_("Send the PNG as base64.")) from None
        if len(raw) > limit:
            raise serializers.ValidationError(
                _("The screenshot is larger than %(n)d bytes.") % {"n": limit}
            )
        if not raw.startswith(PNG_MAGIC):
            raise serializers.ValidationError(_("The screenshot is not a PNG."))
        return raw


class TelemetrySerializer(serializers.Serializer):
    hostname = serializers.CharField(max_length=150)
    platform = serializers.CharField(max_length=100, required=False)
    operating_system = serializers.CharField(
        max_length=200, required=False, allow_blank=True
    )
    agent_version = serializers.CharField(max_length=50, required=False)
    uptime_seconds = serializers.IntegerField(
        min_value=0, max_value=100 * 365 * 86400, required=False, allow_null=True
    )
    cpu_percent = serializers.FloatField(
        min_value=0, max_value=100, required=False, allow_null=True
    )
    memory_percent = serializers.FloatField(
        min_value=0, max_value=100, required=False, allow_null=True
    )
    disk_percent = serializers.FloatField(
        min_value=0, max_value=100, required=False, allow_null=True
    )
    logged_in_user = serializers.CharField(
        max_length=150, required=False, allow_blank=True
    )
    ip_addresses = serializers.ListField(
        child=serializers.IPAddressField(), max_length=64, required=False
    )
    rmm_device_uid = serializers.CharField(
        max_length=100, required=False, allow_blank=True
    )
    serial = serializers.CharField(max_length=150, required=False, allow_blank=True)
    screenshot = ScreenshotField(required=False)


class AgentJobSerializer(serializers.ModelSerializer):
    """A job as the agent receives it (the file travels as base64)."""

    file_content = serializers.SerializerMethodField()

    class Meta:
        model = FleetJob
        fields = [
            "id",
            "kind",
            "shell",
            "script",
            "file_name",
            "file_content",
            "destination",
            "timeout_seconds",
        ]

    def get_file_content(self, job) -> str:
        return base64.b64encode(bytes(job.file_content or b"")).decode()


class JobResultSerializer(serializers.Serializer):
    exit_code = serializers.IntegerField(min_value=-(2**31), max_value=2**31 - 1)
    stdout = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    stderr = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )


# --- Staff resources ----------------------------------------------------------


class EnrolmentTokenSerializer(serializers.ModelSerializer):
    company = CompanyRefSerializer(read_only=True)
    company_id = VisiblePKField(
        source="company", queryset=Company.objects.all(), write_only=True
    )
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = EnrolmentToken
        fields = [
            "id",
            "company",
            "company_id",
            "name",
            "prefix",
            "expires_at",
            "max_uses",
            "uses",
            "revoked_at",
            "is_active",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["prefix", "uses", "revoked_at", "created_at"]


class NewEnrolmentTokenSerializer(EnrolmentTokenSerializer):
    token = serializers.CharField(
        read_only=True, help_text="The enrolment token; shown only once."
    )

    class Meta(EnrolmentTokenSerializer.Meta):
        fields = [*EnrolmentTokenSerializer.Meta.fields, "token"]


class AgentBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:agent-detail")
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Agent
        fields = ["id", "url", "display", "hostname"]


class AgentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:agent-detail")
    display = serializers.CharField(source="__str__", read_only=True)
    company = CompanyRefSerializer(read_only=True)
    asset = VisiblePKField(
        queryset=Asset.objects.all(), allow_null=True, required=False
    )
    online = serializers.BooleanField(read_only=True)
    health = serializers.CharField(read_only=True)

    class Meta:
        model = Agent
        fields = [
            "id",
            "url",
            "display",
            "company",
            "asset",
            "hostname",
            "tags",
            "platform",
            "operating_system",
            "agent_version",
            "uptime_seconds",
            "cpu_percent",
            "memory_percent",
            "disk_percent",
            "logged_in_user",
            "ip_addresses",
            "last_seen_at",
            "online",
            "health",
            "revoked_at",
            "created_at",
        ]
        read_only_fields = [f for f in fields if f not in ("asset", "tags")]

    def validate_asset(self, asset):
        if asset is not None and self.instance is not None:
            if asset.company_id != self.instance.company_id:
                raise serializers.ValidationError(
                    _("The asset belongs to another company.")
                )
        return asset


class FleetJobSerializer(serializers.ModelSerializer):
    agent = AgentBriefSerializer(read_only=True)
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )
    cancelled_by = serializers.CharField(
        source="cancelled_by.username", read_only=True, default=None, allow_null=True
    )
    file_size = serializers.SerializerMethodField()

    class Meta:
        model = FleetJob
        fields = [
            "id",
            "company",
            "agent",
            "schedule",
            "batch",
            "kind",
            "shell",
            "script",
            "file_name",
            "file_size",
            "destination",
            "timeout_seconds",
            "status",
            "created_by",
            "cancelled_by",
            "created_at",
            "sent_at",
            "deadline_at",
            "finished_at",
            "exit_code",
            "stdout",
            "stderr",
        ]
        read_only_fields = fields

    def get_file_size(self, job) -> int:
        return len(job.file_content or b"")


class QueueJobSerializer(serializers.Serializer):
    """Queue a script or a file for agents, or for a company's agents (with a tag)."""

    agents = serializers.ListField(
        child=VisiblePKField(queryset=Agent.objects.all()),
        required=False,
        default=list,
        max_length=1000,
    )
    company_id = VisiblePKField(
        source="company",
        queryset=Company.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    tag = serializers.CharField(
        max_length=50, required=False, default="", allow_blank=True
    )
    kind = serializers.ChoiceField(choices=JobKind.choices, default=JobKind.SCRIPT)
    shell = serializers.ChoiceField(choices=JobShell.choices, default=JobShell.SH)
    script = serializers.CharField(
        required=False, default="", allow_blank=True, trim_whitespace=False
    )
    file = serializers.FileField(required=False, allow_null=True, default=None)
    destination = serializers.CharField(
        max_length=300, required=False, default="", allow_blank=True
    )
    timeout_seconds = serializers.IntegerField(
        min_value=1, max_value=86400, default=300
    )

    def validate_file(self, upload):
        if upload is not None and upload.size > MAX_FILE_BYTES:
            raise serializers.ValidationError(
                _("Files up to %(n)d bytes can be sent.") % {"n": MAX_FILE_BYTES}
            )
        return upload


class JobScheduleSerializer(serializers.ModelSerializer):
    company_id = VisiblePKField(source="company", queryset=Company.objects.all())
    agent = VisiblePKField(
        queryset=Agent.objects.all(), allow_null=True, required=False
    )
    periodic_task = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = JobSchedule
        fields = [
            "id",
            "company_id",
            "agent",
            "tag",
            "name",
            "shell",
            "script",
            "timeout_seconds",
            "interval_minutes",
            "enabled",
            "periodic_task",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class FleetAlertSerializer(serializers.ModelSerializer):
    agent = AgentBriefSerializer(read_only=True)

    class Meta:
        model = FleetAlert
        fields = [
            "id",
            "agent",
            "kind",
            "message",
            "created_at",
            "resolved_at",
            "ticket",
        ]
        read_only_fields = fields


class AlertRuleSerializer(serializers.ModelSerializer):
    company = VisiblePKField(
        queryset=Company.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = AlertRule
        fields = ["id", "company", "kind", "threshold", "open_ticket", "enabled"]

    def validate(self, attrs):
        # DRF checks neither a unique constraint with a condition (one default
        # rule per kind) nor one over a null company; the model does, so a
        # duplicate is a 400 rather than an IntegrityError.
        rule = AlertRule(pk=getattr(self.instance, "pk", None))
        rule._state.adding = self.instance is None
        for name in ("company", "kind"):
            value = attrs.get(name, getattr(self.instance, name, None))
            setattr(rule, name, value)
        rule.validate_constraints()
        return attrs
