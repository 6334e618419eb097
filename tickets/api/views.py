from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle

from nexus.permissions import ModelPermissions

from ..choices import EventChannel, TicketStatus
from ..models import (
    Attachment,
    CannedResponse,
    Comment,
    SlaPolicy,
    Ticket,
    TicketEvent,
    TimeEntry,
)
from ..services import (
    add_attachment,
    assign_ticket,
    create_ticket,
    delete_attachment,
    delete_comment,
    delete_ticket,
    delete_time,
    edit_time,
    log_time,
    merge_tickets,
    reply_to_ticket,
    split_ticket,
    transition_ticket,
    update_ticket,
)
from .filters import (
    AttachmentFilterSet,
    CannedResponseFilterSet,
    CommentFilterSet,
    SlaPolicyFilterSet,
    TicketFilterSet,
    TimeEntryFilterSet,
)
from .serializers import (
    AssignTicketSerializer,
    AttachmentSerializer,
    CannedResponseSerializer,
    CommentSerializer,
    MergeTicketSerializer,
    SlaPolicySerializer,
    SplitTicketSerializer,
    TicketEventSerializer,
    TicketSerializer,
    TicketTimeEntrySerializer,
    TimeEntrySerializer,
    TransitionTicketSerializer,
)

API = EventChannel.API


class PortalTicketThrottle(UserRateThrottle):
    """Clients open tickets at a human pace (OWASP API6: sensitive flows)."""

    scope = "portal_tickets"

    def __init__(self):
        self.rate = getattr(settings, "NEXUS_PORTAL_TICKET_RATE", "60/hour")
        super().__init__()

    def allow_request(self, request, view):
        if not getattr(request.user, "is_portal", False):
            return True
        return super().allow_request(request, view)


class TicketPermissions(ModelPermissions):
    """Model permissions, with the nested actions checked against the model they
    read or write (a comment needs add_comment, not add_ticket)."""

    action_perms = {
        ("comments", "GET"): ["tickets.view_comment"],
        ("comments", "POST"): ["tickets.add_comment"],
        ("attachments", "GET"): ["tickets.view_attachment"],
        ("attachments", "POST"): ["tickets.add_attachment"],
        ("time_entries", "GET"): ["tickets.view_timeentry"],
        ("time_entries", "POST"): ["tickets.add_timeentry"],
        ("events", "GET"): ["tickets.view_ticketevent"],
        ("merge", "POST"): ["tickets.change_ticket"],
        ("split", "POST"): ["tickets.add_ticket", "tickets.change_ticket"],
        ("transition", "POST"): ["tickets.change_ticket"],
        ("assign", "POST"): ["tickets.change_ticket"],
    }

    def has_permission(self, request, view):
        key = (getattr(view, "action", None), request.method)
        if key in self.action_perms:
            user = request.user
            return bool(
                user
                and user.is_authenticated
                and user.has_perm("tickets.view_ticket")
                and user.has_perms(self.action_perms[key])
            )
        return super().has_permission(request, view)


class TicketViewSet(viewsets.ModelViewSet):
    queryset = Ticket.objects.none()  # scoped in get_queryset()
    serializer_class = TicketSerializer
    filterset_class = TicketFilterSet
    permission_classes = [TicketPermissions]
    search_fields = [
        "number",
        "title",
        "description",
        "company__name",
        "requester__email",
    ]
    ordering_fields = [
        "created_at",
        "updated_at",
        "number",
        "priority",
        "status",
        "first_response_due_at",
        "resolution_due_at",
    ]
    ordering = ["-created_at"]

    def get_queryset(self):
        return Ticket.objects.visible_to(self.request.user).for_api()

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(PortalTicketThrottle())
        return throttles

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        status_wanted = data.pop("status", TicketStatus.NEW)
        user = self.request.user
        if status_wanted != TicketStatus.NEW and user.is_portal:
            raise ValidationError({"status": _("Clients cannot set the status.")})
        ticket = create_ticket(by=user, channel=API, **data)
        if status_wanted != TicketStatus.NEW:
            ticket = transition_ticket(
                ticket, status=status_wanted, by=user, channel=API
            )
        serializer.instance = ticket

    def perform_update(self, serializer):
        serializer.instance = update_ticket(
            serializer.instance,
            by=self.request.user,
            channel=API,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        delete_ticket(instance, by=self.request.user, channel=API)

    def _ticket_response(self, ticket, *, code=status.HTTP_200_OK):
        ticket = self.get_queryset().get(pk=ticket.pk)
        return Response(
            TicketSerializer(ticket, context=self.get_serializer_context()).data,
            status=code,
        )

    def _page(self, queryset, serializer_class, **context):
        page = self.paginate_queryset(queryset)
        serializer = serializer_class(
            page, many=True, context={**self.get_serializer_context(), **context}
        )
        return self.get_paginated_response(serializer.data)

    # One schema per method: the POST takes no list parameters (limit, offset, …)
    # and answers 201 only (fuzzing: POST …?offset=-1 was documented, and ignored);
    # the GET pages but neither searches nor orders (`_page` applies no filters).
    @extend_schema(
        methods=["GET"], responses=CommentSerializer(many=True), filters=False
    )
    @extend_schema(
        methods=["POST"],
        request=CommentSerializer,
        responses={201: CommentSerializer},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None)
    def comments(self, request, pk=None):
        ticket = self.get_object()
        if request.method == "GET":
            comments = (
                Comment.objects.visible_to(request.user).filter(ticket=ticket).for_api()
            )
            return self._page(comments, CommentSerializer)
        payload = CommentSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        comment = reply_to_ticket(
            ticket,
            by=request.user,
            body=payload.validated_data["body"],
            is_internal=payload.validated_data.get("is_internal", False),
            channel=API,
        )
        comment = Comment.objects.for_api().get(pk=comment.pk)
        return Response(
            CommentSerializer(comment, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"], responses=AttachmentSerializer(many=True), filters=False
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": AttachmentSerializer},
        responses={201: AttachmentSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser],
        filterset_class=None,
    )
    def attachments(self, request, pk=None):
        ticket = self.get_object()
        context = {**self.get_serializer_context(), "ticket": ticket}
        if request.method == "GET":
            files = (
                Attachment.objects.visible_to(request.user)
                .filter(ticket=ticket)
                .for_api()
            )
            return self._page(files, AttachmentSerializer, ticket=ticket)
        payload = AttachmentSerializer(data=request.data, context=context)
        payload.is_valid(raise_exception=True)
        attachment = add_attachment(
            ticket,
            upload=payload.validated_data["file"],
            comment=payload.validated_data.get("comment"),
            by=request.user,
            channel=API,
        )
        return Response(
            AttachmentSerializer(attachment, context=context).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"], responses=TimeEntrySerializer(many=True), filters=False
    )
    @extend_schema(
        methods=["POST"],
        request=TicketTimeEntrySerializer,
        responses={201: TimeEntrySerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="time-entries",
        filterset_class=None,
    )
    def time_entries(self, request, pk=None):
        ticket = self.get_object()
        if request.method == "GET":
            entries = (
                TimeEntry.objects.visible_to(request.user)
                .filter(ticket=ticket)
                .for_api()
            )
            return self._page(entries, TimeEntrySerializer)
        payload = TicketTimeEntrySerializer(
            data=request.data, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        entry = log_time(
            ticket=ticket, by=request.user, channel=API, **payload.validated_data
        )
        entry = TimeEntry.objects.for_api().get(pk=entry.pk)
        return Response(
            TimeEntrySerializer(entry, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses=TicketEventSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None)
    def events(self, request, pk=None):
        ticket = self.get_object()
        events = (
            TicketEvent.objects.visible_to(request.user).filter(ticket=ticket).for_api()
        )
        return self._page(events, TicketEventSerializer)

    @extend_schema(request=MergeTicketSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def merge(self, request, pk=None):
        """Merge this ticket into `into`; returns the receiving ticket."""
        source = self.get_object()
        payload = MergeTicketSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        target = merge_tickets(
            source, into=payload.validated_data["into"], by=request.user, channel=API
        )
        return self._ticket_response(target)

    @extend_schema(request=SplitTicketSerializer, responses={201: TicketSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def split(self, request, pk=None):
        """Turn one public comment of this ticket into a new ticket."""
        ticket = self.get_object()
        payload = SplitTicketSerializer(
            data=request.data,
            context={**self.get_serializer_context(), "ticket": ticket},
        )
        payload.is_valid(raise_exception=True)
        new = split_ticket(
            payload.validated_data["comment"],
            by=request.user,
            channel=API,
            title=payload.validated_data.get("title", ""),
        )
        return self._ticket_response(new, code=status.HTTP_201_CREATED)

    @extend_schema(request=TransitionTicketSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def transition(self, request, pk=None):
        """Change the status; a change the workflow forbids is a 400."""
        ticket = self.get_object()
        payload = TransitionTicketSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ticket = transition_ticket(
            ticket,
            status=payload.validated_data["status"],
            by=request.user,
            channel=API,
        )
        return self._ticket_response(ticket)

    @extend_schema(request=AssignTicketSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"], filterset_class=None)
    def assign(self, request, pk=None):
        """Assign (or unassign with null) within the caller's department scope."""
        ticket = self.get_object()
        payload = AssignTicketSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        ticket = assign_ticket(
            ticket,
            assignee=payload.validated_data["assignee_id"],
            by=request.user,
            channel=API,
        )
        return self._ticket_response(ticket)


class CommentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Comments across tickets (filter with ?ticket=); write through a ticket."""

    queryset = Comment.objects.none()
    serializer_class = CommentSerializer
    filterset_class = CommentFilterSet
    search_fields = ["body"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return Comment.objects.visible_to(self.request.user).for_api()

    def perform_destroy(self, instance):
        delete_comment(instance, by=self.request.user, channel=API)


class AttachmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Attachments; upload through /api/tickets/<id>/attachments."""

    queryset = Attachment.objects.none()
    serializer_class = AttachmentSerializer
    filterset_class = AttachmentFilterSet
    search_fields = ["original_name"]
    ordering_fields = ["created_at", "size"]

    def get_queryset(self):
        return Attachment.objects.visible_to(self.request.user).for_api()

    def perform_destroy(self, instance):
        delete_attachment(instance, by=self.request.user, channel=API)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"], filterset_class=None)
    def download(self, request, pk=None):
        """The file itself, always as a download (never rendered inline)."""
        attachment = get_object_or_404(self.get_queryset(), pk=pk)
        return attachment_response(attachment)


def attachment_response(attachment: Attachment) -> FileResponse:
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


class TimeEntryViewSet(viewsets.ModelViewSet):
    """Time worked; billable entries move the company's credits (exactly)."""

    queryset = TimeEntry.objects.none()
    serializer_class = TimeEntrySerializer
    filterset_class = TimeEntryFilterSet
    search_fields = ["note", "ticket__number"]
    ordering_fields = ["started_at", "minutes", "created_at"]

    def get_queryset(self):
        return TimeEntry.objects.visible_to(self.request.user).for_api()

    def perform_create(self, serializer):
        serializer.instance = log_time(
            by=self.request.user, channel=API, **serializer.validated_data
        )

    def perform_update(self, serializer):
        changes = {k: v for k, v in serializer.validated_data.items() if k != "ticket"}
        serializer.instance = edit_time(
            serializer.instance, by=self.request.user, channel=API, **changes
        )

    def perform_destroy(self, instance):
        delete_time(instance, by=self.request.user, channel=API)


class CannedResponseViewSet(viewsets.ModelViewSet):
    queryset = CannedResponse.objects.none()
    serializer_class = CannedResponseSerializer
    filterset_class = CannedResponseFilterSet
    search_fields = ["title", "body"]
    ordering_fields = ["title", "created_at"]

    def get_queryset(self):
        return CannedResponse.objects.visible_to(self.request.user).for_api()


class SlaPolicyViewSet(viewsets.ModelViewSet):
    queryset = SlaPolicy.objects.none()
    serializer_class = SlaPolicySerializer
    filterset_class = SlaPolicyFilterSet
    search_fields = ["name"]
    ordering_fields = ["name", "priority"]

    def get_queryset(self):
        return SlaPolicy.objects.visible_to(self.request.user).for_api()
