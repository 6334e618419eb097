"""Fleet API: the agent protocol (/api/fleet/…) and staff resources."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from ..fleet import (
    cancel_job,
    create_enrolment_token,
    delete_job_schedule,
    enrol_agent,
    ingest_telemetry,
    max_ingest_bytes,
    queue_jobs,
    record_job_result,
    revoke_agent,
    save_job_schedule,
    take_jobs,
)
from ..fleet_models import (
    Agent,
    AlertRule,
    EnrolmentToken,
    FleetAlert,
    FleetJob,
    JobSchedule,
)
from .filters import FleetAlertFilterSet
from .fleet_auth import AgentKeyAuthentication, AgentRateThrottle, IsAgent
from .fleet_serializers import (
    AgentJobSerializer,
    AgentSerializer,
    AlertRuleSerializer,
    EnrolledSerializer,
    EnrolmentTokenSerializer,
    EnrolSerializer,
    FleetAlertSerializer,
    FleetJobSerializer,
    JobResultSerializer,
    JobScheduleSerializer,
    NewEnrolmentTokenSerializer,
    QueueJobSerializer,
    TelemetrySerializer,
)


def _too_large(request) -> Response | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > max_ingest_bytes():
        return Response(
            {
                "detail": _("The request is larger than %(n)d bytes.")
                % {"n": max_ingest_bytes()}
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    return None


class FleetAgentViewSet(viewsets.GenericViewSet):
    """What an agent calls: enrol, ingest telemetry, fetch jobs, post results.

    Authenticated by `X-Agent-Key` only (never a user session or API key), and
    rate-limited per agent key with the `ingest` rate.
    """

    queryset = FleetJob.objects.none()
    authentication_classes = [AgentKeyAuthentication]
    permission_classes = [IsAgent]
    throttle_classes = [AgentRateThrottle]
    pagination_class = None
    filter_backends = []

    def get_permissions(self):
        if self.action == "enrol":
            return [permissions.AllowAny()]
        return super().get_permissions()

    @extend_schema(request=EnrolSerializer, responses={201: EnrolledSerializer})
    @action(detail=False, methods=["post"], serializer_class=EnrolSerializer)
    def enrol(self, request):
        """Exchange a company's enrolment token for this host's agent key."""
        if (refused := _too_large(request)) is not None:
            return refused
        payload = EnrolSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        agent, key = enrol_agent(data.pop("token"), **data)
        return Response(
            {
                "agent_id": agent.pk,
                "key": key,
                "company": agent.company_id,
                "asset": agent.asset_id,
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=TelemetrySerializer,
        responses={
            202: OpenApiResponse(description="Stored."),
            413: OpenApiResponse(description="Body too large; nothing stored."),
        },
    )
    @action(detail=False, methods=["post"], serializer_class=TelemetrySerializer)
    def ingest(self, request):
        """One telemetry report from the calling agent."""
        if (refused := _too_large(request)) is not None:
            return refused
        payload = TelemetrySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        report = ingest_telemetry(request.auth, dict(payload.validated_data))
        return Response({"report": report.pk}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        operation_id="fleet_agent_jobs", responses=AgentJobSerializer(many=True)
    )
    @action(detail=False, methods=["get"], serializer_class=AgentJobSerializer)
    def jobs(self, request):
        """The calling agent's queued jobs (they become `sent`)."""
        jobs = take_jobs(request.auth)
        return Response(AgentJobSerializer(jobs, many=True).data)

    @extend_schema(request=JobResultSerializer, responses=AgentJobSerializer)
    @action(
        detail=False,
        methods=["post"],
        url_path=r"jobs/(?P<job_id>[0-9]+)/result",
        serializer_class=JobResultSerializer,
    )
    def job_result(self, request, job_id=None):
        """The result of one of the calling agent's jobs."""
        if (refused := _too_large(request)) is not None:
            return refused
        # Another agent's job is a 404, like anything outside one's scope.
        job = get_object_or_404(FleetJob, pk=job_id, agent=request.auth)
        payload = JobResultSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        job = record_job_result(job, agent=request.auth, **payload.validated_data)
        return Response(AgentJobSerializer(job).data)


class EnrolmentTokenViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Enrolment tokens; the token itself is shown once, in the create response."""

    queryset = EnrolmentToken.objects.none()
    serializer_class = EnrolmentTokenSerializer
    filterset_fields = ["company"]
    search_fields = ["name", "prefix", "company__name"]
    ordering_fields = ["created_at", "name"]

    def get_queryset(self):
        return EnrolmentToken.objects.visible_to(self.request.user).for_api()

    @extend_schema(responses={201: NewEnrolmentTokenSerializer})
    def create(self, request, *args, **kwargs):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        token, raw = create_enrolment_token(
            data["company"],
            name=data["name"],
            by=request.user,
            expires_at=data.get("expires_at"),
            max_uses=data.get("max_uses"),
        )
        token.token = raw
        return Response(
            NewEnrolmentTokenSerializer(
                token, context=self.get_serializer_context()
            ).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses=EnrolmentTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = self.get_object()
        if not request.user.has_perm("assets.change_enrolmenttoken"):
            return Response(status=status.HTTP_403_FORBIDDEN)
        if token.revoked_at is None:
            from django.utils import timezone

            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at", "updated_at"])
        return Response(self.get_serializer(token).data)


class AgentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Enrolled agents with their last telemetry; tags and asset are editable."""

    queryset = Agent.objects.none()
    serializer_class = AgentSerializer
    filterset_fields = ["company", "asset"]
    search_fields = ["hostname", "tags", "logged_in_user", "company__name"]
    ordering_fields = ["hostname", "last_seen_at", "disk_percent"]

    def get_queryset(self):
        return Agent.objects.visible_to(self.request.user).for_api()

    @extend_schema(request=None, responses=AgentSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Stop the agent's key from working (queued jobs are cancelled)."""
        agent = self.get_object()
        if not request.user.has_perm("assets.change_agent"):
            return Response(status=status.HTTP_403_FORBIDDEN)
        return Response(self.get_serializer(revoke_agent(agent)).data)


class FleetJobViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Remote jobs and their results (kept as the audit of who ran what)."""

    queryset = FleetJob.objects.none()
    serializer_class = FleetJobSerializer
    filterset_fields = ["company", "agent", "status", "kind", "schedule", "batch"]
    search_fields = ["script", "file_name", "agent__hostname"]
    ordering_fields = ["created_at", "finished_at", "status"]

    def get_queryset(self):
        return FleetJob.objects.visible_to(self.request.user).for_api()

    @extend_schema(
        request=QueueJobSerializer, responses={201: FleetJobSerializer(many=True)}
    )
    def create(self, request, *args, **kwargs):
        """Queue a script or file for agents, or for a company's agents (by tag)."""
        payload = QueueJobSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        upload = data.pop("file", None)
        if upload is not None:
            data["kind"] = "file"
            data["file_name"] = upload.name.rsplit("/", 1)[-1][:200]
            data["file_content"] = upload.read()
        jobs = queue_jobs(by=request.user, **data)
        return Response(
            FleetJobSerializer(
                jobs, many=True, context=self.get_serializer_context()
            ).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses=FleetJobSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        job = self.get_object()
        if not request.user.has_perm("assets.change_fleetjob"):
            return Response(status=status.HTTP_403_FORBIDDEN)
        return Response(self.get_serializer(cancel_job(job, by=request.user)).data)


class JobScheduleViewSet(viewsets.ModelViewSet):
    """Recurring jobs; each has a Celery Beat PeriodicTask kept in step."""

    queryset = JobSchedule.objects.none()
    serializer_class = JobScheduleSerializer
    filterset_fields = ["company", "agent", "enabled"]
    search_fields = ["name", "script", "tag"]
    ordering_fields = ["name", "created_at"]

    def get_queryset(self):
        return JobSchedule.objects.visible_to(self.request.user).for_api()

    def _save(self, serializer, **extra):
        instance = serializer.instance or JobSchedule(**extra)
        for field, value in serializer.validated_data.items():
            setattr(instance, field, value)
        try:
            serializer.instance = save_job_schedule(instance)
        except DjangoValidationError as exc:
            from rest_framework.exceptions import ValidationError

            raise ValidationError(as_serializer_error(exc)) from None

    def perform_create(self, serializer):
        self._save(serializer, created_by=self.request.user)

    def perform_update(self, serializer):
        self._save(serializer)

    def perform_destroy(self, instance):
        delete_job_schedule(instance)


class FleetAlertViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = FleetAlert.objects.none()
    serializer_class = FleetAlertSerializer
    filterset_class = FleetAlertFilterSet
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return FleetAlert.objects.visible_to(self.request.user).for_api()


class AlertRuleViewSet(viewsets.ModelViewSet):
    queryset = AlertRule.objects.none()
    serializer_class = AlertRuleSerializer
    filterset_fields = ["company", "kind", "enabled"]

    def get_queryset(self):
        return AlertRule.objects.visible_to(self.request.user).for_api()
