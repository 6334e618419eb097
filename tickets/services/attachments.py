"""Attachments go through one pipeline: checked (size, name, content), stored
under a random name, recorded on the timeline."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from ..choices import TicketEventKind
from ..models import Attachment, Comment, Ticket
from ..uploads import check_upload
from .events import actor_or_none, record_event


@transaction.atomic
def add_attachment(
    ticket: Ticket, *, upload, by, channel: str, comment: Comment | None = None
) -> Attachment:
    """Store an uploaded file on a ticket (or on one of its comments)."""
    if comment is not None and comment.ticket_id != ticket.pk:
        raise PermissionDenied(_("The comment belongs to another ticket."))
    checked = check_upload(upload)
    is_internal = bool(comment and comment.is_internal)
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        is_internal=is_internal,
        uploaded_by=actor_or_none(by),
    )
    # The storage name comes from upload_to (random); the user's name is only
    # kept as a display value.
    attachment.file.save("upload", upload, save=False)
    attachment.save()
    record_event(
        ticket,
        kind=TicketEventKind.ATTACHED,
        channel=channel,
        by=by,
        new=checked.original_name,
        is_internal=is_internal,
    )
    return attachment


@transaction.atomic
def delete_attachment(attachment: Attachment, *, by, channel: str) -> None:
    """Remove an attachment; its file is deleted after commit."""
    if getattr(by, "company_id", None) is not None:
        raise PermissionDenied(_("Clients cannot remove attachments."))
    ticket = attachment.ticket
    name = attachment.original_name
    is_internal = attachment.is_internal
    attachment.delete()
    record_event(
        ticket,
        kind=TicketEventKind.ATTACHMENT_REMOVED,
        channel=channel,
        by=by,
        old=name,
        is_internal=is_internal,
    )
