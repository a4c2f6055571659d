"""Work for Celery, recorded in the database with the change that asked for it (a transactional outbox)."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessageQuerySet(models.QuerySet):
    def unsent(self):
        """Messages not yet handed to the broker, oldest first."""
        return self.filter(sent_at__isnull=True).order_by("created_at", "pk")


class OutboxMessage(models.Model):
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            # The flush reads only unsent rows, oldest first; sent ones pile up until purged.
            models.Index(fields=["created_at", "id"], condition=Q(sent_at__isnull=True), name="outbox_unsent_idx"),
        ]

    def __str__(self):
        state = f"sent {self.sent_at:%Y-%m-%d %H:%M:%S}" if self.sent_at else "unsent"
        return f"{self.task_name}{tuple(self.args)} ({state})"
