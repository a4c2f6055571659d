from django.db import migrations

TEXT_TRIGRAM_INDEX = "prisoners_namevariant_text_lower_trgm"


def rekey_name_variants(apps, schema_editor):
    # Keys are derived data, recomputed with today's rules: given names now key to their row of
    # prisoners/data/given_names.csv, so every stored key is made again.
    from prisoners.identity import name_key_text

    NameVariant = apps.get_model("prisoners", "NameVariant")
    changed = []
    for variant in NameVariant.objects.only("pk", "text", "normalized").iterator(chunk_size=2000):
        key = name_key_text(variant.text)[:300]
        if key != variant.normalized:
            variant.normalized = key
            changed.append(variant)
    NameVariant.objects.bulk_update(changed, ["normalized"], batch_size=2000)


def create_text_trigram_index(apps, schema_editor):
    # Prefix search (name suggestions) finds a word's start in the text as typed; GIN trigram
    # indexes exist only on PostgreSQL, where the pg_trgm extension came with 0005.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {TEXT_TRIGRAM_INDEX} ON prisoners_namevariant USING gin (lower(text) gin_trgm_ops)"
        )


def drop_text_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TEXT_TRIGRAM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("prisoners", "0014_import_jobs"),
    ]

    operations = [
        migrations.RunPython(rekey_name_variants, migrations.RunPython.noop),
        migrations.RunPython(create_text_trigram_index, drop_text_trigram_index),
    ]
