"""Links between articles and tickets; each change is recorded on the ticket's
timeline."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tickets.choices import EventChannel

from ..choices import ArticleStatus, ArticleVisibility
from ..models import Article

# Linked tickets are set apart (set_article_tickets): each change is recorded on
# the ticket's timeline, and links the editor cannot see are kept.
TICKET_FIELD = "related_tickets"

# The field name the ticket timeline shows for link changes.
TICKET_EVENT_FIELD = "knowledge_articles"


def _readable_by_ticket_company(article: Article, ticket) -> bool:
    """Whether the ticket's client may read the article (else the timeline line
    that names it is internal, so a client never learns an internal title)."""
    if article.status != ArticleStatus.PUBLISHED or ticket.company_id is None:
        return False
    if article.visibility == ArticleVisibility.PORTAL:
        return True
    return (
        article.visibility == ArticleVisibility.COMPANIES
        and article.companies.filter(pk=ticket.company_id).exists()
    )


def _record_ticket_link(article: Article, ticket, *, by, channel, linked: bool):
    from tickets.choices import TicketEventKind
    from tickets.services import record_event

    record_event(
        ticket,
        kind=TicketEventKind.CHANGED,
        channel=channel or EventChannel.PAGE,
        by=by,
        field=TICKET_EVENT_FIELD,
        old="" if linked else article.title,
        new=article.title if linked else "",
        is_internal=not _readable_by_ticket_company(article, ticket),
    )


def _check_linkable(article: Article, ticket, *, by) -> None:
    from tickets.models import Ticket

    if not Ticket.objects.visible_to(by).filter(pk=ticket.pk).exists():
        raise ValidationError({"ticket": _("You cannot see this ticket.")})
    if not Article.objects.visible_to(by).filter(pk=article.pk).exists():
        raise ValidationError({"article": _("You cannot see this article.")})


@transaction.atomic
def link_article_to_ticket(article: Article, *, ticket, by, channel: str = ""):
    """Link an article to a ticket (both must be visible to `by`); the ticket's
    timeline records it. Linking twice changes nothing."""
    _check_linkable(article, ticket, by=by)
    through = Article.related_tickets.through
    _, created = through.objects.get_or_create(article=article, ticket=ticket)
    if created:
        _record_ticket_link(article, ticket, by=by, channel=channel, linked=True)
    return article


@transaction.atomic
def unlink_article_from_ticket(article: Article, *, ticket, by, channel: str = ""):
    """Remove an article's link to a ticket; the ticket's timeline records it."""
    _check_linkable(article, ticket, by=by)
    through = Article.related_tickets.through
    deleted, _ = through.objects.filter(article=article, ticket=ticket).delete()
    if deleted:
        _record_ticket_link(article, ticket, by=by, channel=channel, linked=False)
    return article


@transaction.atomic
def set_article_tickets(
    article: Article, *, tickets: Iterable, by, channel: str = ""
) -> Article:
    """Make the tickets `by` can see that are linked to the article exactly
    `tickets`. Links to tickets outside `by`'s scope are kept: an editor scoped
    to one department must not silently drop another department's links."""
    from tickets.models import Ticket

    wanted = {ticket.pk: ticket for ticket in tickets}
    visible = Ticket.objects.visible_to(by)
    outside = set(wanted) - set(
        visible.filter(pk__in=wanted).values_list("pk", flat=True)
    )
    if outside:
        raise ValidationError(
            {TICKET_FIELD: _("You cannot link a ticket you cannot see.")}
        )
    current = {
        ticket.pk: ticket
        for ticket in visible.filter(knowledge_articles=article).only(
            "pk", "number", "company_id"
        )
    }
    through = Article.related_tickets.through
    added = [wanted[pk] for pk in wanted.keys() - current.keys()]
    removed = [current[pk] for pk in current.keys() - wanted.keys()]
    through.objects.bulk_create(
        [through(article=article, ticket=ticket) for ticket in added],
        ignore_conflicts=True,
    )
    through.objects.filter(
        article=article, ticket_id__in=[ticket.pk for ticket in removed]
    ).delete()
    for ticket in sorted(added, key=lambda t: t.pk):
        _record_ticket_link(article, ticket, by=by, channel=channel, linked=True)
    for ticket in sorted(removed, key=lambda t: t.pk):
        _record_ticket_link(article, ticket, by=by, channel=channel, linked=False)
    return article
