"""Article search: PostgreSQL full text (weighted, ranked, highlighted, with a
trigram fallback for typos) and a simpler fallback with the same interface on
other databases. The index is kept current per article on write."""

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    TrigramWordSimilarity,
)
from django.db import connections
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from .rendering import MARK_START, MARK_STOP, marks_to_html, python_snippet, terms_of

SEARCH_CONFIG = "english"
MAX_INDEXED_ATTACHMENT_CHARS = 400_000
TRIGRAM_MIN_SIMILARITY = 0.45


def is_postgres(alias: str = "default") -> bool:
    return connections[alias].vendor == "postgresql"


def _vector(attachment_text):
    # SearchVector coalesces NULL to '' itself.
    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body_text", weight="C", config=SEARCH_CONFIG)
        + SearchVector(attachment_text, weight="D", config=SEARCH_CONFIG)
    )


def _head():
    return SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector(
        "summary", weight="B", config=SEARCH_CONFIG
    )


def index_article(article_id: int) -> None:
    """Rewrite one article's search vector from its columns and attachment text."""
    from .models import Article, ArticleAttachment

    if not is_postgres(Article.objects.db):
        return
    texts, total = [], 0
    for text in ArticleAttachment.objects.filter(article_id=article_id).values_list(
        "text", flat=True
    ):
        texts.append(text[: MAX_INDEXED_ATTACHMENT_CHARS - total])
        total += len(texts[-1])
        if total >= MAX_INDEXED_ATTACHMENT_CHARS:
            break
    Article.objects.filter(pk=article_id).update(
        search_vector=_vector(Value("\n".join(texts), output_field=TextField())),
        search_head=_head(),
    )


def reindex_articles(queryset) -> int:
    """Rebuild the vectors of many articles in one statement (backfills, bench)."""
    if not is_postgres(queryset.db):
        return 0
    from django.contrib.postgres.aggregates import StringAgg
    from django.db.models import Subquery

    from .models import ArticleAttachment

    attachments = (
        ArticleAttachment.objects.filter(article_id=OuterRef("pk"))
        .order_by()
        .values("article_id")
        .annotate(all_text=StringAgg("text", delimiter="\n"))
        .values("all_text")
    )
    return queryset.update(
        search_vector=_vector(
            Coalesce(Subquery(attachments), Value(""), output_field=TextField())
        )
    )


def _any_words_query(text: str) -> SearchQuery | None:
    terms = terms_of(text)
    if not terms:
        return None
    query = SearchQuery(terms[0], config=SEARCH_CONFIG)
    for term in terms[1:]:
        query |= SearchQuery(term, config=SEARCH_CONFIG)
    return query


def _postgres_search(queryset, text: str, mode: str):
    """Match on the full vector (title, summary, body, attachments); rank by the
    small title/summary vector, then by popularity. Ranking by the full vector
    would read every matching article's whole text (hundreds of ms for a common
    word across 50,000 articles); this way a title hit still ranks above a
    summary hit above a body-only hit, and the bench stays under 50 ms."""
    if mode == "any":
        query = _any_words_query(text)
        if query is None:
            return queryset.none()
    else:
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    matches = queryset.filter(search_vector=query)
    if mode == "all" and not matches.order_by().values("pk")[:1].exists():
        return _typo_search(queryset, text)
    return matches.annotate(
        search_rank=SearchRank(F("search_head"), query),
        search_snippet=SearchHeadline(
            "body_text",
            query,
            config=SEARCH_CONFIG,
            start_sel=MARK_START,
            stop_sel=MARK_STOP,
            max_words=35,
            min_words=15,
            max_fragments=2,
            fragment_delimiter=" … ",
        ),
    ).order_by("-search_rank", "-view_count", "-pk")


def _typo_search(queryset, text: str):
    """No word matched as written: titles with a word close to the query. The
    `%>` operator uses the trigram GIN index at our similarity threshold."""
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
            [str(TRIGRAM_MIN_SIMILARITY)],
        )
    return (
        queryset.filter(title__trigram_word_similar=text)
        .annotate(search_rank=TrigramWordSimilarity(text, "title"))
        .order_by("-search_rank", "-view_count", "-pk")
    )


def _fallback_search(queryset, text: str, mode: str):
    from .models import ArticleAttachment

    terms = terms_of(text)
    if not terms:
        return queryset.none()
    combined, rank = None, Value(0.0)
    for term in terms:
        in_attachment = Exists(
            ArticleAttachment.objects.filter(
                article=OuterRef("pk"), text__icontains=term
            )
        )
        condition = (
            Q(title__icontains=term)
            | Q(summary__icontains=term)
            | Q(body_text__icontains=term)
            | in_attachment
        )
        if combined is None:
            combined = condition
        else:
            combined = combined & condition if mode == "all" else combined | condition
        rank = rank + Case(
            When(title__icontains=term, then=Value(1.0)),
            When(summary__icontains=term, then=Value(0.4)),
            When(body_text__icontains=term, then=Value(0.2)),
            When(in_attachment, then=Value(0.1)),
            default=Value(0.0),
            output_field=FloatField(),
        )
    return (
        queryset.filter(combined)
        .annotate(search_rank=rank)
        .order_by("-search_rank", "-view_count", "-pk")
    )


def search_queryset(queryset, text: str, *, mode: str = "all"):
    text = (text or "").strip()[:200]
    if not text:
        return queryset.none()
    if is_postgres(queryset.db):
        return _postgres_search(queryset, text, mode)
    return _fallback_search(queryset, text, mode)


def snippet_for(article, query: str) -> str:
    """Escaped HTML around the hits: the database's headline when it made one,
    else the first hit in the body (or attachment-free summary)."""
    headline = getattr(article, "search_snippet", None)
    if headline and MARK_START in headline:
        return marks_to_html(headline)
    return python_snippet(article.body_text or article.summary, query)
