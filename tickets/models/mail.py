"""Mailboxes polled for email-to-ticket, and the messages already processed."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nexus.fields import EncryptedTextField
from nexus.models import TimeStampedModel

from ..choices import InboundOutcome, TicketPriority
from ..querysets import InboundMessageQuerySet, MailboxQuerySet


class Mailbox(TimeStampedModel):
    """An IMAP mailbox whose new mail becomes tickets and replies."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    host = models.CharField(_("IMAP host"), max_length=200)
    port = models.PositiveIntegerField(
        _("port"),
        default=993,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
    )
    use_tls = models.BooleanField(
        _("TLS"), default=True, help_text=_("Implicit TLS (IMAPS, usually port 993).")
    )
    username = models.CharField(_("user"), max_length=200)
    password = EncryptedTextField(_("password"), blank=True)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    poll_interval_minutes = models.PositiveIntegerField(
        _("polling interval (minutes)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
    )
    default_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("default department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mailboxes",
    )
    default_priority = models.CharField(
        _("default priority"),
        max_length=10,
        choices=TicketPriority.choices,
        default=TicketPriority.NORMAL,
    )
    default_company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("default company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mailboxes",
        help_text=_("For senders matching no contact and no company domain."),
    )
    trust_staff_senders = models.BooleanField(
        _("trust staff senders"),
        default=False,
        help_text=_(
            "Post replies from staff addresses as public replies. The From: header "
            "can be forged, so leave this off unless the mail server verifies "
            "senders (SPF/DKIM/DMARC); otherwise they become internal notes."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    objects = MailboxQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.CheckConstraint(
                condition=Q(default_priority__in=TicketPriority.values),
                name="%(app_label)s_%(class)s_default_priority_valid",
            ),
            models.CheckConstraint(
                condition=Q(poll_interval_minutes__gte=1),
                name="%(app_label)s_%(class)s_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def periodic_task_name(self) -> str:
        return f"ticket-mailbox-{self.pk}"


class InboundMessage(models.Model):
    """A processed email, recorded by Message-ID so it never makes two tickets."""

    mailbox = models.ForeignKey(
        Mailbox,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    message_id = models.CharField(_("Message-ID"), max_length=500)
    from_address = models.CharField(_("from"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=InboundOutcome.choices
    )
    detail = models.TextField(_("detail"), blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
    )
    received_at = models.DateTimeField(_("processed at"), auto_now_add=True)

    objects = InboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], name="%(app_label)s_%(class)s_message_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=InboundOutcome.values),
                name="%(app_label)s_%(class)s_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.message_id
