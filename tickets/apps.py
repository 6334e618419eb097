from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")
    nav_items = (
        {
            "label": _("Tickets"),
            "url": "tickets:ticket_list",
            "perm": "tickets.view_ticket",
            "portal": True,
            "order": 20,
        },
    )

    def ready(self) -> None:
        from . import signals  # noqa: F401  (storage clean-up only)
