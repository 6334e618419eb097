"""Knowledge-base articles, their versions, attachments and votes."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from nexus.models import TimeStampedModel

from ..choices import ArticleStatus, ArticleVisibility, ExtractionStatus
from ..querysets import (
    ArticleAttachmentQuerySet,
    ArticleQuerySet,
    ArticleVersionQuerySet,
    ArticleVoteQuerySet,
    CategoryQuerySet,
    TagQuerySet,
)
from ..uploads import attachment_upload_to


class Category(TimeStampedModel):
    """A folder of the knowledge base; categories nest through `parent`."""

    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=160, unique=True, allow_unicode=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="%(app_label)s_%(class)s_not_own_parent",
                violation_error_message=_("A category cannot be its own parent."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("knowledge:category_detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        node, seen = self.parent, set()
        while node is not None:
            if (node.pk == self.pk and self.pk is not None) or node.pk in seen:
                raise ValidationError(
                    {"parent": _("A category cannot be inside itself.")}
                )
            seen.add(node.pk)
            node = node.parent

    def descendant_ids(self) -> set[int]:
        """This category and every category below it (one query per level)."""
        ids, frontier = {self.pk}, {self.pk}
        while frontier:
            frontier = set(
                Category.objects.filter(parent_id__in=frontier)
                .exclude(pk__in=ids)
                .values_list("pk", flat=True)
            )
            ids |= frontier
        return ids


class Tag(models.Model):
    """A keyword that groups articles across categories."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=90, unique=True, allow_unicode=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Article(TimeStampedModel):
    """A knowledge-base article. Its title/summary/body columns hold what readers
    see (the published version, or the latest one while it is a draft); the
    working copy an editor is changing is `latest_version`."""

    title = models.CharField(_("title"), max_length=250)
    slug = models.SlugField(_("slug"), max_length=270, unique=True, allow_unicode=True)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body (Markdown)"), blank=True)
    body_html = models.TextField(_("rendered body"), blank=True, editable=False)
    body_text = models.TextField(_("plain-text body"), blank=True, editable=False)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), blank=True, related_name="articles"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ArticleStatus.choices,
        default=ArticleStatus.DRAFT,
        db_index=True,
    )
    visibility = models.CharField(
        _("visibility"),
        max_length=20,
        choices=ArticleVisibility.choices,
        default=ArticleVisibility.INTERNAL,
        db_index=True,
    )
    companies = models.ManyToManyField(
        "companies.Company",
        verbose_name=_("companies"),
        blank=True,
        related_name="knowledge_articles",
        help_text=_("Only for “chosen companies” visibility."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="authored_articles",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_articles",
        help_text=_("Who keeps this article correct."),
    )
    review_by = models.DateField(_("review by"), null=True, blank=True)
    related_assets = models.ManyToManyField(
        "assets.Asset",
        verbose_name=_("related assets"),
        blank=True,
        related_name="knowledge_articles",
    )
    related_tickets = models.ManyToManyField(
        "tickets.Ticket",
        verbose_name=_("related tickets"),
        blank=True,
        related_name="knowledge_articles",
    )
    view_count = models.PositiveIntegerField(_("views"), default=0, editable=False)
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0, editable=False)
    unhelpful_count = models.PositiveIntegerField(
        _("not helpful"), default=0, editable=False
    )
    version_count = models.PositiveIntegerField(
        _("versions"), default=0, editable=False
    )
    published_version = models.ForeignKey(
        "knowledge.ArticleVersion",
        verbose_name=_("published version"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    latest_version = models.ForeignKey(
        "knowledge.ArticleVersion",
        verbose_name=_("latest version"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    published_at = models.DateTimeField(
        _("published at"), null=True, blank=True, editable=False
    )
    # Weighted title (A) / summary (B) / body (C) / attachment text (D); written by
    # knowledge.search.index_article. Its GIN index is created by migration 0002
    # on PostgreSQL only (SQLite keeps the column empty and uses the fallback).
    search_vector = SearchVectorField(null=True, editable=False)
    # Title (A) and summary (B) only: small enough to stay in the table row, so
    # ranking thousands of matches never reads the large vector (migration 0003).
    search_head = SearchVectorField(null=True, editable=False)
    # Title (A) only, with its own GIN index: the first tier of a search, so a
    # common word is ranked among the articles with it in the title (migration 0005).
    search_title = SearchVectorField(null=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [("use_assistant", _("Can ask the assistant"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ArticleStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=ArticleVisibility.values),
                name="%(app_label)s_%(class)s_visibility_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "visibility"], name="knowledge_art_status_vis"
            ),
            models.Index(fields=["-view_count"], name="knowledge_art_views"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge:article_detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED

    @property
    def has_unpublished_changes(self) -> bool:
        return (
            self.status == ArticleStatus.PUBLISHED
            and self.latest_version_id is not None
            and self.latest_version_id != self.published_version_id
        )


class ArticleVersion(models.Model):
    """One saved state of an article's text; versions are never changed."""

    article = models.ForeignKey(
        Article,
        verbose_name=_("article"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=250)
    summary = models.TextField(_("summary"), blank=True)
    body = models.TextField(_("body (Markdown)"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="article_versions",
    )
    note = models.CharField(_("note"), max_length=250, blank=True)
    restored_from = models.PositiveIntegerField(
        _("restored from version"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ArticleVersionQuerySet.as_manager()

    class Meta:
        ordering = ["article", "-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "number"],
                name="%(app_label)s_%(class)s_number_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleAttachment(models.Model):
    """A file attached to an article; its extracted text is searchable."""

    article = models.ForeignKey(
        Article,
        verbose_name=_("article"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="article_attachments",
    )
    text = models.TextField(_("extracted text"), blank=True, editable=False)
    extraction_status = models.CharField(
        _("text extraction"),
        max_length=20,
        choices=ExtractionStatus.choices,
        default=ExtractionStatus.PENDING,
    )
    extraction_error = models.CharField(
        _("extraction error"), max_length=300, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ArticleAttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("article attachment")
        verbose_name_plural = _("article attachments")
        constraints = [
            models.CheckConstraint(
                condition=Q(extraction_status__in=ExtractionStatus.values),
                name="%(app_label)s_%(class)s_extraction_status_valid",
            )
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("knowledge:attachment_download", kwargs={"pk": self.pk})


class ArticleVote(models.Model):
    """One person's "was this helpful?" answer for one article."""

    article = models.ForeignKey(
        Article,
        verbose_name=_("article"),
        on_delete=models.CASCADE,
        related_name="votes",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="article_votes",
    )
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(_("created at"), auto_now=True)

    objects = ArticleVoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], name="%(app_label)s_%(class)s_one_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id}:{self.user_id}:{self.helpful}"


class SearchWord(models.Model):
    """A word of some article's title or summary: the dictionary a misspelt search
    word is corrected against (PostgreSQL only; written by knowledge.search)."""

    word = models.CharField(_("word"), max_length=100, primary_key=True)

    class Meta:
        verbose_name = _("search word")
        verbose_name_plural = _("search words")

    def __str__(self) -> str:
        return self.word
