from django.db import migrations, models


class Migration(migrations.Migration):
    """An index of the public people alone, holding what the public counts read.

    The public state (COUNT and MAX(public_updated_at) of the public people, read by every
    public page for its ETag), the list's count by status and the people a release or
    detention filter joins to are then read from this index (an index-only scan) instead of
    the whole person table: at 100,000 people 9,700 pages of rows against a few hundred.
    The condition is prisoners.models.public_person_q(), as Person.Meta.indexes declares it.
    """

    dependencies = [("prisoners", "0016_rekey_names_max_valzhyna")]

    operations = [
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True), ("publication_state", "published")),
                fields=["current_status", "public_updated_at", "id"],
                name="person_public_status_idx",
            ),
        ),
    ]
