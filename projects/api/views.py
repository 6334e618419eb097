from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from nexus.permissions import ModelPermissions
from nexus.uploads import download_response
from tickets.choices import EventChannel

from ..models import Message, Project, Task, TaskTimeEntry, Thread, ThreadFile
from ..services import (
    delete_project,
    delete_task,
    delete_task_time,
    post_message,
    share_thread_file,
)
from .filters import (
    ProjectFilterSet,
    TaskFilterSet,
    TaskTimeEntryFilterSet,
    ThreadFilterSet,
)
from .serializers import (
    MessageSerializer,
    ProjectSerializer,
    TaskSerializer,
    TaskTimeEntrySerializer,
    ThreadFileSerializer,
    ThreadSerializer,
)


class RefetchMixin:
    """Answer a write with the row as a read sees it (annotated figures included)."""

    def _refetch(self, serializer):
        fresh = self.get_queryset().filter(pk=serializer.instance.pk).first()
        if fresh is not None:
            serializer.instance = fresh

    def perform_create(self, serializer):
        serializer.save()
        self._refetch(serializer)

    def perform_update(self, serializer):
        serializer.save()
        self._refetch(serializer)


class ProjectViewSet(RefetchMixin, viewsets.ModelViewSet):
    """Projects (NEXO seed): code is automatic; progress and burn are derived."""

    queryset = Project.objects.none()  # scoped in get_queryset()
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet
    search_fields = ["code", "name", "description", "client__name"]
    ordering_fields = ["code", "name", "status", "deadline", "start_date", "created_at"]

    def get_queryset(self):
        return Project.objects.visible_to(self.request.user).for_api()

    def perform_destroy(self, instance):
        delete_project(instance)


class TaskViewSet(RefetchMixin, viewsets.ModelViewSet):
    """Tasks (NEXO seed); `dependencies` are refused when they would form a cycle."""

    queryset = Task.objects.none()  # scoped in get_queryset()
    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet
    search_fields = ["title", "description", "project__code", "project__name"]
    ordering_fields = ["due_date", "priority", "status", "title", "created_at"]

    def get_queryset(self):
        return Task.objects.visible_to(self.request.user).for_api()

    def perform_destroy(self, instance):
        delete_task(instance)


class TaskTimeEntryViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """Time logged on tasks: billable time is deducted from the project client's
    credits, and deleting an entry refunds them (like a ticket's time)."""

    queryset = TaskTimeEntry.objects.none()  # scoped in get_queryset()
    serializer_class = TaskTimeEntrySerializer
    filterset_class = TaskTimeEntryFilterSet
    search_fields = ["time_entry__note", "task__title", "task__project__code"]
    ordering_fields = ["time_entry__started_at", "time_entry__minutes"]

    def get_queryset(self):
        return TaskTimeEntry.objects.visible_to(self.request.user).for_api()

    def perform_create(self, serializer):
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_update(self, serializer):
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        delete_task_time(instance, by=self.request.user, channel=EventChannel.API)


class ThreadPermissions(ModelPermissions):
    """Messages and files of a thread need the message / shared-file permissions."""

    action_models = {
        "messages": Message,
        "files": ThreadFile,
        "download_file": ThreadFile,
    }

    def has_permission(self, request, view):
        model = self.action_models.get(getattr(view, "action", None))
        if model is None:
            return super().has_permission(request, view)
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return user.has_perms(self.get_required_permissions(request.method, model))


class ThreadViewSet(RefetchMixin, viewsets.ModelViewSet):
    """Conversation threads on a project, a company, or a team channel.

    Client users see only the threads they are members of.
    """

    queryset = Thread.objects.none()  # scoped in get_queryset()
    serializer_class = ThreadSerializer
    filterset_class = ThreadFilterSet
    permission_classes = [ThreadPermissions]
    search_fields = ["title", "project__name", "project__code", "company__name"]
    ordering_fields = ["title", "created_at", "updated_at"]

    def get_queryset(self):
        return Thread.objects.visible_to(self.request.user).for_api()

    def _thread(self) -> Thread:
        # The thread only: without the list annotations and filters.
        return get_object_or_404(
            Thread.objects.visible_to(self.request.user), pk=self.kwargs["pk"]
        )

    @extend_schema(methods=["GET"], responses=MessageSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=MessageSerializer,
        responses={201: MessageSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        serializer_class=MessageSerializer,
        filter_backends=[],
    )
    def messages(self, request, pk=None):
        """The thread's messages, oldest first; POST adds one (Markdown)."""
        thread = self._thread()
        if request.method == "POST":
            payload = self.get_serializer(data=request.data)
            payload.is_valid(raise_exception=True)
            message = post_message(
                thread, author=request.user, body=payload.validated_data["body"]
            )
            message = Message.objects.for_api().get(pk=message.pk)
            return Response(
                self.get_serializer(message).data, status=status.HTTP_201_CREATED
            )
        page = self.paginate_queryset(thread.messages.for_api())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses=ThreadFileSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": ThreadFileSerializer},
        responses={201: ThreadFileSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        serializer_class=ThreadFileSerializer,
        filter_backends=[],
        parser_classes=[parsers.MultiPartParser, parsers.FormParser],
    )
    def files(self, request, pk=None):
        """The thread's shared files, newest first; POST uploads one (multipart)."""
        thread = self._thread()
        if request.method == "POST":
            payload = self.get_serializer(data=request.data)
            payload.is_valid(raise_exception=True)
            shared = share_thread_file(
                thread,
                upload=payload.validated_data["file"],
                uploaded_by=request.user,
            )
            return Response(
                self.get_serializer(shared).data, status=status.HTTP_201_CREATED
            )
        page = self.paginate_queryset(thread.files.for_api())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment."
            )
        }
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"files/(?P<file_id>[0-9]+)/download",
        url_name="download-file",
        filter_backends=[],
        pagination_class=None,
    )
    def download_file(self, request, pk=None, file_id=None):
        """Download a shared file (always as an attachment, never inline)."""
        thread = self._thread()
        shared = get_object_or_404(thread.files.all(), pk=file_id)
        return download_response(
            shared.file,
            filename=shared.original_name,
            content_type=shared.content_type,
        )
