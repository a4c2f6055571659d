"""Changes of state for people: status derivation, publication, releases."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .models import (
    CURRENT_STATUS_FOR_EVENT,
    RECOGNITION_STATUSES,
    Person,
    PublicationState,
    Release,
    ReleaseGroup,
    Status,
    StatusEvent,
)

RELEASE_STATUSES = frozenset({Status.RELEASED})
NOT_ALLOWED_TO_PUBLISH = "Only editors may publish or withdraw people."


def _timeline_entry(fact, status: str, rank: int):
    """(sort key, status, first known day) for a status event or a release."""
    # "On or before X" has no first day; X is the best we know of when it happened.
    first_known = fact.date_earliest or fact.date_latest
    key = (first_known or dt.date.min, fact.date_latest or dt.date.max, rank, fact.pk)
    return key, status, first_known


@transaction.atomic
def person_status_refresh(*, person: Person) -> Person:
    """Recompute and store the current status, and the list's sort keys, from the record.

    The one place these derived fields are written: admin saves, imports and services call
    it. Releases count as "released" (or "died in custody") events on their date;
    recognition events only decide `is_recognised`.
    """
    timeline = sorted(
        [_timeline_entry(event, event.status, 0) for event in StatusEvent.objects.filter(person=person)]
        + [_timeline_entry(release, release.resulting_status, 1) for release in Release.objects.filter(person=person)],
        key=lambda entry: entry[0],
    )
    custody = [(status, since) for _key, status, since in timeline if status not in RECOGNITION_STATUSES]
    recognition = [status for _key, status, _since in timeline if status in RECOGNITION_STATUSES]

    releases = [since for _key, status, since in timeline if status in RELEASE_STATUSES]
    status, since = custody[-1] if custody else ("", None)
    custody_start = person.custody_start()
    term = person.total_term()
    derived = {
        "current_status": CURRENT_STATUS_FOR_EVENT.get(status, status),
        "current_status_since": since,
        "is_recognised": bool(recognition) and recognition[-1] == Status.RECOGNISED,
        "custody_started_on": custody_start and (custody_start.date_earliest or custody_start.date_latest),
        "released_on": releases[-1] if releases else None,
        "total_term_days": term.approximate_days,
        "total_term_code": term.code,
    }
    # Saving only on a change keeps history free of rows that record nothing.
    if any(getattr(person, field) != value for field, value in derived.items()):
        for field, value in derived.items():
            setattr(person, field, value)
        person._change_reason = "status derived from events"
        person.save(update_fields=[*derived, "updated_at"])
    return person


def _require_publisher(user) -> None:
    if user is not None and not user.has_perm("prisoners.publish_person"):
        raise PermissionDenied(NOT_ALLOWED_TO_PUBLISH)


@transaction.atomic
def person_publish(*, person: Person, user=None) -> Person:
    """Make a person's public page visible. Editors only."""
    _require_publisher(user)
    person.publication_state = PublicationState.PUBLISHED
    person.published_at = person.published_at or timezone.now()
    person._change_reason = "published"
    person.save(update_fields=["publication_state", "published_at", "updated_at"])
    return person


@transaction.atomic
def person_withdraw(*, person: Person, user=None) -> Person:
    """Take a person's page off every public surface. Editors only."""
    _require_publisher(user)
    person.publication_state = PublicationState.WITHDRAWN
    person._change_reason = "withdrawn"
    person.save(update_fields=["publication_state", "updated_at"])
    return person


@transaction.atomic
def release_record(
    *,
    person: Person,
    date: str,
    release_type: str,
    group: ReleaseGroup | None = None,
    note: str = "",
) -> Release:
    """Record a release and bring the person's current status up to date."""
    release = Release.objects.create(person=person, date=date, release_type=release_type, group=group, note=note)
    person_status_refresh(person=person)
    return release
