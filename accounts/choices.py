from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of ARCHITECTURE rule 2; each is a Group of the same name."""

    ADMIN = "Admin", _("Admin")
    MANAGER = "Manager", _("Manager")
    TECHNICIAN = "Technician", _("Technician")
    BILLING = "Billing", _("Billing")
    OPERATOR = "Operator", _("Operator")
    QUALITY = "Quality", _("Quality")
    PURCHASING = "Purchasing", _("Purchasing")
    ASSEMBLY = "Assembly", _("Assembly")
    ENGINEER = "Engineer", _("Engineer")
    CLIENT = "Client", _("Client")


STAFF_ROLES = frozenset(set(Role.values) - {Role.CLIENT})
MANUFACTURING_ROLES = frozenset(
    {Role.OPERATOR, Role.QUALITY, Role.PURCHASING, Role.ASSEMBLY, Role.ENGINEER}
)
