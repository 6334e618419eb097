from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Contacts")
    nav_items = (
        {
            "label": _("Contacts"),
            "url": "contacts:contact_list",
            "perm": "contacts.view_contact",
            "portal": True,
            "order": 25,
        },
    )
