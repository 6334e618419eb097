from django.db import migrations

# PostgreSQL only: the closest word is found by KNN (ORDER BY word <-> term
# LIMIT 1), which only a GiST trigram index serves; with GIN every candidate's
# similarity was computed (tens of ms when many words share trigrams).
FORWARD = [
    "DROP INDEX IF EXISTS knowledge_searchword_trgm",
    "CREATE INDEX IF NOT EXISTS knowledge_searchword_trgm_gist"
    " ON knowledge_searchword USING gist (word gist_trgm_ops)",
    "ANALYZE knowledge_searchword",
]
BACKWARD = [
    "DROP INDEX IF EXISTS knowledge_searchword_trgm_gist",
    "CREATE INDEX IF NOT EXISTS knowledge_searchword_trgm"
    " ON knowledge_searchword USING gin (word gin_trgm_ops)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0006_search_words")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
