from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from ..models import SyncJob, SyncRun
from ..services import request_run
from .filters import SyncJobFilterSet, SyncRunFilterSet
from .serializers import (
    RunSyncJobSerializer,
    SyncJobSerializer,
    SyncRunDetailSerializer,
    SyncRunSerializer,
)


class CanRunSyncJobs(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        return bool(
            user and user.is_authenticated and user.has_perm("integrations.run_syncjob")
        )


class SyncJobViewSet(viewsets.ReadOnlyModelViewSet):
    """The four integration jobs, their schedule, health and latest run."""

    queryset = SyncJob.objects.none()  # scoped in get_queryset()
    serializer_class = SyncJobSerializer
    filterset_class = SyncJobFilterSet
    search_fields = ("kind",)
    ordering_fields = ("id", "kind")

    def get_queryset(self):
        return SyncJob.objects.visible_to(self.request.user).for_api()

    @extend_schema(request=RunSyncJobSerializer, responses={202: SyncRunSerializer})
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[CanRunSyncJobs],
        serializer_class=RunSyncJobSerializer,
    )
    def run(self, request, pk=None):
        """Queue a run now (409-free: a busy job answers 400 with the reason)."""
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        run = request_run(
            self.get_object(), user=request.user, **payload.validated_data
        )
        run = SyncRun.objects.for_api().get(pk=run.pk)
        data = SyncRunSerializer(run, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


class SyncRunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Every run of every job, newest first (read-only)."""

    queryset = SyncRun.objects.none()  # scoped in get_queryset()
    serializer_class = SyncRunSerializer
    filterset_class = SyncRunFilterSet
    search_fields = ("job__kind", "log")
    ordering_fields = ("created_at", "finished_at", "status")

    def get_queryset(self):
        runs = SyncRun.objects.visible_to(self.request.user)
        return runs.for_api() if self.action == "retrieve" else runs.for_list()

    def get_serializer_class(self):
        return (
            SyncRunDetailSerializer if self.action == "retrieve" else SyncRunSerializer
        )
