"""The admin import's jobs: who uploaded which file, what its check found, the rows' links, the outcome.

A table rather than a record file beside the upload, so every web node and worker reads the
same job whatever the storage (the upload itself is kept through default_storage, which may be
S3-compatible). The worker applying a job holds its row locked (select_for_update) for the
whole import: a second delivery of the task finds it locked and returns, and the lock ends with
a killed worker's connection. Progress while it runs is in the cache (prisoners.imports): the
import is one transaction, and what it wrote to this table would stay invisible until the end.

Bookkeeping, not a research record: written here directly, with no history and no role
permissions (access is the uploader's, through the admin's import permission).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class JobState(models.TextChoices):
    CHECKED = "checked", "checked"
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


class ImportJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Never shown to anyone but this user; a job whose uploader is gone or inactive is not applied.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    file_name = models.CharField(max_length=255)  # as uploaded, for the pages
    upload = models.CharField(max_length=255, blank=True)  # its name in default_storage; "" once deleted
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.CHECKED)
    stage = models.CharField(max_length=16, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    to_create = models.PositiveIntegerField(default=0)
    to_update = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(null=True)
    updated = models.PositiveIntegerField(null=True)
    linked = models.PositiveIntegerField(null=True)
    # Rows that may be people already recorded, as the preview offered them:
    # [{"line": 2, "name": "…", "people": [[pk, "display name"], …]}, …]
    flagged = models.JSONField(default=list)
    # What the uploader chose for flagged rows: {"<line>": pk of the person the row adds to}.
    links = models.JSONField(default=dict)
    errors = models.JSONField(default=list)  # [[line, column, reason], …], the first MAX_ERRORS_KEPT
    error_count = models.PositiveIntegerField(null=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "prisoners"
        default_permissions = ()
        indexes = [
            # Unconfirmed uploads are looked for by age on every new upload.
            models.Index(fields=["state", "created_at"], name="importjob_state_created_idx"),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.state})"
