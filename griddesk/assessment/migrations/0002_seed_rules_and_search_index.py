"""Seed scoring rules v1 and create the archive's full-text index per database:
SQLite: an FTS5 table with the trigram tokenizer (substring search, any script);
PostgreSQL: pg_trgm and a GIN trigram index on the entry body."""

from django.db import migrations

from griddesk.engines.scoring import DEFAULT_RULES


def seed(apps, schema_editor):
    RuleSet = apps.get_model("assessment", "ScoringRuleSet")
    if not RuleSet.objects.exists():
        RuleSet.objects.create(version=1, rules=DEFAULT_RULES, note="default")


def unseed(apps, schema_editor):
    pass


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS assessment_archive_fts USING fts5(body, tokenize='trigram')"
        )
    elif vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS assessment_archive_body_trgm "
            "ON assessment_archiveentry USING gin (body gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS assessment_archive_fts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS assessment_archive_body_trgm")


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed), migrations.RunPython(create_index, drop_index)]
