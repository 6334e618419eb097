from django.db import models
from django.utils.translation import gettext_lazy as _


class AssetStatus(models.TextChoices):
    IN_USE = "in_use", _("In use")
    IN_STOCK = "in_stock", _("In stock")
    IN_REPAIR = "in_repair", _("In repair")
    RETIRED = "retired", _("Retired")


class LicenceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PENDING = "pending", _("Pending renewal")
    EXPIRED = "expired", _("Expired")
    RETIRED = "retired", _("Retired")
