from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge base")
    nav_items = (
        {
            "label": _("Knowledge base"),
            "url": "knowledge:home",
            "perm": "knowledge.view_article",
            "portal": True,
            "order": 40,
        },
        {
            "label": _("Assistant"),
            "url": "knowledge:assistant",
            "perm": "knowledge.use_assistant",
            "portal": True,
            "order": 41,
        },
    )

    def ready(self) -> None:
        from django.contrib.postgres.lookups import TrigramWordSimilar

        from . import signals  # noqa: F401  (file clean-up only)
        from .models import Article

        # Only on this field: django.contrib.postgres is not an installed app, and
        # the SQL (`%>`) is used on PostgreSQL only (knowledge.search).
        Article._meta.get_field("title").register_lookup(TrigramWordSimilar)
