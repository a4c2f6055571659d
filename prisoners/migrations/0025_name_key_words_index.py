from django.db import migrations

KEY_WORDS_INDEX = "prisoners_namevariant_key_words"


def create_key_words_index(apps, schema_editor):
    # Name search's exact spellings (NameVariantQuerySet.with_a_word_of) look up whole key words:
    # a GIN index on the array of words answers that from the index, where the trigram index had
    # to be rechecked with a regular expression on every row it found. PostgreSQL only.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {KEY_WORDS_INDEX} ON prisoners_namevariant "
            "USING gin (string_to_array(normalized, ' '))"
        )


def drop_key_words_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {KEY_WORDS_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("prisoners", "0024_stats_tally_index_order"),
    ]

    operations = [
        migrations.RunPython(create_key_words_index, drop_key_words_index),
    ]
