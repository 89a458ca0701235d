"""Trigram indexes for the name search on PostgreSQL (nothing on other databases).

``cases.queries.person_search`` filters ``search_name LIKE '%…%' OR search_kana LIKE
'%…%'`` within one municipality: a B-tree cannot serve a LIKE with a leading wildcard,
a pg_trgm GIN index can (for a query of three characters or more; shorter ones are
narrowed by the municipality index). Hand-written because Meta indexes would have to
exist on SQLite too.
"""

from django.db import migrations

INDEXES = {
    # Name search by kanji: WHERE municipality_id = %s AND search_name LIKE '%…%'.
    "person_name_trgm_idx": "search_name",
    # Name search by reading: WHERE municipality_id = %s AND search_kana LIKE '%…%'.
    "person_kana_trgm_idx": "search_kana",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON cases_person USING gin ({column} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_consultation_version")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
