import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge.choices import ArticleStatus
from knowledge.models import Article
from knowledge.search import reindex_articles, snippet_for
from knowledge.services import add_article_attachment, update_article
from knowledge.tests.conftest import make_docx, make_pdf
from knowledge.tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="ranking, stemming and trigrams need PostgreSQL",
)


def _search(text, **kw):
    return list(Article.objects.all().search(text, **kw))


def test_title_match_ranks_above_body_match(editor):
    body_hit = ArticleFactory(
        title="Printer drivers", body="Mentions the firewall once.", author=editor
    )
    title_hit = ArticleFactory(
        title="Firewall rules", body="How rules are ordered.", author=editor
    )
    assert _search("firewall") == [title_hit, body_hit]


@on_postgres
def test_postgres_ranking_title_then_summary_then_popularity(
    editor, django_capture_on_commit_callbacks
):
    in_attachment = ArticleFactory(title="A", body="nothing", author=editor)
    with django_capture_on_commit_callbacks(execute=True):
        add_article_attachment(
            in_attachment, upload=SimpleUploadedFile("n.txt", b"ocelot"), by=editor
        )
    in_body = ArticleFactory(title="B", body="an ocelot here", author=editor)
    in_summary = ArticleFactory(title="C", summary="ocelot summary", author=editor)
    in_title = ArticleFactory(title="Ocelot", body="nothing", author=editor)
    Article.objects.filter(pk=in_attachment.pk).update(view_count=10)
    results = _search("ocelot")
    # Body and attachment hits rank by popularity after title and summary hits.
    assert results == [in_title, in_summary, in_attachment, in_body]
    assert results[0].search_rank > results[1].search_rank > results[2].search_rank


@on_postgres
def test_postgres_stemming_and_typos(editor):
    article = ArticleFactory(
        title="Configuring printers", body="Printer queues.", author=editor
    )
    assert _search("printer") == [article]  # stem of "printers"
    assert _search("configure") == [article]
    assert _search("prnters") == [article]  # trigram similarity on the title


@on_postgres
def test_postgres_index_is_gin_and_used(editor):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'knowledge_article'"
        )
        definitions = " ".join(row[0] for row in cursor.fetchall())
    assert "USING gin (search_vector)" in definitions
    assert "gin_trgm_ops" in definitions


def test_search_vector_follows_edits_without_rebuild(editor):
    article = ArticleFactory(
        title="Old title", body="alpha", author=editor, status=ArticleStatus.DRAFT
    )
    update_article(article, by=editor, body="gamma")
    assert _search("gamma") == [article]
    assert _search("alpha") == []


def test_published_article_index_follows_published_text_only(editor):
    article = ArticleFactory(title="Kiwi", body="visible text", author=editor)
    update_article(article, by=editor, body="hidden draft words")
    assert _search("hidden") == []  # readers never find unpublished text
    update_article(article, by=editor, publish=True)
    assert _search("hidden") == [article]


@pytest.mark.parametrize("kind", ["pdf", "docx", "txt", "md", "html"])
def test_attachment_text_is_found(editor, kind, django_capture_on_commit_callbacks):
    word = "capybara"
    data = {
        "pdf": make_pdf(f"Manual for the {word} gateway"),
        "docx": make_docx(f"Manual for the {word} gateway"),
        "txt": f"Manual for the {word} gateway".encode(),
        "md": f"# Manual\n\nThe **{word}** gateway".encode(),
        "html": f"<html><body><p>The {word} gateway</p><script>var x='zzz'</script></body></html>".encode(),
    }[kind]
    article = ArticleFactory(title="Gateway", body="See the attachment.", author=editor)
    with django_capture_on_commit_callbacks(execute=True):
        add_article_attachment(
            article, upload=SimpleUploadedFile(f"manual.{kind}", data), by=editor
        )
    assert _search(word) == [article]
    if kind == "html":
        assert _search("zzz") == []  # script content is not indexed


def test_deleting_attachment_removes_its_text_from_search(
    editor, django_capture_on_commit_callbacks
):
    from knowledge.services import delete_attachment

    article = ArticleFactory(author=editor)
    with django_capture_on_commit_callbacks(execute=True):
        attachment = add_article_attachment(
            article, upload=SimpleUploadedFile("a.txt", b"narwhal"), by=editor
        )
    assert _search("narwhal") == [article]
    delete_attachment(attachment)
    assert _search("narwhal") == []


def test_all_words_vs_any_word(editor):
    both = ArticleFactory(title="Reset VPN password", author=editor)
    one = ArticleFactory(title="VPN client install", author=editor)
    assert _search("vpn password") == [both]
    assert set(_search("vpn password", mode="any")) == {both, one}


def test_empty_query_matches_nothing(editor):
    ArticleFactory(author=editor)
    assert _search("   ") == []
    assert _search("!!!", mode="any") == []


def test_snippet_marks_hits_and_escapes(editor):
    ArticleFactory(
        title="T", body="Run `<b>reboot</b>` then the yak command.", author=editor
    )
    article = _search("yak")[0]
    snippet = snippet_for(article, "yak")
    assert "<mark>yak</mark>" in snippet
    assert "<b>" not in snippet


@on_postgres
def test_reindex_articles_backfills_vectors(editor):
    article = ArticleFactory(title="Zoo", body="lemur habitat", author=editor)
    Article.objects.update(search_vector=None)
    assert _search("lemur") == []
    assert reindex_articles(Article.objects.all()) == 1
    assert _search("lemur") == [article]


def _tiered_world(editor):
    """Articles in every tier for "heron", with popularity that would put the
    lower tiers first if it were ranked alone."""
    made = {
        "title_popular_low": ArticleFactory(title="Heron care", author=editor),
        "title_twice": ArticleFactory(
            title="Heron heron", summary="heron", author=editor
        ),
        "summary": ArticleFactory(title="Birds", summary="The heron", author=editor),
        "partial": ArticleFactory(
            title="Heron feeders", body="nothing else", author=editor
        ),
        "body_popular": ArticleFactory(title="Ponds", body="a heron", author=editor),
        "body_quiet": ArticleFactory(title="Lakes", body="heron nest", author=editor),
    }
    views = {"body_popular": 900, "summary": 800, "body_quiet": 5}
    for key, count in views.items():
        Article.objects.filter(pk=made[key].pk).update(view_count=count)
    return made


@on_postgres
def test_postgres_tiers_title_then_summary_then_body_by_popularity(editor):
    made = _tiered_world(editor)
    results = _search("heron")
    assert results[0] == made["title_twice"]
    assert set(results[:3]) == {
        made["title_twice"],
        made["title_popular_low"],
        made["partial"],
    }
    assert results[3] == made["summary"]
    assert results[4:] == [made["body_popular"], made["body_quiet"]]
    assert [a.search_tier for a in results] == [1, 1, 1, 2, 3, 3]


@on_postgres
def test_postgres_partial_title_match_ranks_above_body_only(editor):
    both_in_body = ArticleFactory(
        title="Ponds", body="heron and egret together", author=editor
    )
    Article.objects.filter(pk=both_in_body.pk).update(view_count=999)
    one_in_title = ArticleFactory(title="Egret", body="a heron passed", author=editor)
    assert _search("heron egret") == [one_in_title, both_in_body]


@on_postgres
@pytest.mark.parametrize("size", [1, 2, 4])
def test_postgres_pages_agree_with_the_whole_ordering(editor, size):
    """Pages fetched tier by tier (UNION ALL, cut at the page's end) are exactly
    the slices of the one-query ordering."""
    _tiered_world(editor)
    whole = _search("heron")  # unsliced: evaluated as one query
    queryset = Article.objects.all().search("heron")
    pages = []
    for start in range(0, len(whole) + size, size):
        pages += list(queryset[start : start + size])
    assert pages == whole
    assert [a.search_snippet for a in pages if "heron" in a.body_text]


@on_postgres
def test_postgres_page_stops_at_the_tier_that_fills_it(editor):
    _tiered_world(editor)
    queryset = Article.objects.all().search("heron")  # runs the match check
    with CaptureQueriesContext(connection) as queries:
        page = list(queryset[:3])  # three title hits: tier 1 alone fills it
    assert len(queries) == 2
    assert "ts_headline" not in queries[0]["sql"]
    assert "LIMIT 3" in queries[0]["sql"]
    assert "ts_headline" in queries[1]["sql"]  # only for the page's rows
    assert [a.search_tier for a in page] == [1, 1, 1]
    with CaptureQueriesContext(connection) as queries:
        page = list(queryset[2:5])  # tiers 1, 2 and 3
    assert len(queries) == 4
    assert [a.search_tier for a in page] == [1, 2, 3]


@on_postgres
def test_postgres_search_count_is_capped(editor):
    from knowledge.choices import ArticleStatus
    from knowledge.search import SEARCH_COUNT_CAP

    Article.objects.bulk_create(
        Article(
            title=f"Mass {n}",
            slug=f"mass-{n}",
            body_text="otter",
            status=ArticleStatus.PUBLISHED,
        )
        for n in range(SEARCH_COUNT_CAP + 5)
    )
    reindex_articles(Article.objects.all())
    assert Article.objects.all().search("otter").count() == SEARCH_COUNT_CAP
    assert Article.objects.all().search("mass 7").count() == 1
    assert Article.objects.filter(slug__startswith="mass-").count() == (
        SEARCH_COUNT_CAP + 5
    )


def test_search_with_other_ordering_still_works(editor):
    """An explicit ordering (e.g. the API's `ordering`) is honoured; the page is
    then one ordinary query."""
    b = ArticleFactory(title="Bee keeping", body="hive", author=editor)
    a = ArticleFactory(title="Ant hive", body="colony", author=editor)
    assert list(Article.objects.all().search("hive").order_by("title")[:5]) == [a, b]
    assert set(Article.objects.all().search("hive").values_list("pk", flat=True)) == {
        a.pk,
        b.pk,
    }


def test_search_page_and_api_ordering(editor, admin_api):
    b = ArticleFactory(title="Bee keeping", body="hive", author=editor)
    a = ArticleFactory(title="Ant hive", body="colony", author=editor)
    best = admin_api.get("/api/knowledge", {"q": "hive"}).json()
    assert [r["id"] for r in best["results"]] == [a.pk, b.pk]
    assert best["count"] == 2
    by_title = admin_api.get("/api/knowledge", {"q": "hive", "ordering": "-title"})
    assert [r["id"] for r in by_title.json()["results"]] == [b.pk, a.pk]
    assert "<mark>hive</mark>" in best["results"][1]["snippet"]


@on_postgres
def test_postgres_misspelt_word_is_corrected_against_known_words(editor):
    """A word found nowhere is replaced by the closest title/summary word, and
    the corrected search keeps its tiers and reaches the bodies too."""
    in_summary = ArticleFactory(
        title="Queues", summary="Printer maintenance", author=editor
    )
    in_body = ArticleFactory(title="Paper", body="the printer jams", author=editor)
    assert _search("pritner") == [in_summary, in_body]
    assert [a.search_tier for a in _search("pritner maintenence")] == [2]
    assert _search("zqxwv") == []


@on_postgres
def test_postgres_word_table_follows_new_titles(editor):
    from knowledge.models import SearchWord

    ArticleFactory(title="Walrus tusks", author=editor)
    assert SearchWord.objects.filter(word__in=["walrus", "tusks"]).count() == 2


@on_postgres
def test_postgres_api_search_counts_once_without_a_sequential_scan(editor, admin_api):
    """The API's capped count is one COUNT statement planned with sequential
    scans discouraged (a seq scan reads every candidate's TOASTed vector), sent
    with the setting and its reset in one round trip, and the setting is back
    at once, also inside an outer transaction."""
    for n in range(3):
        ArticleFactory(title=f"Kestrel {n}", body="falcon notes", author=editor)
    with CaptureQueriesContext(connection) as queries:
        response = admin_api.get("/api/knowledge", {"q": "kestrel", "limit": 2})
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert len(response.json()["results"]) == 2
    sqls = [q["sql"] for q in queries]
    counts = [sql for sql in sqls if "SELECT COUNT(*)" in sql]
    assert len(counts) == 1
    # One round trip: the setting, the count and the reset in one string.
    head, count_sql, tail = counts[0].split("; ")
    assert head == "SET LOCAL enable_seqscan = off"
    assert tail == "SET LOCAL enable_seqscan TO DEFAULT"
    assert head not in sqls and tail not in sqls
    with connection.cursor() as cursor:  # still in the test's transaction
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + count_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")
    assert "knowledge_article_search_gin" in plan
    assert "Seq Scan" not in plan


@on_postgres
def test_postgres_api_search_joins_the_pages_foreign_keys(editor, admin_api):
    """A searched page reads its rows by id, so category, author, owner and
    versions come joined to them, not as a prefetch query each; the response
    is the same as the plain list's."""
    from knowledge.tests.factories import CategoryFactory

    for n in range(3):
        ArticleFactory(
            title=f"Osprey {n}",
            body="fish",
            author=editor,
            owner=editor,
            category=CategoryFactory(),
        )
    with CaptureQueriesContext(connection) as queries:
        found = admin_api.get("/api/knowledge", {"q": "osprey"}).json()["results"]
    listed = admin_api.get("/api/knowledge").json()["results"]
    sqls = [q["sql"] for q in queries]
    assert not [s for s in sqls if s.startswith('SELECT "knowledge_category"')]
    assert not [s for s in sqls if 'FROM "accounts_user"' in s.split("WHERE")[0]]
    assert not [s for s in sqls if s.startswith('SELECT "knowledge_articleversion"')]
    by_id = {row["id"]: row for row in listed}
    assert len(found) == 3
    for row in found:
        expected = {k: v for k, v in by_id[row["id"]].items() if k != "snippet"}
        assert {k: v for k, v in row.items() if k != "snippet"} == expected
        assert row["category"]["name"].startswith("Category")
        assert row["author"]["id"] == editor.pk
        assert row["version"] is not None or row["latest_version"] is not None


@on_postgres
def test_postgres_api_search_embeds_the_pages_lists(
    world, admin_user, admin_api, portal_api_for, django_assert_max_num_queries
):
    """A searched page's rows query carries their tags, companies, assets and
    tickets (array subqueries), so they cost no query each; the lists are the
    plain list's, and a client still gets only its own company's tickets and
    assets."""
    from assets.tests.factories import AssetFactory
    from knowledge.choices import ArticleVisibility
    from knowledge.tests.factories import TagFactory
    from tickets.tests.factories import TicketFactory

    def make(n):
        for i in range(n):
            ArticleFactory(
                title=f"Pelican {i}",
                body="beak",
                author=admin_user,
                visibility=ArticleVisibility.COMPANIES,
                companies=[world["a"], world["b"]],
                tags=[TagFactory(), TagFactory()],
                related_assets=[
                    AssetFactory(company=world["a"]),
                    AssetFactory(company=world["b"]),
                ],
                related_tickets=[
                    TicketFactory(company=world["a"]),
                    TicketFactory(company=world["b"]),
                ],
            )

    make(2)
    with CaptureQueriesContext(connection) as few:
        assert admin_api.get("/api/knowledge", {"q": "pelican"}).status_code == 200
    # Django's to-many prefetch queries select the owner's id under this alias.
    through = [q["sql"] for q in few if "_prefetch_related_val" in q["sql"]]
    assert through == []
    make(4)
    with django_assert_max_num_queries(len(few)):
        found = admin_api.get("/api/knowledge", {"q": "pelican"}).json()["results"]
    listed = {r["id"]: r for r in admin_api.get("/api/knowledge").json()["results"]}
    assert len(found) == 6
    for row in found:
        for key in ("tags", "companies", "related_assets", "related_tickets"):
            assert row[key] == listed[row["id"]][key]
            assert len(row[key]) == 2
    client = portal_api_for(world["a"])
    for row in client.get("/api/knowledge", {"q": "pelican"}).json()["results"]:
        assert [c["id"] for c in row["companies"]] == [world["a"].pk]
        assert len(row["related_assets"]) == 1
        assert len(row["related_tickets"]) == 1
        assert row["related_tickets"][0]["id"] in {
            t["id"] for t in listed[row["id"]]["related_tickets"]
        }


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_search_count_in_autocommit_leaves_no_setting(editor):
    """In autocommit (a real request: ATOMIC_REQUESTS is off) the count's string
    is one implicit transaction, and the setting ends with it."""
    for n in range(3):
        ArticleFactory(title=f"Osprey {n}", body="raptor", author=editor)
    assert connection.get_autocommit()
    assert Article.objects.all().search("osprey").count() == 3
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone()[0] == "on"


@on_postgres
@pytest.mark.parametrize("role", ["reader", "Technician"])
def test_postgres_api_search_embedded_tickets_follow_every_staff_scope(
    world, admin_user, make_user, role
):
    """Staff who may see no ticket (a KB reader without ticket rights: the
    ticket scope is an empty set) or only some (a technician: own and
    department tickets) still find the articles, with exactly the linked
    tickets they may open."""
    from django.contrib.auth.models import Permission
    from rest_framework.test import APIClient

    from accounts.models import Department
    from tickets.tests.factories import TicketFactory

    department = Department.objects.create(name="Service desk")
    if role == "reader":
        user = make_user(department=department)
        user.user_permissions.add(Permission.objects.get(codename="view_article"))
    else:
        user = make_user(role, department=department)
    mine = TicketFactory(company=world["a"], department=department)
    other = TicketFactory(company=world["a"])
    ArticleFactory(
        title="Cormorant drill", author=admin_user, related_tickets=[mine, other]
    )
    api = APIClient()
    api.force_authenticate(user)
    found = api.get("/api/knowledge", {"q": "cormorant"}).json()["results"]
    listed = [
        a
        for a in api.get("/api/knowledge").json()["results"]
        if a["title"] == "Cormorant drill"
    ]
    assert [a["title"] for a in found] == ["Cormorant drill"]
    tickets = [t["id"] for t in found[0]["related_tickets"]]
    assert tickets == [t["id"] for t in listed[0]["related_tickets"]]
    assert tickets == ([] if role == "reader" else [mine.pk])


@on_postgres
def test_postgres_search_filtered_to_nothing_counts_zero(editor):
    for n in range(2):
        ArticleFactory(title=f"Shearwater {n}", author=editor)
    searched = Article.objects.all().search("shearwater")
    assert searched.count() == 2
    assert searched.filter(pk__in=[]).count() == 0
    assert list(searched.filter(pk__in=[])[:20]) == []
