from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")
    nav_items = (
        {
            "label": _("Integrations"),
            "url": "integrations:jobs",
            "perm": "integrations.view_syncjob",
            "portal": False,
            "order": 90,
        },
    )
