from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ManufacturingConfig(AppConfig):
    name = "manufacturing"
    verbose_name = _("Manufacturing")
    nav_items = (
        {
            "label": _("Travelers"),
            "url": "manufacturing:traveler_list",
            "perm": "manufacturing.view_traveler",
            "portal": True,
            "order": 60,
        },
        {
            "label": _("Shop floor"),
            "url": "manufacturing:station",
            "perm": "manufacturing.view_processstep",
            "order": 61,
        },
        {
            "label": _("Production reports"),
            "url": "manufacturing:reports",
            "perm": "manufacturing.view_reports",
            "order": 62,
        },
    )
