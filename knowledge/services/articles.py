"""Writes of articles (STYLE R6): versions, publishing, votes. Every change of an
article's text is a new ArticleVersion."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ..choices import ArticleStatus, ArticleVisibility
from ..models import Article, ArticleVersion, ArticleVote
from ..rendering import markdown_to_text, render_markdown
from ..search import index_article
from .links import TICKET_FIELD, set_article_tickets

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
