"""Fetching and archiving sources: links rot and outlets get blocked, so a copy is kept."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import trafilatura
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casetracker.dates import edtf_bounds
from prisoners.roles import SYSTEM
from prisoners.services import record_save

from . import fetching
from .models import FetchState, Snapshot, Source

HTML_TYPES = ("text/html", "application/xhtml+xml")
METADATA_FIELDS = ("title", "author", "outlet", "published", "language", "text")
NO_URL = "This source has no URL to fetch."
HTTP_ERROR = "The site answered {status} {reason}: the page is missing or blocked."
NOT_HTML = "The address gave a {content_type} file, not a web page; upload it as a document instead."


@dataclass(frozen=True)
class FetchOutcome:
    source: Source
    snapshot: Snapshot | None
    transient: bool = False


def _fail(source: Source, message: str, *, transient: bool = False) -> FetchOutcome:
    source.fetch_state = FetchState.FAILED
    source.fetch_error = message
    source.save(update_fields=["fetch_state", "fetch_error"])
    return FetchOutcome(source, None, transient=transient)


def source_queue_fetch(*, source: Source) -> Source:
    """Mark a source as waiting for its fetch and hand the fetch to a worker after commit."""
    from outbox.services import outbox_enqueue

    from .tasks import source_fetch_task

    # The state and the queued fetch are saved together: a broker that is down loses neither.
    with transaction.atomic():
        source.fetch_state = FetchState.QUEUED
        source.fetch_error = ""
        source.save(update_fields=["fetch_state", "fetch_error"])
        outbox_enqueue(source_fetch_task.name, source.pk)
    return source


def source_fetch(*, source_id: int) -> FetchOutcome:
    """Fetch the source's URL, keep a snapshot with its SHA-256 and fill in missing metadata.

    Every failure ends as a readable message on the source, which is never lost; fetching
    the same page again adds no second snapshot. Only the public internet is reached
    (sources/fetching.py).
    """
    source = Source.objects.get(pk=source_id)
    if not source.url:
        return _fail(source, NO_URL)
    source.fetch_state = FetchState.RUNNING
    source.fetch_attempts += 1
    source.save(update_fields=["fetch_state", "fetch_attempts"])
    try:
        page = fetching.fetch(source.url, content_types=HTML_TYPES)
    except fetching.WrongContentType as error:
        return _fail(source, NOT_HTML.format(content_type=error.content_type or "unknown"))
    except fetching.FetchError as error:
        return _fail(source, error.message, transient=error.transient)
    if page.status_code >= 400:
        message = HTTP_ERROR.format(status=page.status_code, reason=page.reason_phrase)
        return _fail(source, message, transient=page.status_code >= 500)

    raw_html = page.text()
    sha256 = hashlib.sha256(page.content).hexdigest()
    text = trafilatura.extract(raw_html, include_comments=False, favor_precision=True) or ""
    with transaction.atomic():
        # Read again under a lock: a researcher may have edited the source during the fetch,
        # and their entries must not be overwritten with what this instance held before.
        source = Source.objects.select_for_update().get(pk=source_id)
        snapshot = source.snapshots.filter(sha256=sha256).first() or Snapshot.objects.create(
            source=source,
            url=page.url,
            fetched_at=timezone.now(),
            http_status=page.status_code,
            content_type=page.content_type,
            raw_html=raw_html,
            text=text,
            sha256=sha256,
        )
        before = [getattr(source, field) for field in METADATA_FIELDS]
        _fill_metadata(source, raw_html, text)
        source.fetch_state = FetchState.DONE
        source.fetch_error = ""
        if [getattr(source, field) for field in METADATA_FIELDS] != before:
            record_save(acting_user=SYSTEM, obj=source, reason="metadata from the fetched page")
        else:
            source.save(update_fields=["fetch_state", "fetch_error"])
    return FetchOutcome(source, snapshot)


def _fill_metadata(source: Source, raw_html: str, text: str) -> None:
    """Fill only what the researcher left empty: their entries always win over the page's."""
    metadata = trafilatura.extract_metadata(raw_html)
    if metadata is None:
        found = {}
    else:
        found = {
            "title": metadata.title or "",
            "author": metadata.author or "",
            "outlet": metadata.sitename or "",
            "published": metadata.date or "",
            "language": (metadata.language or "")[:8],
        }
    if found.get("published"):
        try:
            edtf_bounds(found["published"])
        except ValidationError:  # a page's own date is not always a date
            found["published"] = ""
    placeholder_title = not source.title or source.title == source.url
    for field, value in found.items():
        if value and (not getattr(source, field) or (field == "title" and placeholder_title)):
            # A hostile page's 10,000-character title must not fail the save on PostgreSQL.
            setattr(source, field, value[: Source._meta.get_field(field).max_length])
    if text and not source.text:
        source.text = text


def source_check_link(*, source_id: int) -> Source:
    """Record whether the source's URL still answers; 4xx/5xx, no answer and a refused address mark it dead."""
    source = Source.objects.get(pk=source_id)
    status = None
    try:
        status = fetching.fetch(source.url, method="HEAD", read_body=False).status_code
        if status in (405, 501):  # some servers refuse HEAD
            status = fetching.fetch(source.url, read_body=False).status_code
    except fetching.FetchError:
        status = None
    source.link_status = status
    source.link_is_dead = status is None or status >= 400
    source.link_checked_at = timezone.now()
    source.save(update_fields=["link_status", "link_is_dead", "link_checked_at"])
    return source
