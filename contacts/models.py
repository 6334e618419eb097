"""People at companies: client contacts and external professionals."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from nexus.models import TimeStampedModel

from .choices import ContactKind, EmploymentType
from .querysets import ContactQuerySet


class Contact(TimeStampedModel):
    """A person at one or more companies (a requester in Freshservice terms)."""

    name = models.CharField(_("name"), max_length=200, db_index=True)
    email = models.EmailField(_("email"), unique=True)
    secondary_emails = models.JSONField(_("secondary emails"), default=list, blank=True)
    title = models.CharField(_("title"), max_length=150, blank=True)
    employment_type = models.CharField(
        _("employment type"),
        max_length=20,
        choices=EmploymentType.choices,
        default=EmploymentType.FULL_TIME,
    )
    active = models.BooleanField(_("active"), default=True)
    work_phone = models.CharField(_("work phone"), max_length=50, blank=True)
    mobile_phone = models.CharField(_("mobile phone"), max_length=50, blank=True)
    freshservice_id = models.BigIntegerField(
        _("Freshservice id"), unique=True, null=True, blank=True
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=ContactKind.choices,
        default=ContactKind.CLIENT_CONTACT,
    )
    companies = models.ManyToManyField(
        "companies.Company",
        verbose_name=_("companies"),
        related_name="contacts",
        blank=True,
    )
    assets = models.ManyToManyField(
        "assets.Asset",
        verbose_name=_("assets used"),
        related_name="contacts",
        blank=True,
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal login"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact",
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = ContactQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[companies])

    class Meta:
        ordering = ["name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ContactKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(employment_type__in=EmploymentType.values),
                name="%(app_label)s_%(class)s_employment_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("contacts:contact_detail", args=[self.pk])
