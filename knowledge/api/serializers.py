from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserBriefSerializer
from assets.models import Asset
from companies.api.serializers import CompanyBriefSerializer
from companies.models import Company
from nexus.api import VisiblePKField
from nexus.representation import (
    DetailUrlField,
    FastRepresentationMixin,
    nested_many,
    related_rows,
)
from tickets.api.serializers import TicketBriefSerializer
from tickets.choices import EventChannel
from tickets.models import Ticket

from ..choices import CitationKind
from ..models import (
    Article,
    ArticleAttachment,
    ArticleVersion,
    AssistantMessage,
    AssistantSession,
    Category,
    SessionDocument,
    Tag,
)
from ..search import snippet_for
from ..services import create_article, update_article


class RelatedAssetSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """An asset as nested in an article (assets' own brief serializer is not
    importable yet; see the report for issue 8)."""

    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Asset
        fields = ["id", "hostname", "display"]


class CategoryBriefSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]


class CategorySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:knowledge-category-detail"
    )
    parent = CategoryBriefSerializer(read_only=True)
    parent_id = serializers.PrimaryKeyRelatedField(
        source="parent",
        queryset=Category.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )

    class Meta:
        model = Category
        fields = [
            "id",
            "url",
            "name",
            "slug",
            "parent",
            "parent_id",
            "description",
            "position",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs):
        parent = attrs.get("parent")
        if self.instance is not None and parent is not None:
            probe = Category(
                pk=self.instance.pk, name=self.instance.name, parent=parent
            )
            probe.clean()
        return attrs


class TagBriefSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "slug"]


class TagSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:knowledge-tag-detail")

    class Meta:
        model = Tag
        fields = ["id", "url", "name", "slug"]


class ArticleBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:article-detail")
    display = serializers.CharField(source="title", read_only=True)

    class Meta:
        model = Article
        fields = ["id", "url", "display", "slug"]


class ArticleVersionSerializer(serializers.ModelSerializer):
    author = UserBriefSerializer(read_only=True)

    class Meta:
        model = ArticleVersion
        fields = [
            "number",
            "title",
            "summary",
            "body",
            "author",
            "note",
            "restored_from",
            "created_at",
        ]
        read_only_fields = fields


class ArticleAttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = UserBriefSerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ArticleAttachment
        fields = [
            "id",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "extraction_status",
            "extraction_error",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, attachment: ArticleAttachment) -> str:
        path = reverse(
            "api:article-attachment",
            kwargs={"pk": attachment.article_id, "attachment_id": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("The file (multipart/form-data)."))


@extend_schema_field(OpenApiTypes.STR)
class SnippetField(serializers.ReadOnlyField):
    """Highlighted HTML around the hits when the list is searched with `q`."""

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def to_representation(self, article):
        return self.fast_value(article, self.context)

    @staticmethod
    def fast_value(article, context) -> str:
        request = context.get("request")
        query = request.query_params.get("q", "") if request else ""
        return snippet_for(article, query) if query.strip() else ""


class ArticleSerializer(FastRepresentationMixin, serializers.ModelSerializer):
    """An article as readers see it; writes go through the version services."""

    # Reads take the fast path of FastRepresentationMixin (the same output as
    # DRF's, tests/test_api_representation.py).

    url = DetailUrlField(view_name="api:article-detail")
    web_url = serializers.CharField(source="get_absolute_url", read_only=True)
    category = CategoryBriefSerializer(read_only=True)
    category_id = serializers.PrimaryKeyRelatedField(
        source="category",
        queryset=Category.objects.all(),
        write_only=True,
        required=False,
        allow_null=True,
    )
    tags = nested_many(TagBriefSerializer)
    tag_ids = serializers.PrimaryKeyRelatedField(
        source="tags",
        queryset=Tag.objects.all(),
        many=True,
        write_only=True,
        required=False,
    )
    companies = nested_many(CompanyBriefSerializer)
    company_ids = VisiblePKField(
        source="companies",
        queryset=Company.objects.all(),
        many=True,
        write_only=True,
        required=False,
    )
    related_assets = nested_many(RelatedAssetSerializer)
    related_asset_ids = VisiblePKField(
        source="related_assets",
        queryset=Asset.objects.all(),
        many=True,
        write_only=True,
        required=False,
    )
    related_tickets = nested_many(
        TicketBriefSerializer,
        help_text=_("Linked tickets the requesting user may see."),
    )
    related_ticket_ids = VisiblePKField(
        source="related_tickets",
        queryset=Ticket.objects.all(),
        many=True,
        write_only=True,
        required=False,
        help_text=_(
            "Ids of the tickets to link (only tickets you can see; links to "
            "tickets outside your scope are kept). Each change is recorded on "
            "the ticket's timeline."
        ),
    )
    author = UserBriefSerializer(read_only=True)
    owner = UserBriefSerializer(read_only=True)
    owner_id = serializers.PrimaryKeyRelatedField(
        source="owner",
        queryset=get_user_model().objects.filter(company__isnull=True, is_active=True),
        write_only=True,
        required=False,
        allow_null=True,
    )
    version = serializers.IntegerField(
        source="published_version.number", read_only=True, allow_null=True, default=None
    )
    latest_version = serializers.IntegerField(
        source="latest_version.number", read_only=True, allow_null=True, default=None
    )
    has_unpublished_changes = serializers.BooleanField(read_only=True)
    snippet = SnippetField(
        help_text=_(
            "Highlighted HTML around the hits when the list is searched with `q`."
        )
    )
    note = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=250,
        help_text=_("What changed (kept with the new version)."),
    )
    publish = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text=_(
            "Make this change visible to readers now. Without it, changes to a "
            "published article wait as a draft version."
        ),
    )

    class Meta:
        model = Article
        fields = [
            "id",
            "url",
            "web_url",
            "title",
            "slug",
            "summary",
            "body",
            "body_html",
            "category",
            "category_id",
            "tags",
            "tag_ids",
            "status",
            "visibility",
            "companies",
            "company_ids",
            "author",
            "owner",
            "owner_id",
            "review_by",
            "related_assets",
            "related_asset_ids",
            "related_tickets",
            "related_ticket_ids",
            "view_count",
            "helpful_count",
            "unhelpful_count",
            "version",
            "latest_version",
            "has_unpublished_changes",
            "published_at",
            "created_at",
            "updated_at",
            "snippet",
            "note",
            "publish",
        ]
        read_only_fields = [
            "body_html",
            "view_count",
            "helpful_count",
            "unhelpful_count",
            "published_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"slug": {"required": False}}

    def to_representation(self, article):
        data = super().to_representation(article)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and user.is_portal:
            # An article shared with several companies must not tell one client
            # which other clients (or whose assets) it is shared with.
            data["companies"] = [
                c for c in data["companies"] if c["id"] == user.company_id
            ]
            assets = RelatedAssetSerializer(context=self.context)
            data["related_assets"] = [
                assets.to_representation(asset)
                for asset in related_rows(article, "related_assets")
                if asset.company_id == user.company_id
            ]
        return data

    def create(self, validated_data):
        validated_data.pop("publish", None)
        return create_article(
            author=self.context["request"].user,
            channel=EventChannel.API,
            **validated_data,
        )

    def update(self, instance, validated_data):
        return update_article(
            instance,
            by=self.context["request"].user,
            channel=EventChannel.API,
            note=validated_data.pop("note", ""),
            publish=validated_data.pop("publish", False),
            **validated_data,
        )


class RestoreArticleSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, max_length=250)
    publish = serializers.BooleanField(required=False, default=False)


class VoteArticleSerializer(serializers.Serializer):
    helpful = serializers.BooleanField()


class VoteResultSerializer(serializers.Serializer):
    helpful = serializers.BooleanField()
    helpful_count = serializers.IntegerField()
    unhelpful_count = serializers.IntegerField()


class CitationSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=CitationKind.choices)
    title = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    article_id = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    document_id = serializers.IntegerField(allow_null=True)
    quote = serializers.CharField()


class AssistantMessageSerializer(serializers.ModelSerializer):
    citations = CitationSerializer(many=True, read_only=True)

    class Meta:
        model = AssistantMessage
        fields = ["id", "role", "content", "citations", "provider", "created_at"]
        read_only_fields = fields


class SessionDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = SessionDocument
        fields = [
            "id",
            "original_name",
            "content_type",
            "size",
            "extraction_status",
            "extraction_error",
            "created_at",
        ]
        read_only_fields = fields


class AssistantSessionSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:assistant-session-detail")
    messages = AssistantMessageSerializer(many=True, read_only=True)
    documents = SessionDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = AssistantSession
        fields = [
            "id",
            "url",
            "title",
            "messages",
            "documents",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"title": {"required": False}}


class AssistantSessionBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:assistant-session-detail")

    class Meta:
        model = AssistantSession
        fields = ["id", "url", "title", "created_at", "updated_at"]
        read_only_fields = fields


class AskAssistantSerializer(serializers.Serializer):
    content = serializers.CharField(max_length=4000, help_text=_("The question."))
