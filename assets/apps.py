from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    name = "assets"
    verbose_name = _("Assets")
    nav_items = (
        {
            "label": _("Assets"),
            "url": "assets:asset_list",
            "perm": "assets.view_asset",
            "portal": True,
            "order": 30,
        },
        {
            "label": _("Licences"),
            "url": "assets:licence_list",
            "perm": "assets.view_licence",
            "portal": False,
            "order": 31,
        },
        # Networks and fleet monitoring (issue 9); clients see their networks.
        {
            "label": _("Networks"),
            "url": "assets:network_list",
            "perm": "assets.view_network",
            "portal": True,
            "order": 32,
        },
        {
            "label": _("Fleet"),
            "url": "assets:fleet_dashboard",
            "perm": "assets.view_agent",
            "portal": False,
            "order": 33,
        },
    )

    def ready(self):
        from . import signals  # noqa: F401  cache bust only (STYLE R8)
