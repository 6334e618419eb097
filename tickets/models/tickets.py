"""Tickets and what hangs off them: comments, attachments, audit events."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from nexus.models import TimeStampedModel

from ..choices import (
    EventChannel,
    TicketEventKind,
    TicketPriority,
    TicketSource,
    TicketStatus,
    TicketType,
)
from ..querysets import (
    AttachmentQuerySet,
    CannedResponseQuerySet,
    CommentQuerySet,
    TagQuerySet,
    TicketEventQuerySet,
    TicketQuerySet,
)
from ..rendering import render_markdown
from ..uploads import random_storage_name

NUMBER_PREFIX = "T-"


class Tag(models.Model):
    """A free label on tickets (e.g. "printer", "vip")."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Ticket(TimeStampedModel):
    """A request or incident raised by (or for) a client, worked by staff."""

    number = models.CharField(_("number"), max_length=20, editable=False)
    title = models.CharField(_("title"), max_length=250)
    description = models.TextField(_("description"), blank=True)
    description_html = models.TextField(editable=False, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TicketStatus.choices,
        default=TicketStatus.NEW,
        db_index=True,
    )
    priority = models.CharField(
        _("priority"),
        max_length=10,
        choices=TicketPriority.choices,
        default=TicketPriority.NORMAL,
    )
    type = models.CharField(
        _("type"),
        max_length=10,
        choices=TicketType.choices,
        default=TicketType.INCIDENT,
    )
    source = models.CharField(
        _("source"),
        max_length=10,
        choices=TicketSource.choices,
        default=TicketSource.WEB,
    )
    company = models.ForeignKey(
        "companies.Company",
        verbose_name=_("company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    requester = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("requester"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    assets = models.ManyToManyField(
        "assets.Asset", verbose_name=_("assets"), related_name="tickets", blank=True
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("watchers"),
        related_name="watched_tickets",
        blank=True,
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), related_name="tickets", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_tickets",
    )
    due_at = models.DateTimeField(
        _("due"), null=True, blank=True, help_text=_("A due date agreed by hand.")
    )
    sla_policy = models.ForeignKey(
        "tickets.SlaPolicy",
        verbose_name=_("SLA policy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    first_response_due_at = models.DateTimeField(
        _("first response due"), null=True, blank=True, db_index=True
    )
    resolution_due_at = models.DateTimeField(
        _("resolution due"), null=True, blank=True, db_index=True
    )
    sla_warn_at = models.DateTimeField(_("SLA at risk from"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(_("SLA paused at"), null=True, blank=True)
    sla_paused_minutes = models.FloatField(
        _("SLA paused (business minutes)"), default=0
    )
    sla_breached = models.BooleanField(_("SLA breached"), default=False, db_index=True)
    sla_breached_at = models.DateTimeField(_("SLA breached at"), null=True, blank=True)
    sla_at_risk_notified_at = models.DateTimeField(
        _("SLA at-risk notice sent"), null=True, blank=True
    )
    first_responded_at = models.DateTimeField(
        _("first responded at"), null=True, blank=True
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_tickets",
    )
    split_from = models.ForeignKey(
        "self",
        verbose_name=_("split from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="split_tickets",
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        permissions = [
            ("view_all_tickets", _("Can see every ticket, whatever the department")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["number"], name="%(app_label)s_%(class)s_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=TicketStatus.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(priority__in=TicketPriority.values),
                name="%(app_label)s_%(class)s_priority_valid",
            ),
            models.CheckConstraint(
                condition=Q(type__in=TicketType.values),
                name="%(app_label)s_%(class)s_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(source__in=TicketSource.values),
                name="%(app_label)s_%(class)s_source_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["company", "status"], name="tickets_company_status"),
            models.Index(fields=["department", "status"], name="tickets_dept_status"),
            models.Index(fields=["assignee", "status"], name="tickets_assignee_status"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def save(self, *args, **kwargs):
        self.description_html = render_markdown(self.description)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "description" in update_fields:
            kwargs["update_fields"] = {*update_fields, "description_html"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("tickets:ticket_detail", args=[self.number])

    @property
    def is_open(self) -> bool:
        from ..choices import OPEN_STATUSES

        return self.status in OPEN_STATUSES

    @property
    def subject_tag(self) -> str:
        """The tag that threads an email reply back to this ticket."""
        return f"[{self.number}]"


class Comment(TimeStampedModel):
    """A reply on a ticket: public (the requester sees it) or internal (staff only)."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ticket_comments",
    )
    author_email = models.EmailField(
        _("author email"), blank=True, help_text=_("For replies that came by email.")
    )
    body = models.TextField(_("body"))
    body_html = models.TextField(editable=False, blank=True)
    is_internal = models.BooleanField(_("internal"), default=False)
    channel = models.CharField(
        _("channel"),
        max_length=12,
        choices=EventChannel.choices,
        default=EventChannel.PAGE,
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=EventChannel.values),
                name="%(app_label)s_%(class)s_channel_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number} #{self.pk}"

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "body" in update_fields:
            kwargs["update_fields"] = {*update_fields, "body_html"}
        super().save(*args, **kwargs)

    @property
    def author_display(self) -> str:
        if self.author_id:
            return str(self.author)
        return self.author_email


class Attachment(models.Model):
    """A file on a ticket (optionally on one comment), stored under a random name."""

    uuid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="attachments"
    )
    comment = models.ForeignKey(
        Comment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(_("file"), upload_to=random_storage_name, max_length=200)
    original_name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    is_internal = models.BooleanField(
        _("internal"),
        default=False,
        help_text=_("Set when the attachment belongs to an internal comment."),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ticket_attachments",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("tickets:attachment_download", args=[self.uuid])


class TicketEvent(models.Model):
    """One audit line of a ticket: what changed, from what to what, who, from where."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=TicketEventKind.choices)
    field = models.CharField(_("field"), max_length=50, blank=True)
    old_value = models.TextField(_("old value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ticket_events",
    )
    channel = models.CharField(
        _("channel"), max_length=12, choices=EventChannel.choices
    )
    is_internal = models.BooleanField(_("internal"), default=False)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TicketEventKind.values),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=EventChannel.values),
                name="%(app_label)s_%(class)s_channel_valid",
            ),
        ]

    def __str__(self) -> str:
        if self.field:
            return f"{self.get_kind_display()}: {self.field} {self.old_value} → {self.new_value}"
        return f"{self.get_kind_display()} {self.new_value}".strip()


class CannedResponse(TimeStampedModel):
    """A reusable reply text for staff (optionally for one department)."""

    title = models.CharField(_("title"), max_length=150, unique=True)
    body = models.TextField(_("body"))
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_responses",
    )

    objects = CannedResponseQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self) -> str:
        return self.title
