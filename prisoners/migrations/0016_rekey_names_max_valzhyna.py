from django.db import migrations


def rekey_name_variants(apps, schema_editor):
    # Keys are derived data, made again with today's table: "Max"/"Maks" now key to Maksim and
    # "Valzhyna" has its own row in prisoners/data/given_names.csv (issue 12).
    from prisoners.identity import name_key_text

    NameVariant = apps.get_model("prisoners", "NameVariant")
    changed = []
    for variant in NameVariant.objects.only("pk", "text", "normalized").iterator(chunk_size=2000):
        key = name_key_text(variant.text)[:300]
        if key != variant.normalized:
            variant.normalized = key
            changed.append(variant)
    NameVariant.objects.bulk_update(changed, ["normalized"], batch_size=2000)


class Migration(migrations.Migration):
    # After both leaves of the moment (import jobs and stats tallies were written side by side).
    dependencies = [("prisoners", "0014_import_jobs"), ("prisoners", "0015_stats_tallies")]

    operations = [migrations.RunPython(rekey_name_variants, migrations.RunPython.noop)]
