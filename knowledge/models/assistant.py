"""The assistant: provider settings, conversations, messages and uploaded documents."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nexus.fields import EncryptedTextField
from nexus.models import TimeStampedModel

from ..choices import ExtractionStatus, MessageRole, ProviderKind
from ..querysets import (
    AssistantMessageQuerySet,
    AssistantSessionQuerySet,
    ProviderConfigQuerySet,
    SessionDocumentQuerySet,
)
from ..uploads import document_upload_to


class ProviderConfig(TimeStampedModel):
    """How the assistant answers: the offline knowledge provider or an
    OpenAI-compatible HTTP API. At most one configuration is active."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=ProviderKind.choices,
        default=ProviderKind.KNOWLEDGE,
    )
    is_active = models.BooleanField(_("active"), default=False)
    base_url = models.URLField(
        _("base URL"),
        blank=True,
        help_text=_(
            "For example https://api.openai.com/v1 (…/chat/completions is added)."
        ),
    )
    model = models.CharField(_("model"), max_length=100, blank=True)
    api_key = EncryptedTextField(_("API key"), blank=True)
    timeout_seconds = models.PositiveIntegerField(
        _("time-out (seconds)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(300)],
    )
    max_passages = models.PositiveIntegerField(
        _("passages per answer"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    temperature = models.FloatField(
        _("temperature"),
        default=0.2,
        validators=[MinValueValidator(0.0), MaxValueValidator(2.0)],
    )
    instructions = models.TextField(
        _("extra instructions"),
        blank=True,
        help_text=_("Added to the system prompt of the HTTP provider."),
    )

    objects = ProviderConfigQuerySet.as_manager()

    class Meta:
        ordering = ["-is_active", "name"]
        verbose_name = _("assistant provider")
        verbose_name_plural = _("assistant providers")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="%(app_label)s_%(class)s_one_active",
                violation_error_message=_("Only one provider can be active."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ProviderKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind=ProviderKind.KNOWLEDGE)
                | ~Q(base_url="") & ~Q(model=""),
                name="%(app_label)s_%(class)s_http_needs_url_and_model",
                violation_error_message=_(
                    "An HTTP provider needs a base URL and a model."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AssistantSession(TimeStampedModel):
    """One conversation of one person with the assistant."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="assistant_sessions",
    )
    title = models.CharField(_("title"), max_length=200, blank=True)

    objects = AssistantSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("assistant session")
        verbose_name_plural = _("assistant sessions")

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"


class AssistantMessage(models.Model):
    """A question or an answer in a session; answers carry their citations."""

    session = models.ForeignKey(
        AssistantSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    role = models.CharField(_("role"), max_length=20, choices=MessageRole.choices)
    content = models.TextField(_("content"))
    citations = models.JSONField(_("citations"), default=list, blank=True)
    provider = models.CharField(_("provider"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = AssistantMessageQuerySet.as_manager()

    class Meta:
        ordering = ["session", "id"]
        verbose_name = _("assistant message")
        verbose_name_plural = _("assistant messages")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=MessageRole.values),
                name="%(app_label)s_%(class)s_role_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:40]}"


class SessionDocument(models.Model):
    """A file uploaded into one session; its text is context for that session only."""

    session = models.ForeignKey(
        AssistantSession,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
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

    objects = SessionDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("session document")
        verbose_name_plural = _("session documents")
        constraints = [
            models.CheckConstraint(
                condition=Q(extraction_status__in=ExtractionStatus.values),
                name="%(app_label)s_%(class)s_extraction_status_valid",
            )
        ]

    def __str__(self) -> str:
        return self.original_name
