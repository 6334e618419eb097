"""Article search: PostgreSQL full text (weighted, ranked, highlighted, with a
trigram fallback for typos) and a simpler fallback with the same interface on
other databases. The index is kept current per article on write.

On PostgreSQL a page is fetched in tiers (title hits, title/summary hits, the
rest by popularity), each from a GIN index and cut at the page's end, so the
cost of a page does not grow with the number of matches; counts stop at
SEARCH_COUNT_CAP, and only the page's rows get a highlighted snippet."""

from dataclasses import dataclass

import orjson
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    TrigramWordSimilarity,
)
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connections
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    TextField,
    Value,
    When,
)
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Coalesce
from django.db.models.query import ModelIterable

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


def _title():
    return SearchVector("title", weight="A", config=SEARCH_CONFIG)


def index_article(article_id: int) -> None:
    """Rewrite one article's search vectors from its columns and attachment text."""
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
        search_title=_title(),
    )
    _add_words("a.id = %s", [article_id], using=Article.objects.db)


# The title and summary words of the given articles join the dictionary that
# misspelt search words are corrected against (words are never removed: a stale
# one only proposes a correction that then matches nothing).
WORDS_SQL = (
    "INSERT INTO knowledge_searchword (word)"
    " SELECT DISTINCT w FROM knowledge_article a,"
    " unnest(tsvector_to_array(to_tsvector('simple',"
    " coalesce(a.title, '') || ' ' || coalesce(a.summary, '')))) AS w"
    " WHERE {where} AND length(w) BETWEEN 3 AND 100 ON CONFLICT DO NOTHING"
)


def _add_words(where: str, params: list, *, using: str) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(WORDS_SQL.format(where=where), params)


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
    updated = queryset.update(
        search_vector=_vector(
            Coalesce(Subquery(attachments), Value(""), output_field=TextField())
        ),
        search_head=_head(),
        search_title=_title(),
    )
    ids_sql, ids_params = queryset.order_by().values("pk").query.sql_with_params()
    _add_words(f"a.id IN ({ids_sql})", list(ids_params), using=queryset.db)
    return updated


def _any_words_query(text: str) -> SearchQuery | None:
    terms = terms_of(text)
    if not terms:
        return None
    query = SearchQuery(terms[0], config=SEARCH_CONFIG)
    for term in terms[1:]:
        query |= SearchQuery(term, config=SEARCH_CONFIG)
    return query


@dataclass(frozen=True)
class SearchTiers:
    """What a PostgreSQL search matched with, kept on the queryset so that a page
    of it can be fetched tier by tier (fetch_search_page)."""

    query: SearchQuery  # every word ("all") or any word ("any")
    any_words: SearchQuery  # any word: the title/summary tier

    def in_title(self) -> Q:
        return Q(search_title=self.query)

    def in_head(self) -> Q:
        return Q(search_head=self.any_words)


# Results come in three tiers: 1. the title has the words; 2. the title or
# summary has some of them; 3. only the body or an attachment has them. Tiers 1
# and 2 are ordered by the title/summary rank, all three then by popularity.
SEARCH_ORDERING = ("search_tier", "-search_rank", "-view_count", "-pk")
TIER_ORDERING = ("-search_rank", "-view_count", "-pk")
# With `q`, counting stops here: an exact count of a word found in most
# articles would read all of them on every page.
SEARCH_COUNT_CAP = 1000


def _postgres_search(queryset, text: str, mode: str, *, correct: bool = True):
    """Match on the full vector (title, summary, body, attachments); order by
    tier, then by the small title/summary vector's rank, then by popularity.
    Only the rows of the page asked for are ranked (fetch_search_page), so a
    word found in most of 50,000 articles still answers in a few ms."""
    if mode == "any":
        query = _any_words_query(text)
        if query is None:
            return queryset.none()
    else:
        query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    matches = queryset.filter(search_vector=query)
    if mode == "all" and not matches.order_by().values("pk")[:1].exists():
        corrected = _corrected(text, using=queryset.db) if correct else None
        if corrected:
            return _postgres_search(queryset, corrected, mode, correct=False)
        return _typo_search(queryset, text)
    tiers = SearchTiers(query=query, any_words=_any_words_query(text) or query)
    result = (
        matches.defer(*VECTOR_FIELDS)
        .annotate(
            search_rank=Coalesce(
                SearchRank(F("search_head"), query),
                Value(0.0),
                output_field=FloatField(),
            ),
            search_tier=Case(
                When(tiers.in_title(), then=Value(1)),
                When(tiers.in_head(), then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            ),
        )
        .order_by(*SEARCH_ORDERING)
    )
    result._search_tiers = tiers
    return result


VECTOR_FIELDS = ("search_vector", "search_head", "search_title")


def _tiered_hits(queryset, tiers: SearchTiers) -> list[tuple[int, int, float]]:
    """(id, tier, rank) of the page's rows, asking tier after tier and stopping
    when the page is full: a common word is ranked only among the articles with
    it in the title (tier 1), and tier 3 is read in popularity order."""
    low, high = queryset.query.low_mark, queryset.query.high_mark
    base = queryset._chain()
    base.query.clear_limits()
    in_title, in_head = tiers.in_title(), tiers.in_head()
    tier_querysets = (
        lambda: base.filter(in_title).order_by(*TIER_ORDERING),
        lambda: base.filter(in_head).exclude(in_title).order_by(*TIER_ORDERING),
        lambda: base.exclude(in_head).exclude(in_title).order_by("-view_count", "-pk"),
    )
    hits: list[tuple[int, int, float]] = []
    for tier, make in enumerate(tier_querysets, start=1):
        rows = make().values_list("pk", "search_rank")[: high - len(hits)]
        hits += [(pk, tier, rank) for pk, rank in rows]
        if len(hits) >= high:
            break
    return hits[low:high]


def fetch_search_page(queryset) -> list:
    """Evaluate a search queryset: tier by tier when it is a slice in the search's
    own order (pages, suggestions: ids first, then those rows), else as one
    query; only the rows fetched are highlighted."""
    tiers = queryset._search_tiers
    plain = queryset._chain()
    plain._search_tiers = None
    plain._prefetch_related_lookups = ()  # the caller prefetches for the rows
    if plain._iterable_class is not ModelIterable:
        return list(plain)
    query = plain.query
    if not (
        query.high_mark is not None
        and tuple(query.order_by) == SEARCH_ORDERING
        and set(query.annotations) == {"search_rank", "search_tier"}
        and not query.combinator
        and not query.distinct
        and not query.select_for_update
    ):
        return list(plain.annotate(search_snippet=_headline(tiers.query)))
    hits = _tiered_hits(plain, tiers)
    if not hits:
        return []
    # The rows by id, without the search and scope filters the ids already
    # passed; same columns and joins as asked for.
    rows = plain.model._base_manager.filter(pk__in=[pk for pk, _, _ in hits])
    rows.query.select_related = query.select_related
    rows.query.deferred_loading = query.deferred_loading
    joined = _forward_relations(queryset)
    if joined and rows.query.select_related is not True:
        # Only the page's rows are read here, so their categories, authors and
        # versions come joined instead of as one prefetch query each (the
        # caller's prefetch then finds them loaded).
        rows = rows.select_related(*joined)
    embedded = _embeddable_lists(queryset)
    rows = rows.annotate(
        search_snippet=_headline(tiers.query),
        **{name: expression for name, (expression, _fill) in embedded.items()},
    )
    by_id = {row.pk: row for row in rows.order_by()}
    for name, (_expression, fill) in embedded.items():
        for row in by_id.values():
            fill(row, row.__dict__.pop(name))
    page = []
    for pk, tier, rank in hits:
        row = by_id.get(pk)
        if row is not None:
            row.search_tier, row.search_rank = tier, rank
            page.append(row)
    return page


# Column types whose JSON value is the Python value the model field holds.
_JSON_EXACT_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "IntegerField",
        "BigIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "SmallIntegerField",
        "PositiveSmallIntegerField",
        "CharField",
        "SlugField",
        "TextField",
        "BooleanField",
        "ForeignKey",
    }
)


def _embeddable_lists(queryset) -> dict:
    """The caller's `prefetch_rows` lookups (nexus.representation) of the
    model's own many-to-many fields, as array subqueries the page's rows query
    carries: {annotation: (expression, fill(row, value))}. Each fill sets the
    row's `prefetched_<name>` list, which the caller's prefetch then finds done,
    so a searched page reads tags, companies, assets and tickets without a
    query (and a round trip) each. Relations loading a column whose JSON value
    is not its Python value stay ordinary prefetches."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import Field, Prefetch
    from django.db.models.functions import JSONObject

    from nexus.representation import PREFETCHED

    embedded = {}
    for lookup in queryset._prefetch_related_lookups:
        if not isinstance(lookup, Prefetch) or LOOKUP_SEP in lookup.prefetch_through:
            continue
        name = lookup.prefetch_through
        if lookup.to_attr != PREFETCHED.format(name):
            continue
        try:
            field = queryset.model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if not (field.many_to_many and field.concrete):
            continue
        related = field.related_model
        related_qs = (
            lookup.queryset
            if lookup.queryset is not None
            else related._default_manager.all()
        )
        loaded = _loaded_fields(related, related_qs)
        if loaded is None or any(
            f.get_internal_type() not in _JSON_EXACT_TYPES for f in loaded
        ):
            continue
        subquery = related_qs.filter(
            **{field.related_query_name(): OuterRef("pk")}
        ).values(
            _row=JSONObject(**{f.attname: F(f.attname) for f in loaded}),
        )
        annotation = f"_embedded_{name}"
        embedded[annotation] = (
            # json[]: a list of JSON texts (Django has psycopg leave JSON
            # undecoded), decoded by the fill.
            ArraySubquery(subquery, output_field=Field()),
            _filler(related, loaded, lookup.to_attr, queryset.db),
        )
    return embedded


def _loaded_fields(model, queryset) -> list | None:
    """The concrete fields a queryset loads (its only()/defer()), in model
    order; None when a name is not a field of the model itself."""
    names, defer = queryset.query.deferred_loading
    fields = model._meta.concrete_fields
    if not names:
        return list(fields)
    try:
        attnames = {
            model._meta.pk.attname if n == "pk" else model._meta.get_field(n).attname
            for n in names
        }
    except FieldDoesNotExist:
        return None
    if defer:
        return [f for f in fields if f.attname not in attnames]
    return [f for f in fields if f.attname in attnames or f.primary_key]


def _filler(model, fields, to_attr: str, db: str):
    attnames = [f.attname for f in fields]

    def fill(row, items) -> None:
        objects = []
        for item in items or ():
            values = orjson.loads(item) if isinstance(item, str | bytes) else item
            objects.append(model.from_db(db, attnames, [values[a] for a in attnames]))
        setattr(row, to_attr, objects)

    return fill


def _forward_relations(queryset) -> list[str]:
    """The caller's prefetches that are plain foreign keys (or one-to-one) of
    the model itself."""
    names = []
    for lookup in queryset._prefetch_related_lookups:
        if not isinstance(lookup, str) or LOOKUP_SEP in lookup:
            continue
        try:
            field = queryset.model._meta.get_field(lookup)
        except FieldDoesNotExist:
            continue
        if field.concrete and (field.many_to_one or field.one_to_one):
            names.append(lookup)
    return names


def _headline(query: SearchQuery) -> SearchHeadline:
    return SearchHeadline(
        "body_text",
        query,
        config=SEARCH_CONFIG,
        start_sel=MARK_START,
        stop_sel=MARK_STOP,
        max_words=35,
        min_words=15,
        max_fragments=2,
        fragment_delimiter=" … ",
    )


def count_search(queryset) -> int:
    """Matches of a search, counted up to SEARCH_COUNT_CAP.

    With the LIMIT, PostgreSQL's planner prefers a sequential scan that stops
    after SEARCH_COUNT_CAP matches, not knowing that testing each row means
    reading its (TOASTed) search vector: for a common word that is 2-3× slower
    than the GIN bitmap scan (bench/kb_search.py: 22 ms against 9 ms). So the
    count is planned with sequential scans discouraged, for this statement only:
    SET LOCAL, the count and the reset go as one string, one round trip (a
    multi-statement string is one implicit transaction; inside a caller's
    transaction the reset puts the setting back)."""
    capped = queryset._chain()
    capped._search_tiers = None
    capped = capped.order_by().values("pk")[:SEARCH_COUNT_CAP]
    try:
        sql, params = capped.query.get_compiler(using=capped.db).as_sql()
    except EmptyResultSet:  # filtered to nothing after the search (pk__in=[])
        return 0
    with connections[capped.db].cursor() as cursor:
        cursor.execute(
            "SET LOCAL enable_seqscan = off; "
            f"SELECT COUNT(*) FROM ({sql}) AS capped; "
            "SET LOCAL enable_seqscan TO DEFAULT",
            params,
        )
        cursor.nextset()
        return cursor.fetchone()[0]


def _corrected(text: str, *, using: str) -> str | None:
    """The query with each word replaced by the closest known title/summary word
    (trigram distance, a KNN scan of the word table's GiST index), or None when
    no word changes."""
    terms = terms_of(text)
    if not terms:
        return None
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT t.term, (SELECT w.word FROM knowledge_searchword w"
            " WHERE w.word %% t.term ORDER BY w.word <-> t.term LIMIT 1)"
            " FROM unnest(%s::text[]) WITH ORDINALITY AS t(term, n) ORDER BY t.n",
            [terms],
        )
        pairs = cursor.fetchall()
    words = [word or term for term, word in pairs]
    return " ".join(words) if words != terms else None


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
