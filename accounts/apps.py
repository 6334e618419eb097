from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")
    nav_items = (
        {
            "label": _("API keys"),
            "url": "accounts:api_keys",
            "order": 90,
            "portal": False,
        },
    )

    def ready(self) -> None:
        from . import signals  # noqa: F401  (permission-cache busting only)
        from .roles import sync_role_permissions

        post_migrate.connect(
            sync_role_permissions, dispatch_uid="nexus-role-permissions"
        )
