from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.serializers import DepartmentBriefSerializer, UserBriefSerializer
from accounts.models import Department
from assets.models import Asset
from companies.api.serializers import CompanyBriefSerializer
from companies.models import Company
from contacts.api.serializers import ContactBriefSerializer
from contacts.models import Contact
from nexus.api import VisiblePKField
from nexus.representation import DetailUrlField, FastRepresentationMixin

from ..choices import TicketStatus
from ..models import (
    Attachment,
    CannedResponse,
    Comment,
    SlaPolicy,
    Tag,
    Ticket,
    TicketEvent,
    TimeEntry,
)

User = get_user_model()


class StaffPKField(serializers.PrimaryKeyRelatedField):
    """A staff user (never a portal user) that the caller can see."""

    def __init__(self, **kwargs):
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", User.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None or request.user.is_portal:
            return User.objects.none()
        return User.objects.filter(company__isnull=True, is_active=True)


class TicketBriefSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    url = DetailUrlField(view_name="api:ticket-detail")
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Ticket
        fields = ["id", "url", "display", "number", "title", "status"]


class TicketSerializer(serializers.ModelSerializer):
    """A ticket. Writes go through the services: status changes follow the
    workflow, assignment follows department scoping, SLA times are computed."""

    url = serializers.HyperlinkedIdentityField(view_name="api:ticket-detail")
    display = serializers.CharField(source="__str__", read_only=True)
    company = CompanyBriefSerializer(read_only=True)
    company_id = VisiblePKField(
        source="company",
        queryset=Company.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    requester = ContactBriefSerializer(read_only=True)
    requester_id = VisiblePKField(
        source="requester",
        queryset=Contact.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    department = DepartmentBriefSerializer(read_only=True)
    department_id = VisiblePKField(
        source="department",
        queryset=Department.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    assignee = UserBriefSerializer(read_only=True)
    assignee_id = StaffPKField(
        source="assignee", write_only=True, required=False, allow_null=True
    )
    watchers = StaffPKField(many=True, required=False)
    assets = VisiblePKField(many=True, queryset=Asset.objects.all(), required=False)
    tags = serializers.SlugRelatedField(
        many=True, slug_field="name", queryset=Tag.objects.all(), required=False
    )
    merged_into = TicketBriefSerializer(read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "url",
            "display",
            "number",
            "title",
            "description",
            "description_html",
            "status",
            "priority",
            "type",
            "source",
            "company",
            "company_id",
            "requester",
            "requester_id",
            "department",
            "department_id",
            "assignee",
            "assignee_id",
            "watchers",
            "assets",
            "tags",
            "due_at",
            "sla_policy",
            "first_response_due_at",
            "resolution_due_at",
            "sla_breached",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "merged_into",
            "split_from",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "number",
            "description_html",
            "source",
            "sla_policy",
            "first_response_due_at",
            "resolution_due_at",
            "sla_breached",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "split_from",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"status": {"required": False}}


class CommentSerializer(serializers.ModelSerializer):
    author = UserBriefSerializer(read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = [
            "id",
            "ticket",
            "author",
            "author_email",
            "body",
            "body_html",
            "is_internal",
            "channel",
            "attachments",
            "created_at",
        ]
        read_only_fields = [
            "ticket",
            "author_email",
            "body_html",
            "channel",
            "created_at",
        ]

    def get_attachments(self, comment) -> list[int]:
        return [a.pk for a in comment.attachments.all()]


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.HyperlinkedIdentityField(
        view_name="api:attachment-download"
    )
    file = serializers.FileField(write_only=True)
    comment = serializers.PrimaryKeyRelatedField(
        queryset=Comment.objects.none(), required=False, allow_null=True
    )

    class Meta:
        model = Attachment
        fields = [
            "id",
            "ticket",
            "comment",
            "file",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "is_internal",
            "uploaded_by",
            "download_url",
            "created_at",
        ]
        read_only_fields = [
            "ticket",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "is_internal",
            "uploaded_by",
            "created_at",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        ticket = self.context.get("ticket")
        if request is not None and ticket is not None:
            self.fields["comment"].queryset = Comment.objects.visible_to(
                request.user
            ).filter(ticket=ticket)


class TicketEventSerializer(serializers.ModelSerializer):
    actor = UserBriefSerializer(read_only=True)

    class Meta:
        model = TicketEvent
        fields = [
            "id",
            "ticket",
            "kind",
            "field",
            "old_value",
            "new_value",
            "actor",
            "channel",
            "created_at",
        ]
        read_only_fields = fields


class TimeEntrySerializer(serializers.ModelSerializer):
    user = UserBriefSerializer(read_only=True)
    ticket = VisiblePKField(
        queryset=Ticket.objects.all(), required=False, allow_null=True
    )
    hours = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)

    class Meta:
        model = TimeEntry
        fields = [
            "id",
            "ticket",
            "company",
            "user",
            "started_at",
            "minutes",
            "hours",
            "billable",
            "note",
            "billed_hours",
            "over_credit",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "company",
            "billed_hours",
            "over_credit",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"minutes": {"min_value": 1, "max_value": 24 * 60}}


class TicketTimeEntrySerializer(TimeEntrySerializer):
    """A time entry posted on a ticket's own endpoint (the ticket is the URL's)."""

    # Declared, not in read_only_fields: DRF applies Meta.read_only_fields only to
    # fields it builds itself, so the parent's declared `ticket` stayed writable
    # and a body naming one reached log_time() twice (a 500).
    ticket = serializers.PrimaryKeyRelatedField(read_only=True)


class CannedResponseSerializer(serializers.ModelSerializer):
    department_id = VisiblePKField(
        source="department",
        queryset=Department.objects.all(),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = CannedResponse
        fields = ["id", "title", "body", "department_id", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class SlaPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "name",
            "priority",
            "plan",
            "calendar",
            "first_response_minutes",
            "resolution_minutes",
            "at_risk_percent",
            "active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # The conditional unique constraints are checked by full_clean in the view.
        validators = []

    def validate(self, attrs):
        from django.core.exceptions import ValidationError as DjangoValidationError

        instance = SlaPolicy(**{**self._current(), **attrs})
        try:
            instance.full_clean(exclude=["id"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError(
                serializers.as_serializer_error(exc)
            ) from exc
        return attrs

    def _current(self) -> dict:
        if self.instance is None:
            return {}
        return {
            "pk": self.instance.pk,
            **{
                name: getattr(self.instance, name)
                for name in (
                    "name",
                    "priority",
                    "plan",
                    "calendar",
                    "first_response_minutes",
                    "resolution_minutes",
                    "at_risk_percent",
                    "active",
                )
            },
        }


# ---------------------------------------------------------------- action inputs


class TransitionTicketSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TicketStatus.choices)


class AssignTicketSerializer(serializers.Serializer):
    assignee_id = StaffPKField(allow_null=True)


class MergeTicketSerializer(serializers.Serializer):
    into = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects.none(),
        help_text=_("The ticket that receives this one's comments, files and time."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["into"].queryset = Ticket.objects.visible_to(request.user)


class SplitTicketSerializer(serializers.Serializer):
    comment = serializers.PrimaryKeyRelatedField(queryset=Comment.objects.none())
    title = serializers.CharField(max_length=250, required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        ticket = self.context.get("ticket")
        if request is not None and ticket is not None:
            self.fields["comment"].queryset = Comment.objects.visible_to(
                request.user
            ).filter(ticket=ticket)
