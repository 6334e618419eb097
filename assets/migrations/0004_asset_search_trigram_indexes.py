"""Trigram indexes for the asset search (PostgreSQL only; a no-op on SQLite).

The API's `?search=` runs `UPPER(col::text) LIKE UPPER('%term%')` over several
columns; without these indexes every search reads the whole table (issue 3's
searched-list benchmark). GIN trigram indexes on the same expressions let
PostgreSQL combine them in a bitmap scan.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

SEARCH_COLUMNS = (
    "hostname",
    "name",
    "serial_number",
    "asset_tag",
    "last_logged_in_user",
    # Not searched, but filtered with icontains (?operating_system=); the index
    # also gives the planner statistics on the expression.
    "operating_system",
)


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCH_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS assets_asset_{column}_trgm "
            f'ON assets_asset USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCH_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS assets_asset_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("assets", "0003_asset_hostname_id_index")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
