from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import JobHealth
from ..models import SyncJob, SyncRun


class SyncJobBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:sync-job-detail")
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = SyncJob
        fields = ("id", "url", "display", "kind")


class SyncRunBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:sync-run-detail")
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = SyncRun
        fields = ("id", "url", "display", "status", "dry_run", "created_at",
                  "finished_at")  # fmt: skip


class SyncRunSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:sync-run-detail")
    display = serializers.CharField(source="__str__", read_only=True)
    job = SyncJobBriefSerializer(read_only=True)
    # null for scheduled runs (no user); the schema must say so
    triggered_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = SyncRun
        fields = (
            "id", "url", "display", "job", "trigger", "status", "dry_run",
            "triggered_by", "created_at", "started_at", "finished_at",
            "progress_done", "progress_total", "percent", "created_count",
            "updated_count", "unchanged_count", "retired_count", "skipped_count",
            "failed_count", "warnings", "errors", "stats",
        )  # fmt: skip
        read_only_fields = fields


class SyncRunDetailSerializer(SyncRunSerializer):
    class Meta(SyncRunSerializer.Meta):
        fields = (*SyncRunSerializer.Meta.fields, "log")
        read_only_fields = fields


class SyncJobSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:sync-job-detail")
    display = serializers.CharField(source="__str__", read_only=True)
    schedule = serializers.CharField(source="schedule_display", read_only=True)
    health = serializers.SerializerMethodField()
    last_run = SyncRunBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = SyncJob
        fields = ("id", "url", "display", "kind", "enabled", "interval_minutes",
                  "crontab", "schedule", "health", "last_run")  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=JobHealth.choices))
    def get_health(self, job: SyncJob) -> str:
        return job.health()


class RunSyncJobSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False)
