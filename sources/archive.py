"""Fetching and archiving sources: links rot and outlets get blocked, so a copy is kept."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import httpx
import trafilatura
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casetracker.dates import edtf_bounds

from .models import FetchState, Snapshot, Source

USER_AGENT = "Casetracker archiver"
HTML_TYPES = ("text/html", "application/xhtml+xml")
NO_URL = "This source has no URL to fetch."
TIMED_OUT = "The site did not answer within {seconds} seconds. Try again later."
UNREACHABLE = "Could not reach the site: {reason}."
HTTP_ERROR = "The site answered {status} {reason}: the page is missing or blocked."
NOT_HTML = "The address gave a {content_type} file, not a web page; upload it as a document instead."
TOO_LARGE = "The page is larger than {limit} MB; it was not archived."


@dataclass(frozen=True)
class FetchOutcome:
    source: Source
    snapshot: Snapshot | None
    transient: bool = False


def _timeout() -> float:
    return float(getattr(settings, "SOURCE_FETCH_TIMEOUT", 20))


def _max_bytes() -> int:
    return int(getattr(settings, "SOURCE_FETCH_MAX_BYTES", 10 * 1024 * 1024))


def _fail(source: Source, message: str, *, transient: bool = False) -> FetchOutcome:
    source.fetch_state = FetchState.FAILED
    source.fetch_error = message
    source.save(update_fields=["fetch_state", "fetch_error"])
    return FetchOutcome(source, None, transient=transient)


def source_queue_fetch(*, source: Source) -> Source:
    """Mark a source as waiting for its fetch and hand the fetch to a worker after commit."""
    from .tasks import source_fetch_task

    source.fetch_state = FetchState.QUEUED
    source.fetch_error = ""
    source.save(update_fields=["fetch_state", "fetch_error"])
    transaction.on_commit(lambda: source_fetch_task.delay(source.pk))
    return source


def source_fetch(*, source_id: int) -> FetchOutcome:
    """Fetch the source's URL, keep a snapshot with its SHA-256 and fill in missing metadata.

    Every failure ends as a readable message on the source, which is never lost; fetching
    the same page again adds no second snapshot.
    """
    source = Source.objects.get(pk=source_id)
    if not source.url:
        return _fail(source, NO_URL)
    source.fetch_state = FetchState.RUNNING
    source.fetch_attempts += 1
    source.save(update_fields=["fetch_state", "fetch_attempts"])
    try:
        with httpx.Client(timeout=_timeout(), follow_redirects=True, headers={"User-Agent": USER_AGENT}) as client:
            response = client.get(source.url)
    except httpx.TimeoutException:
        return _fail(source, TIMED_OUT.format(seconds=f"{_timeout():g}"), transient=True)
    except httpx.HTTPError as error:
        return _fail(source, UNREACHABLE.format(reason=error.__class__.__name__), transient=True)

    if response.status_code >= 400:
        message = HTTP_ERROR.format(status=response.status_code, reason=response.reason_phrase)
        return _fail(source, message, transient=response.status_code >= 500)
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in HTML_TYPES:
        return _fail(source, NOT_HTML.format(content_type=content_type or "unknown"))
    if len(response.content) > _max_bytes():
        return _fail(source, TOO_LARGE.format(limit=_max_bytes() // (1024 * 1024)))

    raw_html = response.text
    sha256 = hashlib.sha256(response.content).hexdigest()
    text = trafilatura.extract(raw_html, include_comments=False, favor_precision=True) or ""
    with transaction.atomic():
        snapshot = source.snapshots.filter(sha256=sha256).first() or Snapshot.objects.create(
            source=source,
            url=str(response.url),
            fetched_at=timezone.now(),
            http_status=response.status_code,
            content_type=content_type,
            raw_html=raw_html,
            text=text,
            sha256=sha256,
        )
        _fill_metadata(source, raw_html, text)
        source.fetch_state = FetchState.DONE
        source.fetch_error = ""
        source.save()
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
            setattr(source, field, value)
    if text and not source.text:
        source.text = text


def source_check_link(*, source_id: int) -> Source:
    """Record whether the source's URL still answers; 4xx/5xx and no answer mark it dead."""
    source = Source.objects.get(pk=source_id)
    status = None
    try:
        with httpx.Client(timeout=_timeout(), follow_redirects=True, headers={"User-Agent": USER_AGENT}) as client:
            response = client.head(source.url)
            if response.status_code in (405, 501):  # some servers refuse HEAD
                response = client.get(source.url)
            status = response.status_code
    except httpx.HTTPError:
        status = None
    source.link_status = status
    source.link_is_dead = status is None or status >= 400
    source.link_checked_at = timezone.now()
    source.save(update_fields=["link_status", "link_is_dead", "link_checked_at"])
    return source
