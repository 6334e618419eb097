from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class ArticleVisibility(models.TextChoices):
    INTERNAL = "internal", _("Internal (staff only)")
    PORTAL = "portal", _("Portal (all clients)")
    COMPANIES = "companies", _("Chosen companies")


# Who besides staff may read an article of this visibility.
CLIENT_VISIBILITIES = frozenset({ArticleVisibility.PORTAL, ArticleVisibility.COMPANIES})


class ExtractionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("No text (file type)")
    FAILED = "failed", _("Failed")


class ProviderKind(models.TextChoices):
    KNOWLEDGE = "knowledge", _("Built-in knowledge base (offline)")
    OPENAI = "openai", _("OpenAI-compatible HTTP API")


class MessageRole(models.TextChoices):
    USER = "user", _("User")
    ASSISTANT = "assistant", _("Assistant")


class CitationKind(models.TextChoices):
    ARTICLE = "article", _("Article")
    DOCUMENT = "document", _("Session document")
