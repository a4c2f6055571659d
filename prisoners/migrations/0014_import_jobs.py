# The admin import's jobs as rows (prisoners.import_jobs), instead of record files beside the uploads.

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("prisoners", "0012_custody_spells"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ImportJob",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("file_name", models.CharField(max_length=255)),
                ("upload", models.CharField(blank=True, max_length=255)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("checked", "checked"),
                            ("queued", "queued"),
                            ("running", "running"),
                            ("done", "done"),
                            ("failed", "failed"),
                        ],
                        default="checked",
                        max_length=16,
                    ),
                ),
                ("stage", models.CharField(blank=True, max_length=16)),
                ("total", models.PositiveIntegerField(default=0)),
                ("done", models.PositiveIntegerField(default=0)),
                ("to_create", models.PositiveIntegerField(default=0)),
                ("to_update", models.PositiveIntegerField(default=0)),
                ("created", models.PositiveIntegerField(null=True)),
                ("updated", models.PositiveIntegerField(null=True)),
                ("linked", models.PositiveIntegerField(null=True)),
                ("flagged", models.JSONField(default=list)),
                ("links", models.JSONField(default=dict)),
                ("errors", models.JSONField(default=list)),
                ("error_count", models.PositiveIntegerField(null=True)),
                ("message", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "default_permissions": (),
                "indexes": [models.Index(fields=["state", "created_at"], name="importjob_state_created_idx")],
            },
        ),
    ]
