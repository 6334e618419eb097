"""PostgreSQL only: the pg_trgm extension, a GIN index on the stored search vector
and a trigram GIN index on titles. On other databases this migration does nothing
(search uses the fallback in knowledge.search)."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS knowledge_article_search_gin"
    " ON knowledge_article USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS knowledge_article_title_trgm"
    " ON knowledge_article USING gin (title gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS knowledge_article_title_trgm",
    "DROP INDEX IF EXISTS knowledge_article_search_gin",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
