"""Knowledge-base search benchmark on PostgreSQL (issue 8).

Creates a database of its own, migrates it, loads N articles (default 50,000)
with a realistic mix of common and rare words, builds the search index, then
times searches for common words, rare words, several words and a typo:

  * through the search service (the query the pages run: first page of 20
    results, with highlighted snippets), and
  * through the API (`GET /api/knowledge?q=…&limit=20`, which also counts).

Usage:
  .venv/bin/python bench/kb_search.py [--articles 50000] [--runs 100]
      [--server postgres://postgres@127.0.0.1:5432] [--keep]

The API calls use the Redis cache at BENCH_REDIS (default
redis://127.0.0.1:6379/15, as bench/api_lists.py; empty or unreachable: the
file cache).

The database (nexus_kb_bench_<pid>) is dropped at the end unless --keep.
"""

import argparse
import itertools
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMMON = ["printer", "password", "network", "email", "backup", "windows"]
VOCABULARY_SIZE = 3000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--database",
        help="time an existing bench database (kept with --keep) instead of "
        "loading a new one: it is migrated and its vectors rebuilt, then kept",
    )
    return parser.parse_args()


def create_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def words(rng: random.Random) -> list[str]:
    syllables = [
        "ka",
        "lo",
        "mi",
        "ter",
        "son",
        "vel",
        "dra",
        "pin",
        "qua",
        "rex",
        "tu",
        "zen",
    ]
    vocabulary = set()
    while len(vocabulary) < VOCABULARY_SIZE:
        vocabulary.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(vocabulary)


def load_articles(count: int, rng: random.Random) -> dict:
    from django.db import connection

    from companies.models import Company
    from knowledge.choices import ArticleStatus, ArticleVisibility
    from knowledge.models import Article, Category
    from knowledge.search import reindex_articles

    vocabulary = words(rng)
    weights = [1.0 / (rank + 1) for rank in range(len(vocabulary))]  # Zipf-like
    categories = [
        Category.objects.create(name=f"Category {i}", slug=f"category-{i}")
        for i in range(20)
    ]
    company_a = Company.objects.create(name="Bench A", account_number=900001)
    Company.objects.create(name="Bench B", account_number=900002)
    visibilities = (
        [ArticleVisibility.PORTAL] * 6
        + [ArticleVisibility.INTERNAL] * 3
        + [ArticleVisibility.COMPANIES]
    )
    started = time.perf_counter()
    batch, rare_words = [], []
    for i in range(count):
        body_words = rng.choices(vocabulary, weights=weights, k=rng.randint(80, 220))
        for common in COMMON:
            if rng.random() < 0.3:
                body_words.insert(rng.randrange(len(body_words)), common)
        rare = f"rarezq{i:06d}"
        if i % 500 == 0:
            rare_words.append(rare)
        body_words.insert(rng.randrange(len(body_words)), rare)
        title_words = rng.choices(vocabulary[:400], k=rng.randint(3, 7))
        if rng.random() < 0.1:
            title_words.append(rng.choice(COMMON))
        body = " ".join(body_words)
        batch.append(
            Article(
                title=" ".join(title_words).capitalize(),
                slug=f"bench-{i}",
                summary=" ".join(body_words[:20]),
                body=body,
                body_html=f"<p>{body}</p>",
                body_text=body,
                category=categories[i % len(categories)],
                status=ArticleStatus.PUBLISHED if i % 20 else ArticleStatus.DRAFT,
                visibility=rng.choice(visibilities),
                view_count=rng.randint(0, 500),
            )
        )
        if len(batch) == 5000:
            Article.objects.bulk_create(batch)
            batch = []
    Article.objects.bulk_create(batch)
    through = Article.companies.through
    through.objects.bulk_create(
        through(article_id=pk, company_id=company_a.pk)
        for pk in Article.objects.filter(
            visibility=ArticleVisibility.COMPANIES
        ).values_list("pk", flat=True)
    )
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    reindex_articles(Article.objects.all())
    indexed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE knowledge_article")
    return {
        "company": company_a,
        "rare": rare_words,
        "title_word": vocabulary[5],
        "load_s": loaded,
        "index_s": indexed,
    }


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn, runs: int, cpu: list[float] | None = None) -> list[float]:
    """Wall-clock ms per call; with `cpu`, also this process's CPU ms per call
    (Python's share, which a loaded machine inflates far less than wall time)."""
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
        if cpu is not None:
            cpu.append((time.process_time() - started_cpu) * 1000)
    return samples


def main() -> int:
    args = parse_args()
    name = args.database or f"nexus_kb_bench_{os.getpid()}"
    os.environ["DATABASE_URL"] = f"{args.server}/{name}"
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ["NEXUS_THROTTLE_USER"] = "100000000/min"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus.settings")
    # The API runs with the cache production has (Redis: throttles, key auth);
    # without it the file cache writes a file per request.
    from api_lists import redis_url

    cache_url = redis_url()
    if cache_url:
        os.environ["REDIS_URL"] = cache_url
    else:
        os.environ.pop("REDIS_URL", None)
    if not args.database:
        create_database(args.server, name)
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connections

        print(f"database {name}: migrating…", flush=True)
        call_command("migrate", verbosity=0)
        settings.DEBUG = False  # no query log while timing
        rng = random.Random(8)
        if args.database:
            data = reuse_articles(rng)
        else:
            data = load_articles(args.articles, rng)
        report(args, data)
        connections.close_all()
    finally:
        if not args.keep and not args.database:
            drop_database(args.server, name)
            print(f"database {name} dropped")
    return 0


def reuse_articles(rng: random.Random) -> dict:
    """The figures load_articles would return, from a kept bench database."""
    from django.db import connection

    from companies.models import Company
    from knowledge.models import Article
    from knowledge.search import reindex_articles

    vocabulary = words(rng)
    count = Article.objects.count()
    started = time.perf_counter()
    reindex_articles(Article.objects.all())
    indexed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE knowledge_article")
    return {
        "company": Company.objects.get(account_number=900001),
        "rare": [f"rarezq{i:06d}" for i in range(0, count, 500)],
        "title_word": vocabulary[5],
        "load_s": 0.0,
        "index_s": indexed,
    }


def make_runners(text, rare_cycle, user, api):
    from knowledge.models import Article
    from knowledge.search import snippet_for

    def query_text():
        return next(rare_cycle) if text is None else text

    def service():
        q = query_text()
        page = list(Article.objects.visible_to(user).search(q).for_list()[:20])
        for article in page:
            snippet_for(article, q)
        return page

    def via_api():
        response = api.get("/api/knowledge", {"q": query_text(), "limit": 20})
        assert response.status_code == 200, response.status_code

    return service, via_api


def server_ms(service, runs: int = 5) -> float:
    """PostgreSQL's own execution time (EXPLAIN ANALYZE) for every statement one
    service call runs (page, highlights, prefetches), to tell database time from
    Python time and machine load."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        service()
    samples = []
    statements = []
    for query in captured.captured_queries:
        sql = query["sql"]
        # The capped count is sent as "SET LOCAL …; SELECT COUNT(*) …; SET LOCAL …".
        parts = sql.split("; ") if sql.startswith("SET LOCAL") else [sql]
        statements += parts
    with connection.cursor() as cursor:
        for _ in range(runs):
            total = 0.0
            for sql in statements:
                if not sql.startswith(("SELECT", "WITH")):
                    cursor.execute(sql)  # SET LOCAL, BEGIN…: as the call ran them
                    continue
                cursor.execute("EXPLAIN (ANALYZE) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                total += float(re.search(r"Execution Time: ([0-9.]+)", plan).group(1))
            samples.append(total)
    return percentile(samples, 50)


def report(args, data) -> None:
    from rest_framework.test import APIClient

    from accounts.models import User
    from knowledge.models import Article

    staff = User.objects.filter(username="bench").first() or (
        User.objects.create_superuser("bench", "bench@example.test", "x-bench-pass-1")
    )
    client_user = User.objects.filter(username="bench-client").first() or (
        User.objects.create_user(
            "bench-client",
            "client@example.test",
            "x-bench-pass-1",
            company=data["company"],
        )
    )
    from django.contrib.auth.models import Group, Permission

    group, _created = Group.objects.get_or_create(name="Client")
    group.permissions.add(Permission.objects.get(codename="view_article"))
    client_user.groups.add(group)

    print(
        f"\n{args.articles} articles loaded in {data['load_s']:.1f}s; "
        f"search vectors built in {data['index_s']:.1f}s (one UPDATE)\n"
    )
    queries = {
        "common: printer": "printer",
        "common: password": "password",
        "two common: network backup": "network backup",
        "rare word": None,
        "title word": data["title_word"],
        "typo (trigram): pritner": "pritner",
    }
    header = (
        f"{'query':32} {'who':7} {'matches':>8} {'svc p50':>8} {'svc p95':>8}"
        f" {'api p50':>8} {'api p95':>8} {'py cpu':>8} {'pg exec':>8}"
        f" {'api cpu':>8} {'api pg':>8}"
    )
    print(
        f"load average before timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs;"
        f" cache: {'redis' if os.environ.get('REDIS_URL') else 'file'}"
    )
    print(header)
    print("-" * len(header))
    worst = worst_api = 0.0
    for label, text in queries.items():
        for who, user in (("staff", staff), ("client", client_user)):
            rare_cycle = itertools.cycle(data["rare"])
            api = APIClient()
            api.force_authenticate(user)
            service, via_api = make_runners(text, rare_cycle, user, api)
            sample_text = text or data["rare"][0]
            matches = len(
                Article.objects.visible_to(user)
                .search(sample_text)
                .order_by()
                .values_list("pk", flat=True)
            )
            cpu: list[float] = []
            svc = timed(service, args.runs, cpu)
            api_cpu: list[float] = []
            api_samples = timed(via_api, max(args.runs // 2, 10), api_cpu)
            worst = max(worst, percentile(svc, 95))
            worst_api = max(worst_api, percentile(api_samples, 95))
            runners = make_runners(sample_text, rare_cycle, user, api)
            print(
                f"{label:32} {who:7} {matches:>8} {percentile(svc, 50):>8.1f} "
                f"{percentile(svc, 95):>8.1f} {percentile(api_samples, 50):>8.1f} "
                f"{percentile(api_samples, 95):>8.1f} {percentile(cpu, 50):>8.1f} "
                f"{server_ms(runners[0]):>8.1f} {percentile(api_cpu, 50):>8.1f} "
                f"{server_ms(runners[1]):>8.1f}",
                flush=True,
            )
    print(f"\nworst service p95: {worst:.1f} ms, worst API p95: {worst_api:.1f} ms")
    print("(target: p95 < 50 ms)")
    print(
        "svc/api: wall-clock ms per call; py cpu / api cpu: p50 of this process's "
        "CPU ms per service / API call; pg exec / api pg: PostgreSQL's execution "
        "ms (EXPLAIN ANALYZE) summed over that call's statements. On an idle "
        "machine a call takes about its CPU + pg ms + round trips."
    )
    print(f"load average after timing: {os.getloadavg()[0]:.1f}")
    print(f"runs per query: service {args.runs}, API {max(args.runs // 2, 10)}")


if __name__ == "__main__":
    sys.exit(main())
