from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompaniesConfig(AppConfig):
    name = "companies"
    verbose_name = _("Companies")
    nav_items = (
        {
            "label": _("Dashboard"),
            "url": "companies:dashboard",
            "perm": "companies.view_company",
            "staff": True,
            "order": 10,
        },
        {
            "label": _("Companies"),
            "url": "companies:company_list",
            "perm": "companies.view_company",
            "staff": True,
            "order": 20,
        },
        {
            "label": _("My company"),
            "url": "companies:my_company",
            "perm": None,
            "portal": True,
            "portal_only": True,
            "order": 10,
        },
    )
