import logging

from django.db import migrations, transaction
from django.db.utils import DatabaseError

logger = logging.getLogger(__name__)

# PostgreSQL prices a trigram word comparison (`normalized %> 'kalesnikava'`, what name search's
# fuzzy candidates are found with) like an integer comparison, and a seq scan of the name table
# as split over parallel workers; the comparison costs some 3 µs a row. So with family names as
# clustered as real ones (thousands of people sharing one) it scanned every variant instead of
# reading the trigram index: at 100,000 people "Tatsiana Filipchyk" took 1.1 s for the fuzzy
# candidates and 0.34 s for the exact ones, 0.11-0.17 s and 0.10 s from the index.
FUNCTION = "word_similarity_commutator_op(text, text)"
FUNCTION_COST = 100  # PostgreSQL's own unit: what a call costs against cpu_operator_cost
TABLE = "prisoners_namevariant"


def planner_informed(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'ALTER TABLE "{TABLE}" SET (parallel_workers = 0)')
    try:
        # pg_trgm's functions belong to whoever created the extension, usually a superuser.
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute(f"ALTER FUNCTION {FUNCTION} COST {FUNCTION_COST}")
    except DatabaseError as error:
        logger.warning(
            "Name search: %s keeps its default cost (%s); ask a superuser to run: ALTER FUNCTION %s COST %s",
            FUNCTION,
            error,
            FUNCTION,
            FUNCTION_COST,
        )


def planner_default(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'ALTER TABLE "{TABLE}" RESET (parallel_workers)')
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute(f"ALTER FUNCTION {FUNCTION} COST 1")
    except DatabaseError:
        pass


class Migration(migrations.Migration):
    dependencies = [("prisoners", "0020_person_export_dates")]

    operations = [migrations.RunPython(planner_informed, planner_default, elidable=False)]
