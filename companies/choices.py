from django.db import models
from django.utils.translation import gettext_lazy as _


class CompanyKind(models.TextChoices):
    CLIENT = "client", _("Client")
    SUPPLIER = "supplier", _("Supplier")
    PARTNER = "partner", _("Partner")
    INTERNAL = "internal", _("Internal")


class CompanyStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")


class ProfitType(models.TextChoices):
    PROFIT = "profit", _("Profit")
    NON_PROFIT = "non_profit", _("Non-profit")


class CreditTransactionKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    DEDUCTION = "deduction", _("Deduction")
    REFUND = "refund", _("Refund")
    ADJUSTMENT = "adjustment", _("Adjustment")


ACCOUNT_NUMBER_MIN = 100000
ACCOUNT_NUMBER_MAX = 999999
