from django.db import models
from django.utils.translation import gettext_lazy as _


class ContactKind(models.TextChoices):
    CLIENT_CONTACT = "client_contact", _("Client contact")
    PROFESSIONAL = "professional", _("Professional")


class EmploymentType(models.TextChoices):
    FULL_TIME = "full_time", _("Full time")
    PART_TIME = "part_time", _("Part time")
    CONTRACTOR = "contractor", _("Contractor")
    TEMPORARY = "temporary", _("Temporary")
    OTHER = "other", _("Other")
