from importlib import import_module

from django.db import migrations

# Keys are derived data, made again with today's table: "Max"/"Maks" now key to Maksim and
# "Valzhyna" has its own row in prisoners/data/given_names.csv (issue 12). The same re-keying
# as 0013's, called rather than copied.
rekey_name_variants = import_module("prisoners.migrations.0013_given_name_keys_and_prefix_index").rekey_name_variants


class Migration(migrations.Migration):
    # After both leaves of the moment (import jobs and stats tallies were written side by side).
    dependencies = [("prisoners", "0014_import_jobs"), ("prisoners", "0015_stats_tallies")]

    operations = [migrations.RunPython(rekey_name_variants, migrations.RunPython.noop)]
