"""Ticket life cycle: create, update, transition, assign, reply, merge, split."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nexus.sequences import next_value

from ..choices import (
    SLA_PAUSED_STATUSES,
    TRANSITIONS,
    EventChannel,
    NotificationKind,
    TicketEventKind,
    TicketPriority,
    TicketSource,
    TicketStatus,
    TicketType,
)
from ..models import Comment, Ticket
from ..querysets import sees_all_tickets
from ..uploads import check_upload
from .attachments import add_attachment
from .events import actor_or_none, record_event
from .notifications import schedule_notification
from .sla import compute_sla, is_breached, sla_status_changed

# How long after closing a public reply may still reopen a ticket.
REOPEN_WINDOW_DAYS_DEFAULT = 14

SOURCE_BY_CHANNEL = {
    EventChannel.API: TicketSource.API,
    EventChannel.EMAIL: TicketSource.EMAIL,
}


def reopen_window() -> dt.timedelta:
    return dt.timedelta(
        days=getattr(settings, "NEXUS_TICKET_REOPEN_DAYS", REOPEN_WINDOW_DAYS_DEFAULT)
    )


def next_ticket_number() -> str:
    return f"T-{next_value('ticket'):06d}"


def _is_portal(user) -> bool:
    return user is not None and getattr(user, "company_id", None) is not None


def _require_staff(by) -> None:
    if _is_portal(by):
        raise PermissionDenied(_("Clients cannot do this."))


def _check_relations(
    *, company, requester=None, assets: Iterable = (), assignee=None
) -> None:
    errors = {}
    if requester is not None and company is not None:
        if not requester.companies.filter(pk=company.pk).exists():
            errors["requester"] = _("The requester is not a contact of this company.")
    if assets:
        foreign = [a for a in assets if company is None or a.company_id != company.pk]
        if foreign:
            errors["assets"] = _("Related assets must belong to the ticket's company.")
    if assignee is not None and (_is_portal(assignee) or not assignee.is_active):
        errors["assignee"] = _("Only active staff can be assigned.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_ticket(
    *,
    by,
    channel: str,
    title: str,
    description: str = "",
    company=None,
    requester=None,
    priority: str = TicketPriority.NORMAL,
    type: str = TicketType.INCIDENT,
    source: str | None = None,
    department=None,
    assignee=None,
    due_at=None,
    assets: Iterable = (),
    tags: Iterable = (),
    watchers: Iterable = (),
    uploads: Iterable = (),
) -> Ticket:
    """Open a ticket with its SLA due times, audit line and notifications.

    A client (portal user) always opens it for their own company, as its
    requester, and cannot route or assign it.
    """
    assets, tags, watchers, uploads = (
        list(assets),
        list(tags),
        list(watchers),
        list(uploads),
    )
    # Check every file before anything is stored, so that a refused second file
    # leaves no orphan of the first one in storage.
    for upload in uploads:
        check_upload(upload)
    if _is_portal(by):
        if company is not None and company.pk != by.company_id:
            raise ValidationError(
                {"company": _("You can open tickets only for your company.")}
            )
        if assignee is not None or department is not None or watchers:
            raise ValidationError(
                {"assignee": _("Clients cannot assign or route tickets.")}
            )
        company = by.company
        requester = getattr(by, "contact", None) if requester is None else requester
        source = source or (
            TicketSource.API if channel == EventChannel.API else TicketSource.PORTAL
        )
    _check_relations(
        company=company, requester=requester, assets=assets, assignee=assignee
    )
    ticket = Ticket(
        number=next_ticket_number(),
        title=title,
        description=description,
        company=company,
        requester=requester,
        priority=priority,
        type=type,
        source=source or SOURCE_BY_CHANNEL.get(channel, TicketSource.WEB),
        department=department,
        assignee=assignee,
        due_at=due_at,
        created_by=actor_or_none(by),
        created_at=timezone.now(),
    )
    compute_sla(ticket)
    ticket.full_clean()
    ticket.save()
    if assets:
        ticket.assets.set(assets)
    if tags:
        ticket.tags.set(tags)
    if watchers:
        ticket.watchers.set(watchers)
    record_event(ticket, kind=TicketEventKind.CREATED, channel=channel, by=by)
    for upload in uploads:
        add_attachment(ticket, upload=upload, by=by, channel=channel)
    schedule_notification(NotificationKind.NEW_TICKET, ticket.pk)
    if assignee is not None and assignee != by:
        schedule_notification(NotificationKind.ASSIGNED, ticket.pk)
    return ticket


UPDATABLE_FIELDS = (
    "title",
    "description",
    "priority",
    "type",
    "company",
    "requester",
    "department",
    "due_at",
)


@transaction.atomic
def update_ticket(ticket: Ticket, *, by, channel: str, **changes) -> Ticket:
    """Change fields of a ticket, recording each change; status and assignee go
    through their own rules (transition_ticket, assign_ticket)."""
    _require_staff(by)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    unknown = set(changes) - {
        *UPDATABLE_FIELDS,
        "status",
        "assignee",
        "tags",
        "assets",
        "watchers",
    }
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed.") for name in unknown}
        )
    status = changes.pop("status", None)
    has_assignee = "assignee" in changes
    assignee = changes.pop("assignee", None)
    m2m = {
        name: changes.pop(name)
        for name in ("tags", "assets", "watchers")
        if name in changes
    }
    recompute = False
    changed_fields = []
    for name, value in changes.items():
        old = getattr(ticket, name)
        if old == value:
            continue
        setattr(ticket, name, value)
        changed_fields.append(name)
        record_event(
            ticket,
            kind=TicketEventKind.CHANGED,
            channel=channel,
            by=by,
            field=name,
            old=old if name != "description" else "",
            new=value if name != "description" else "",
        )
        if name in ("priority", "company"):
            recompute = True
    if "company" in changed_fields or "requester" in changed_fields:
        _check_relations(
            company=ticket.company,
            requester=ticket.requester,
            assets=m2m.get("assets", ticket.assets.all()),
        )
        if (
            ticket.time_entries.filter(billed_hours__gt=0).exists()
            and "company" in changed_fields
        ):
            raise ValidationError(
                {
                    "company": _(
                        "Billed time was logged on this ticket; move the time first."
                    )
                }
            )
    elif "assets" in m2m:
        _check_relations(company=ticket.company, assets=m2m["assets"])
    if recompute:
        changed_fields += compute_sla(ticket)
    if changed_fields:
        ticket.full_clean()
        ticket.save(update_fields=[*set(changed_fields), "updated_at"])
    for name, values in m2m.items():
        manager = getattr(ticket, name)
        old = set(manager.all())
        new = set(values)
        if old != new:
            manager.set(new)
            record_event(
                ticket,
                kind=TicketEventKind.CHANGED,
                channel=channel,
                by=by,
                field=name,
                old=", ".join(sorted(map(str, old))),
                new=", ".join(sorted(map(str, new))),
            )
    if has_assignee and assignee != ticket.assignee:
        ticket = assign_ticket(ticket, assignee=assignee, by=by, channel=channel)
    if status is not None and status != ticket.status:
        ticket = transition_ticket(ticket, status=status, by=by, channel=channel)
    return ticket


def _set_status(ticket: Ticket, new_status: str, *, now) -> list[str]:
    """Apply a status and its timestamps and SLA effects; the caller saves."""
    old_status = ticket.status
    ticket.status = new_status
    fields = ["status"]
    fields += sla_status_changed(
        ticket, old_status=old_status, new_status=new_status, now=now
    )
    if new_status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
    elif new_status == TicketStatus.CLOSED:
        ticket.closed_at = now
        if ticket.resolved_at is None:
            ticket.resolved_at = now
        fields += ["closed_at", "resolved_at"]
    elif old_status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        ticket.resolved_at = ticket.closed_at = None
        fields += ["resolved_at", "closed_at"]
    if (
        new_status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
        and not ticket.sla_breached
        and is_breached(ticket, now=now)
    ):
        ticket.sla_breached, ticket.sla_breached_at = True, now
        fields += ["sla_breached", "sla_breached_at"]
    return fields


@transaction.atomic
def transition_ticket(ticket: Ticket, *, status: str, by, channel: str) -> Ticket:
    """Move a ticket to another status if the workflow allows it."""
    _require_staff(by)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if status not in TicketStatus.values:
        raise ValidationError({"status": _("Unknown status “%s”.") % status})
    if status == ticket.status:
        return ticket
    if status not in TRANSITIONS[ticket.status]:
        if ticket.status == TicketStatus.CLOSED:
            message = _("A closed ticket reopens only by a new public reply.")
        else:
            message = _("A ticket cannot go from “%(old)s” to “%(new)s”.") % {
                "old": ticket.get_status_display(),
                "new": TicketStatus(status).label,
            }
        raise ValidationError({"status": message})
    old = ticket.get_status_display()
    now = timezone.now()
    fields = _set_status(ticket, status, now=now)
    ticket.save(update_fields=[*set(fields), "updated_at"])
    record_event(
        ticket,
        kind=TicketEventKind.CHANGED,
        channel=channel,
        by=by,
        field="status",
        old=old,
        new=ticket.get_status_display(),
    )
    return ticket


def check_can_assign(ticket: Ticket, *, assignee, by) -> None:
    """Managers assign within their department; technicians take tickets themselves."""
    _require_staff(by)
    if by is None or sees_all_tickets(by):
        return
    if by.is_manager:
        if assignee is not None and assignee.department_id != by.department_id:
            raise ValidationError(
                {
                    "assignee": _(
                        "Managers can assign only to people of their department."
                    )
                }
            )
        return
    if assignee is not None and assignee.pk != by.pk:
        raise ValidationError(
            {"assignee": _("You can assign tickets only to yourself.")}
        )
    if assignee is None and ticket.assignee_id not in (None, by.pk):
        raise ValidationError({"assignee": _("You cannot unassign someone else.")})


@transaction.atomic
def assign_ticket(ticket: Ticket, *, assignee, by, channel: str) -> Ticket:
    """Give the ticket to a staff member (or nobody) and tell them."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if assignee == ticket.assignee:
        return ticket
    check_can_assign(ticket, assignee=assignee, by=by)
    _check_relations(company=ticket.company, assignee=assignee)
    old = ticket.assignee
    ticket.assignee = assignee
    fields = ["assignee"]
    if assignee is not None and ticket.department_id is None and assignee.department_id:
        ticket.department_id = assignee.department_id
        fields.append("department")
    ticket.save(update_fields=[*fields, "updated_at"])
    record_event(
        ticket,
        kind=TicketEventKind.CHANGED,
        channel=channel,
        by=by,
        field="assignee",
        old=old or "",
        new=assignee or "",
    )
    if assignee is not None and assignee != by:
        schedule_notification(NotificationKind.ASSIGNED, ticket.pk)
    return ticket


def _final_target(ticket: Ticket) -> Ticket:
    seen = {ticket.pk}
    while ticket.merged_into_id and ticket.merged_into_id not in seen:
        seen.add(ticket.merged_into_id)
        ticket = ticket.merged_into
    return ticket


@transaction.atomic
def reply_to_ticket(
    ticket: Ticket,
    *,
    by=None,
    body: str,
    channel: str,
    is_internal: bool = False,
    author_email: str = "",
    uploads: Iterable = (),
    now=None,
) -> Comment:
    """Add a comment. A public reply may reopen a resolved ticket, or a closed one
    within the reopen window; a staff member's first public reply stops the
    first-response clock."""
    now = now or timezone.now()
    uploads = list(uploads)
    for upload in uploads:
        check_upload(upload)
    ticket = _final_target(ticket)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not (body or "").strip():
        raise ValidationError({"body": _("Write something.")})
    from_client = _is_portal(by) or (by is None and channel == EventChannel.EMAIL)
    if is_internal and _is_portal(by):
        raise ValidationError(
            {"is_internal": _("Clients cannot write internal notes.")}
        )
    fields: list[str] = []
    reopened = False
    if not is_internal and ticket.status == TicketStatus.CLOSED:
        if (
            ticket.merged_into_id
            or ticket.closed_at is None
            or now - ticket.closed_at > reopen_window()
        ):
            raise ValidationError(
                {
                    "body": _(
                        "This ticket was closed more than %(days)s days ago; open a new ticket."
                    )
                    % {"days": reopen_window().days}
                }
            )
        reopened = True
    elif not is_internal and ticket.status == TicketStatus.RESOLVED and from_client:
        reopened = True
    if reopened:
        old = ticket.get_status_display()
        fields += _set_status(ticket, TicketStatus.OPEN, now=now)
        record_event(
            ticket,
            kind=TicketEventKind.REOPENED,
            channel=channel,
            by=by,
            field="status",
            old=old,
            new=ticket.get_status_display(),
        )
    elif not is_internal and from_client and ticket.status in SLA_PAUSED_STATUSES:
        # The client answered what we were waiting for: the clock runs again.
        old = ticket.get_status_display()
        fields += _set_status(ticket, TicketStatus.OPEN, now=now)
        record_event(
            ticket,
            kind=TicketEventKind.CHANGED,
            channel=channel,
            by=by,
            field="status",
            old=old,
            new=ticket.get_status_display(),
        )
    if not is_internal and not from_client and by is not None:
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
            fields.append("first_responded_at")
            fields += compute_sla(ticket, policy=ticket.sla_policy)
        if ticket.status == TicketStatus.NEW:
            fields += _set_status(ticket, TicketStatus.OPEN, now=now)
            record_event(
                ticket,
                kind=TicketEventKind.CHANGED,
                channel=channel,
                by=by,
                field="status",
                old=TicketStatus.NEW.label,
                new=TicketStatus.OPEN.label,
            )
    comment = Comment(
        ticket=ticket,
        author=actor_or_none(by),
        author_email=author_email,
        body=body,
        is_internal=is_internal,
        channel=channel,
    )
    comment.full_clean()
    comment.save()
    if fields:
        ticket.save(update_fields=[*set(fields), "updated_at"])
    else:
        ticket.save(update_fields=["updated_at"])
    record_event(
        ticket,
        kind=TicketEventKind.COMMENTED,
        channel=channel,
        by=by,
        new=_("internal note") if is_internal else _("public reply"),
        is_internal=is_internal,
    )
    for upload in uploads:
        add_attachment(ticket, upload=upload, by=by, channel=channel, comment=comment)
    if not is_internal:
        schedule_notification(
            NotificationKind.PUBLIC_REPLY, ticket.pk, comment_id=comment.pk
        )
    return comment


@transaction.atomic
def delete_comment(comment: Comment, *, by, channel: str) -> None:
    """Remove a comment and its attachments (files go after commit)."""
    _require_staff(by)
    ticket = comment.ticket
    is_internal = comment.is_internal
    comment.delete()
    record_event(
        ticket,
        kind=TicketEventKind.CHANGED,
        channel=channel,
        by=by,
        field="comments",
        old=_("comment removed"),
        is_internal=is_internal,
    )


@transaction.atomic
def merge_tickets(source: Ticket, *, into: Ticket, by, channel: str) -> Ticket:
    """Move comments, attachments and time of `source` into `into`, then close
    `source` with a link to it. Both must belong to the same company."""
    _require_staff(by)
    if source.pk == into.pk:
        raise ValidationError({"into": _("A ticket cannot be merged into itself.")})
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update()
        .filter(pk__in=[source.pk, into.pk])
        .order_by("pk")
    }
    source, into = locked[source.pk], locked[into.pk]
    if source.company_id != into.company_id:
        raise ValidationError(
            {"into": _("Only tickets of the same company can be merged.")}
        )
    if source.merged_into_id:
        raise ValidationError({"into": _("This ticket was already merged.")})
    if into.status == TicketStatus.CLOSED:
        raise ValidationError({"into": _("A closed ticket cannot receive a merge.")})
    now = timezone.now()
    moved_comments = source.comments.update(ticket=into)
    moved_files = source.attachments.update(ticket=into)
    moved_time = source.time_entries.update(ticket=into)
    if source.description.strip():
        Comment.objects.create(
            ticket=into,
            author=actor_or_none(by),
            body=_("Merged from %(number)s: %(title)s\n\n%(text)s")
            % {
                "number": source.number,
                "title": source.title,
                "text": source.description,
            },
            channel=channel,
        )
    into.watchers.add(*source.watchers.all())
    into.tags.add(*source.tags.all())
    into.assets.add(*source.assets.all())
    old_status = source.get_status_display()
    fields = []
    if source.status != TicketStatus.CLOSED:
        fields = _set_status(source, TicketStatus.CLOSED, now=now)
    source.merged_into = into
    source.save(update_fields=[*set(fields), "merged_into", "updated_at"])
    record_event(
        source,
        kind=TicketEventKind.MERGED,
        channel=channel,
        by=by,
        field="status",
        old=old_status,
        new=_("merged into %s") % into.number,
    )
    record_event(
        into,
        kind=TicketEventKind.MERGED,
        channel=channel,
        by=by,
        new=_(
            "%(number)s merged in (%(comments)s comments, %(files)s files, %(time)s time entries)"
        )
        % {
            "number": source.number,
            "comments": moved_comments,
            "files": moved_files,
            "time": moved_time,
        },
    )
    into.save(update_fields=["updated_at"])
    return into


@transaction.atomic
def split_ticket(comment: Comment, *, by, channel: str, title: str = "") -> Ticket:
    """Turn a public comment into a new ticket of the same company; the comment
    and its attachments move to the new ticket."""
    _require_staff(by)
    if comment.is_internal:
        raise ValidationError({"comment": _("Only public comments can be split off.")})
    origin = comment.ticket
    new = create_ticket(
        by=by,
        channel=channel,
        title=title
        or _("Split from %(number)s: %(title)s")
        % {"number": origin.number, "title": origin.title},
        description=comment.body,
        company=origin.company,
        requester=origin.requester,
        priority=origin.priority,
        type=origin.type,
        source=origin.source,
        department=origin.department,
    )
    new.split_from = origin
    new.save(update_fields=["split_from", "updated_at"])
    comment.attachments.update(ticket=new)
    Comment.objects.filter(pk=comment.pk).update(ticket=new)
    record_event(
        origin, kind=TicketEventKind.SPLIT, channel=channel, by=by, new=new.number
    )
    record_event(
        new, kind=TicketEventKind.SPLIT, channel=channel, by=by, old=origin.number
    )
    return new


@transaction.atomic
def delete_ticket(ticket: Ticket, *, by, channel: str) -> None:
    """Delete a ticket: its billed time is refunded, its files removed."""
    from .time import delete_time

    _require_staff(by)
    for entry in list(ticket.time_entries.all()):
        delete_time(entry, by=by, channel=channel)
    ticket.delete()
