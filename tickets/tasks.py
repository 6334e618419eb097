"""Celery tasks: thin adapters over the services (STYLE R16)."""

from celery import shared_task

from .models import Comment, Mailbox, Ticket


@shared_task
def check_sla_task() -> dict:
    """Flag breached tickets and warn about at-risk ones; running it twice flags
    and notifies each ticket once (the flags are the memory)."""
    from .services import check_sla

    return check_sla()


@shared_task
def poll_mailbox_task(mailbox_id: int) -> dict | None:
    """Fetch a mailbox's new mail; repeating it never duplicates a ticket
    (Message-IDs are unique)."""
    from .services import poll_mailbox

    mailbox = Mailbox.objects.filter(pk=mailbox_id, active=True).first()
    if mailbox is None:
        return None
    return vars(poll_mailbox(mailbox))


@shared_task
def poll_mailboxes_task() -> int:
    """Poll every active mailbox (a manual "poll all"); returns how many. Running
    it twice only polls twice: processed messages are skipped by Message-ID."""
    ids = list(Mailbox.objects.filter(active=True).values_list("pk", flat=True))
    for mailbox_id in ids:
        poll_mailbox_task.delay(mailbox_id)
    return len(ids)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_ticket_notification_task(
    kind: str, ticket_id: int, comment_id: int | None = None
) -> int:
    """Email one notification; a repeat sends the same email again (harmless)."""
    from .services import send_notification

    ticket = (
        Ticket.objects.select_related(
            "requester", "assignee", "department__manager", "created_by"
        )
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        return 0
    comment = None
    if comment_id is not None:
        comment = Comment.objects.select_related("author").filter(pk=comment_id).first()
        if comment is None:
            return 0
    return send_notification(kind, ticket, comment=comment)
