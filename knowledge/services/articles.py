"""Writes for the knowledge base (STYLE R6): versions, publishing, attachments,
votes. Every change of an article's text is a new ArticleVersion."""

import hashlib
import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tickets.choices import EventChannel

from ..choices import ArticleStatus, ArticleVisibility, ExtractionStatus, MessageRole
from ..extraction import ExtractionError, extract_text
from ..models import (
    Article,
    ArticleAttachment,
    ArticleVersion,
    ArticleVote,
    AssistantMessage,
    AssistantSession,
    SessionDocument,
)
from ..rendering import markdown_to_text, render_markdown
from ..search import index_article
from ..uploads import EXTRACTABLE_KINDS, kind_for, safe_filename, validate_upload

CONTENT_FIELDS = ("title", "summary", "body")
META_FIELDS = (
    "category",
    "status",
    "visibility",
    "owner",
    "review_by",
    "slug",
)
M2M_FIELDS = ("tags", "companies", "related_assets")
# Linked tickets are set apart (set_article_tickets): each change is recorded on
# the ticket's timeline, and links the editor cannot see are kept.
TICKET_FIELD = "related_tickets"

# The field name the ticket timeline shows for link changes.
TICKET_EVENT_FIELD = "knowledge_articles"

logger = logging.getLogger(__name__)


def unique_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(title, allow_unicode=True)[:250] or "article"
    slug, n = base, 1
    taken = Article.objects.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _next_version_number(article: Article) -> int:
    # The UPDATE locks the article row until commit, so two editors saving at once
    # get different numbers (the unique constraint backs this up).
    Article.objects.filter(pk=article.pk).update(version_count=F("version_count") + 1)
    return Article.objects.values_list("version_count", flat=True).get(pk=article.pk)


def _show_version(article: Article, version: ArticleVersion) -> None:
    """Make `version` what readers see: copy its text onto the article row."""
    article.title, article.summary, article.body = (
        version.title,
        version.summary,
        version.body,
    )
    article.body_html = render_markdown(version.body)
    article.body_text = markdown_to_text(version.body)


def _validate_scope(article: Article, companies) -> None:
    if article.visibility == ArticleVisibility.COMPANIES and not companies:
        raise ValidationError(
            {"companies": _("Choose at least one company for this visibility.")}
        )


def _set_m2m(article: Article, values: dict) -> None:
    for name in M2M_FIELDS:
        if name in values and values[name] is not None:
            getattr(article, name).set(values[name])


@transaction.atomic
def create_article(
    *,
    title: str,
    author,
    body: str = "",
    summary: str = "",
    slug: str = "",
    category=None,
    status: str = ArticleStatus.DRAFT,
    visibility: str = ArticleVisibility.INTERNAL,
    owner=None,
    review_by=None,
    tags: Iterable = (),
    companies: Iterable = (),
    related_assets: Iterable = (),
    related_tickets: Iterable = (),
    note: str = "",
    channel: str = "",
) -> Article:
    """Create an article and its version 1 (published at once if status says so)."""
    companies = list(companies)
    article = Article(
        title=title,
        summary=summary,
        body=body,
        slug=slug or unique_slug(title),
        category=category,
        status=status,
        visibility=visibility,
        author=author,
        owner=owner or author,
        review_by=review_by,
    )
    _validate_scope(article, companies)
    article.body_html = render_markdown(body)
    article.body_text = markdown_to_text(body)
    article.full_clean(exclude=["search_vector"])
    article.save()
    _set_m2m(
        article,
        {
            "tags": list(tags),
            "companies": companies,
            "related_assets": list(related_assets),
        },
    )
    version = ArticleVersion.objects.create(
        article=article,
        number=_next_version_number(article),
        title=title,
        summary=summary,
        body=body,
        author=author,
        note=note or _("Created"),
    )
    article.latest_version = version
    article.version_count = version.number
    fields = ["latest_version", "updated_at"]
    if status == ArticleStatus.PUBLISHED:
        article.published_version, article.published_at = version, timezone.now()
        fields += ["published_version", "published_at"]
    article.save(update_fields=fields)
    related_tickets = list(related_tickets)
    if related_tickets:
        set_article_tickets(
            article, tickets=related_tickets, by=author, channel=channel
        )
    index_article(article.pk)
    return article


@transaction.atomic
def update_article(
    article: Article,
    *,
    by,
    note: str = "",
    publish: bool = False,
    channel: str = "",
    **changes,
) -> Article:
    """Apply changes. New text becomes a new version; readers keep seeing the
    published version until `publish` (or a change of status to published).
    Drafts show their latest version directly."""
    unknown = (
        set(changes)
        - set(CONTENT_FIELDS)
        - set(META_FIELDS)
        - set(M2M_FIELDS)
        - {TICKET_FIELD}
    )
    if unknown:
        raise ValidationError(
            {name: _("This field cannot be changed.") for name in unknown}
        )
    article = Article.objects.select_for_update().get(pk=article.pk)
    latest = article.latest_version
    current = {
        name: getattr(latest, name) if latest else getattr(article, name)
        for name in CONTENT_FIELDS
    }
    wanted = {name: changes.get(name, current[name]) for name in CONTENT_FIELDS}
    for name in CONTENT_FIELDS:
        if wanted[name] is None:
            wanted[name] = ""
    was_published = article.status == ArticleStatus.PUBLISHED
    for name in META_FIELDS:
        if name in changes:
            setattr(article, name, changes[name])
    if not article.slug:
        article.slug = unique_slug(wanted["title"], exclude_pk=article.pk)
    companies = (
        changes["companies"]
        if "companies" in changes
        else list(article.companies.all())
    )
    _validate_scope(article, companies)
    if not wanted["title"].strip():
        raise ValidationError({"title": _("This field cannot be blank.")})

    version = latest
    if wanted != current or latest is None:
        version = ArticleVersion.objects.create(
            article=article,
            number=_next_version_number(article),
            author=by,
            note=note[:250],
            **wanted,
        )
        article.latest_version = version
        article.version_count = version.number
    becomes_published = article.status == ArticleStatus.PUBLISHED and (
        publish or not was_published or article.published_version_id is None
    )
    if publish and article.status != ArticleStatus.PUBLISHED:
        article.status = ArticleStatus.PUBLISHED
        becomes_published = True
    if becomes_published:
        article.published_version = version
        article.published_at = timezone.now()
        _show_version(article, version)
    elif article.status != ArticleStatus.PUBLISHED:
        _show_version(article, version)
    article.full_clean(exclude=["search_vector"])
    article.save()
    _set_m2m(article, changes)
    if changes.get(TICKET_FIELD) is not None:
        set_article_tickets(
            article, tickets=changes[TICKET_FIELD], by=by, channel=channel
        )
    index_article(article.pk)
    return article


@transaction.atomic
def publish_article(article: Article, *, by) -> Article:
    """Publish the latest version (readers see it from now on)."""
    return update_article(article, by=by, publish=True)


@transaction.atomic
def restore_article_version(
    article: Article, *, number: int, by, note: str = "", publish: bool = False
) -> Article:
    """Restore an old version's text as a new version (history is never rewritten)."""
    old = ArticleVersion.objects.filter(article=article, number=number).first()
    if old is None:
        raise ValidationError(
            {"version": _("There is no version %(n)s.") % {"n": number}}
        )
    article = update_article(
        article,
        by=by,
        publish=publish,
        note=note or _("Restored from version %(n)s") % {"n": number},
        title=old.title,
        summary=old.summary,
        body=old.body,
    )
    version = article.latest_version
    if version.restored_from is None and version.number != number:
        version.restored_from = number
        version.save(update_fields=["restored_from"])
    return article


@transaction.atomic
def delete_article(article: Article) -> None:
    """Delete an article with its versions and attachments; files go after commit
    (knowledge.signals removes each attachment's file)."""
    article.delete()


@transaction.atomic
def add_article_attachment(article: Article, *, upload, by) -> ArticleAttachment:
    """Store a checked upload under a random name and queue its text extraction."""
    kind = validate_upload(upload)
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = ArticleAttachment(
        article=article,
        original_name=safe_filename(upload.name),
        content_type=kind.content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
        extraction_status=(
            ExtractionStatus.PENDING
            if kind.name in EXTRACTABLE_KINDS
            else ExtractionStatus.SKIPPED
        ),
    )
    attachment.file.save(attachment.original_name, upload, save=False)
    attachment.save()
    Article.objects.filter(pk=article.pk).update(updated_at=timezone.now())
    if attachment.extraction_status == ExtractionStatus.PENDING:
        from ..tasks import extract_attachment_text_task

        transaction.on_commit(
            lambda: _queue(extract_attachment_text_task, attachment.pk)
        )
    return attachment


def _queue(task, pk: int) -> None:
    """With the broker down, extract in this process (size-capped) rather than fail
    the upload that is already saved, or leave its text PENDING for good."""
    from kombu.exceptions import OperationalError as BrokerError

    try:
        task.delay(pk)
    except BrokerError as exc:
        logger.warning("broker unavailable (%s): extracting %s inline", exc, pk)
        task.apply(args=(pk,), throw=False)


def _extract_into(obj) -> None:
    kind = kind_for(obj.original_name)
    if kind is None or kind.name not in EXTRACTABLE_KINDS:
        obj.text, obj.extraction_status, obj.extraction_error = (
            "",
            ExtractionStatus.SKIPPED,
            "",
        )
        return
    try:
        with obj.file.open("rb") as handle:
            data = handle.read()
        obj.text = extract_text(data, kind.name)
        obj.extraction_status, obj.extraction_error = ExtractionStatus.DONE, ""
    except (ExtractionError, OSError) as exc:
        obj.text, obj.extraction_status = "", ExtractionStatus.FAILED
        obj.extraction_error = str(exc)[:300]


@transaction.atomic
def extract_attachment_text(attachment: ArticleAttachment) -> ArticleAttachment:
    """Read the file's text and re-index its article; safe to run again."""
    _extract_into(attachment)
    attachment.save(update_fields=["text", "extraction_status", "extraction_error"])
    index_article(attachment.article_id)
    return attachment


@transaction.atomic
def delete_attachment(attachment: ArticleAttachment) -> None:
    article_id = attachment.article_id
    attachment.delete()
    index_article(article_id)


@transaction.atomic
def extract_document_text(document: SessionDocument) -> SessionDocument:
    """Read an assistant session document's text; safe to run again."""
    _extract_into(document)
    document.save(update_fields=["text", "extraction_status", "extraction_error"])
    return document


@transaction.atomic
def vote_article(article: Article, *, user, helpful: bool) -> Article:
    """Record (or change) one person's vote and refresh the article's counts."""
    ArticleVote.objects.update_or_create(
        article=article, user=user, defaults={"helpful": helpful}
    )
    counts = ArticleVote.objects.filter(article=article).aggregate(
        yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False))
    )
    Article.objects.filter(pk=article.pk).update(
        helpful_count=counts["yes"], unhelpful_count=counts["no"]
    )
    article.helpful_count, article.unhelpful_count = counts["yes"], counts["no"]
    return article


def record_article_view(article: Article) -> None:
    """Count one view (an UPDATE with F(), so concurrent views are not lost)."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


def suggest_articles(text: str, *, user, limit: int = 5) -> list[Article]:
    """Published articles the user may read that match any word of `text` (for
    example a new ticket's title), best first."""
    if not text or not text.strip():
        return []
    return list(
        Article.objects.visible_to(user)
        .published()
        .search(text, mode="any")
        .select_related("category")[:limit]
    )


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


MAX_SESSION_DOCUMENTS = 10
MAX_QUESTION_CHARS = 4000


@transaction.atomic
def start_assistant_session(*, user, title: str = "") -> AssistantSession:
    """Open a new conversation for `user`."""
    return AssistantSession.objects.create(user=user, title=title.strip()[:200])


@transaction.atomic
def add_session_document(session: AssistantSession, *, upload) -> SessionDocument:
    """Store a checked file in a session and queue its text extraction."""
    if session.documents.count() >= MAX_SESSION_DOCUMENTS:
        raise ValidationError(
            {
                "file": _("A session holds at most %(n)s documents.")
                % {"n": MAX_SESSION_DOCUMENTS}
            }
        )
    kind = validate_upload(upload)
    document = SessionDocument(
        session=session,
        original_name=safe_filename(upload.name),
        content_type=kind.content_type,
        size=upload.size,
        extraction_status=(
            ExtractionStatus.PENDING
            if kind.name in EXTRACTABLE_KINDS
            else ExtractionStatus.SKIPPED
        ),
    )
    document.file.save(document.original_name, upload, save=False)
    document.save()
    if document.extraction_status == ExtractionStatus.PENDING:
        from ..tasks import extract_document_text_task

        transaction.on_commit(lambda: _queue(extract_document_text_task, document.pk))
    return document


def ask_assistant(session: AssistantSession, *, question: str) -> AssistantMessage:
    """Answer a question in a session and store both messages.

    Not one transaction: the provider may take many seconds over HTTP, and a
    database transaction must not stay open that long. Nothing is stored when the
    provider fails (ProviderError reaches the caller)."""
    from ..assistant import active_provider, retrieve_passages

    question = (question or "").strip()
    if not question:
        raise ValidationError({"content": _("Ask a question.")})
    if len(question) > MAX_QUESTION_CHARS:
        raise ValidationError(
            {
                "content": _("Keep the question under %(n)s characters.")
                % {"n": MAX_QUESTION_CHARS}
            }
        )
    provider = active_provider()
    limit = provider.config.max_passages if provider.config else 5
    passages = retrieve_passages(
        question, user=session.user, session=session, limit=limit
    )
    history = [
        {"role": m.role, "content": m.content}
        for m in session.messages.order_by("-id")[:8]
    ][::-1]
    answer = provider.answer(question, passages, history)
    return _store_exchange(
        session,
        question=question,
        answer=answer.content,
        citations=answer.citations,
        provider=provider.config.name if provider.config else provider.name,
    )


@transaction.atomic
def _store_exchange(
    session, *, question, answer, citations, provider
) -> AssistantMessage:
    AssistantMessage.objects.create(
        session=session, role=MessageRole.USER, content=question
    )
    reply = AssistantMessage.objects.create(
        session=session,
        role=MessageRole.ASSISTANT,
        content=answer,
        citations=citations,
        provider=provider[:100],
    )
    fields = {"updated_at": timezone.now()}
    if not session.title:
        fields["title"] = session.title = question[:200]
    AssistantSession.objects.filter(pk=session.pk).update(**fields)
    return reply
