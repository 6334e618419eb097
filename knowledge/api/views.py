from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from ..assistant import ProviderError
from ..models import Article, ArticleVersion, AssistantSession, Category, Tag
from ..querysets import can_edit_articles
from ..services import (
    add_article_attachment,
    add_session_document,
    ask_assistant,
    delete_article,
    delete_attachment,
    publish_article,
    restore_article_version,
    start_assistant_session,
    vote_article,
)
from .filters import ArticleFilterSet, CategoryFilterSet, TagFilterSet
from .serializers import (
    ArticleAttachmentSerializer,
    ArticleSerializer,
    ArticleVersionSerializer,
    AskAssistantSerializer,
    AssistantMessageSerializer,
    AssistantSessionBriefSerializer,
    AssistantSessionSerializer,
    CategorySerializer,
    RestoreArticleSerializer,
    SessionDocumentSerializer,
    TagSerializer,
    UploadSerializer,
    VoteArticleSerializer,
    VoteResultSerializer,
)


class CanReadArticles(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(
            request.user.is_authenticated
            and request.user.has_perm("knowledge.view_article")
        )


class CanEditArticles(permissions.BasePermission):
    message = _("Only knowledge-base editors may do this.")

    def has_permission(self, request, view):
        return can_edit_articles(request.user)


class ReadOrEditArticles(permissions.BasePermission):
    message = CanEditArticles.message

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return CanReadArticles().has_permission(request, view)
        return can_edit_articles(request.user)


class CanUseAssistant(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(
            request.user.is_authenticated
            and request.user.has_perm("knowledge.use_assistant")
        )


class AssistantUnavailable(exceptions.APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = _("The assistant service failed.")
    default_code = "assistant_unavailable"


class CategoryViewSet(viewsets.ModelViewSet):
    queryset = Category.objects.none()  # scoped in get_queryset()
    serializer_class = CategorySerializer
    filterset_class = CategoryFilterSet
    search_fields = ["name", "slug"]
    ordering_fields = ["name", "position"]

    def get_queryset(self):
        return Category.objects.visible_to(self.request.user).for_api()


class TagViewSet(viewsets.ModelViewSet):
    queryset = Tag.objects.none()  # scoped in get_queryset()
    serializer_class = TagSerializer
    filterset_class = TagFilterSet
    search_fields = ["name", "slug"]
    ordering_fields = ["name"]

    def get_queryset(self):
        return Tag.objects.visible_to(self.request.user).for_api()


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description=_(
                    "Full-text search, best first: articles with the words in "
                    "the title, then in the title or summary, then in the body "
                    "or an attachment (by popularity); `snippet` highlights the "
                    "hits. With `q`, `count` stops at 1000 (a larger result is "
                    "reported as 1000, and `next` ends there): narrow the "
                    "search to go further."
                ),
            )
        ]
    )
)
class ArticleViewSet(viewsets.ModelViewSet):
    """Knowledge-base articles. `?q=` searches (best first, with `snippet`; the
    `count` of a search is capped at 1000); every change of the text is kept as
    a version."""

    queryset = Article.objects.none()  # scoped in get_queryset()
    serializer_class = ArticleSerializer
    filterset_class = ArticleFilterSet
    ordering_fields = [
        "title",
        "updated_at",
        "published_at",
        "view_count",
        "helpful_count",
    ]

    def get_queryset(self):
        user = self.request.user
        return Article.objects.visible_to(user).for_api().with_tickets_for(user)

    def perform_create(self, serializer):
        serializer.save()
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_update(self, serializer):
        serializer.save()
        # Re-read through get_queryset so the response lists only the tickets
        # this user may see.
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        delete_article(instance)

    @extend_schema(responses=ArticleVersionSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        permission_classes=[CanEditArticles],
        # The whole history as a plain list (the schema said a filtered page).
        filter_backends=[],
        pagination_class=None,
    )
    def versions(self, request, pk=None):
        article = self.get_object()
        versions = ArticleVersion.objects.filter(article=article).for_api()
        return Response(
            ArticleVersionSerializer(
                versions, many=True, context=self.get_serializer_context()
            ).data
        )

    @extend_schema(responses=ArticleVersionSerializer)
    @action(
        detail=True,
        methods=["get"],
        url_path=r"versions/(?P<number>[0-9]+)",
        url_name="version",
        permission_classes=[CanEditArticles],
    )
    def version(self, request, pk=None, number=None):
        article = self.get_object()
        version = get_object_or_404(
            ArticleVersion.objects.for_api(), article=article, number=int(number)
        )
        return Response(ArticleVersionSerializer(version).data)

    @extend_schema(request=RestoreArticleSerializer, responses=ArticleSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanEditArticles])
    def restore(self, request, pk=None):
        payload = RestoreArticleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        article = restore_article_version(
            self.get_object(),
            number=payload.validated_data["version"],
            by=request.user,
            note=payload.validated_data.get("note", ""),
            publish=payload.validated_data["publish"],
        )
        return self._article_response(article)

    @extend_schema(request=None, responses=ArticleSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanEditArticles])
    def publish(self, request, pk=None):
        return self._article_response(
            publish_article(self.get_object(), by=request.user)
        )

    @extend_schema(
        methods=["GET"], request=None, responses=ArticleAttachmentSerializer(many=True)
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": UploadSerializer},
        responses={201: ArticleAttachmentSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        permission_classes=[ReadOrEditArticles],
        parser_classes=[MultiPartParser, FormParser],
        # All of an article's files as a plain list (the schema said a page).
        filter_backends=[],
        pagination_class=None,
    )
    def attachments(self, request, pk=None):
        article = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            rows = article.attachments.for_api()
            return Response(
                ArticleAttachmentSerializer(rows, many=True, context=context).data
            )
        payload = UploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        attachment = add_article_attachment(
            article, upload=payload.validated_data["file"], by=request.user
        )
        attachment.refresh_from_db()
        return Response(
            ArticleAttachmentSerializer(attachment, context=context).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    @extend_schema(methods=["DELETE"], responses={204: None})
    @action(
        detail=True,
        methods=["get", "delete"],
        url_path=r"attachments/(?P<attachment_id>[0-9]+)",
        url_name="attachment",
        permission_classes=[ReadOrEditArticles],
    )
    def attachment(self, request, pk=None, attachment_id=None):
        article = self.get_object()
        attachment = get_object_or_404(article.attachments.all(), pk=int(attachment_id))
        if request.method == "DELETE":
            delete_attachment(attachment)
            return Response(status=status.HTTP_204_NO_CONTENT)
        return attachment_response(attachment)

    @extend_schema(request=VoteArticleSerializer, responses=VoteResultSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CanReadArticles])
    def vote(self, request, pk=None):
        payload = VoteArticleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        helpful = payload.validated_data["helpful"]
        article = vote_article(self.get_object(), user=request.user, helpful=helpful)
        return Response(
            {
                "helpful": helpful,
                "helpful_count": article.helpful_count,
                "unhelpful_count": article.unhelpful_count,
            }
        )

    def _article_response(self, article):
        article = self.get_queryset().get(pk=article.pk)
        return Response(
            ArticleSerializer(article, context=self.get_serializer_context()).data
        )


def attachment_response(attachment) -> FileResponse:
    """Always a download (never rendered inline), with the type we checked."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


class AssistantSessionViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your conversations with the assistant (nobody else's)."""

    queryset = AssistantSession.objects.none()  # scoped in get_queryset()
    serializer_class = AssistantSessionSerializer
    permission_classes = [CanUseAssistant]
    filterset_fields = []
    ordering_fields = ["updated_at", "created_at"]

    def get_queryset(self):
        queryset = AssistantSession.objects.visible_to(self.request.user)
        return queryset.for_list() if self.action == "list" else queryset.for_api()

    def get_serializer_class(self):
        return (
            AssistantSessionBriefSerializer
            if self.action == "list"
            else super().get_serializer_class()
        )

    def perform_create(self, serializer):
        serializer.instance = start_assistant_session(
            user=self.request.user, title=serializer.validated_data.get("title", "")
        )

    @extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={201: SessionDocumentSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def documents(self, request, pk=None):
        payload = UploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        document = add_session_document(
            self.get_object(), upload=payload.validated_data["file"]
        )
        document.refresh_from_db()
        return Response(
            SessionDocumentSerializer(document).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=AskAssistantSerializer,
        responses={
            201: AssistantMessageSerializer,
            502: OpenApiResponse(description=_("The assistant service failed.")),
        },
    )
    @action(detail=True, methods=["post"])
    def messages(self, request, pk=None):
        payload = AskAssistantSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            reply = ask_assistant(
                self.get_object(), question=payload.validated_data["content"]
            )
        except ProviderError as exc:
            raise AssistantUnavailable(str(exc)) from exc
        return Response(
            AssistantMessageSerializer(reply).data, status=status.HTTP_201_CREATED
        )
