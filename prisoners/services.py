"""Changes of state for people: status derivation, publication, releases."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from casetracker.dates import DateBounds

from . import identity
from .models import (
    CURRENT_STATUS_FOR_EVENT,
    RECOGNITION_STATUSES,
    Digest,
    DigestKind,
    ExpectedEnd,
    NameKind,
    NameVariant,
    Person,
    PublicationState,
    Release,
    ReleaseGroup,
    Status,
    StatusEvent,
)

RELEASE_STATUSES = frozenset({Status.RELEASED})
# Name matches at or above this score are shown to researchers as likely duplicates.
DUPLICATE_THRESHOLD = 95
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
    expected_end = person.expected_end_of_term()
    derived = {
        "current_status": CURRENT_STATUS_FOR_EVENT.get(status, status),
        "current_status_since": since,
        "is_recognised": bool(recognition) and recognition[-1] == Status.RECOGNISED,
        "custody_started_on": custody_start and (custody_start.date_earliest or custody_start.date_latest),
        "released_on": releases[-1] if releases else None,
        "total_term_days": term.approximate_days,
        "total_term_code": term.code,
        "expected_end_earliest": expected_end.bounds.earliest if expected_end else None,
        "expected_end_latest": expected_end.bounds.latest if expected_end else None,
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


def _name_fields(person: Person) -> list[tuple[str, str]]:
    return [
        (person.display_name, ""),
        (person.name_latin, ""),
        (person.name_be, "be"),
        (person.name_ru, "ru"),
    ]


@transaction.atomic
def person_names_sync(*, person: Person) -> Person:
    """Make the names on the person's own record searchable as name variants."""
    existing = set(person.name_variants.values_list("text", flat=True))
    for text, language in _name_fields(person):
        text = text.strip()
        if text and text not in existing:
            kind = NameKind.NATIVE if language else NameKind.OFFICIAL_ROMANISATION
            NameVariant.objects.create(person=person, text=text, language=language, kind=kind)
            existing.add(text)
    return person


@dataclass(frozen=True)
class LikelyDuplicate:
    person: Person
    score: float
    matched_name: str


def person_likely_duplicates(*, person: Person, threshold: float = DUPLICATE_THRESHOLD) -> list[LikelyDuplicate]:
    """Other people whose names match this person's full names closely, best first."""
    names = {text for text, _language in _name_fields(person) if text.strip()}
    names |= set(person.name_variants.values_list("text", flat=True))
    others = Person.objects.exclude(pk=person.pk)
    best: dict[int, tuple[float, str]] = {}
    for name in names:
        for match in others.name_matches(name):
            if match.score >= threshold and match.score > best.get(match.person_id, (0, ""))[0]:
                best[match.person_id] = (match.score, match.matched_name)
    people = Person.objects.in_bulk(best)
    ranked = [LikelyDuplicate(people[pk], score, text) for pk, (score, text) in best.items()]
    return sorted(ranked, key=lambda duplicate: (-duplicate.score, duplicate.person.pk))


NOT_ALLOWED_TO_MERGE = "Only editors may merge people."
CANNOT_MERGE_WITH_ITSELF = "A person cannot be merged with itself."


@transaction.atomic
def person_merge(*, kept: Person, merged: Person, user=None) -> Person:
    """Move everything recorded about `merged` onto `kept`, then delete `merged`.

    Rows are moved with save(), not update(), so each move is in their history; the
    merged person's own history is kept by the deletion record.
    """
    if user is not None and not user.has_perm("prisoners.delete_person"):
        raise PermissionDenied(NOT_ALLOWED_TO_MERGE)
    if kept.pk == merged.pk:
        raise ValueError(CANNOT_MERGE_WITH_ITSELF)
    from sources.models import Citation

    kept_names = set(kept.name_variants.values_list("text", flat=True))
    for variant in merged.name_variants.all():
        if variant.text in kept_names:
            continue
        variant.person = kept
        variant._change_reason = f"merged from person {merged.pk}"
        variant.save()
        kept_names.add(variant.text)
    for text, language in _name_fields(merged):
        if text.strip() and text not in kept_names:
            NameVariant.objects.create(person=kept, text=text, language=language, kind=NameKind.OTHER)
            kept_names.add(text)

    kept_identifiers = set(kept.external_identifiers.values_list("scheme", "value"))
    for identifier in merged.external_identifiers.all():
        if (identifier.scheme, identifier.value) not in kept_identifiers:
            identifier.person = kept
            identifier.save()

    for related in (merged.status_events.all(), merged.custody_periods.all(), merged.releases.all()):
        for fact in related:
            fact.person = kept
            fact._change_reason = f"merged from person {merged.pk}"
            fact.save()

    for role in merged.defendant_roles.all():
        same_case = kept.defendant_roles.filter(case=role.case).first()
        if same_case is None:
            role.person = kept
            role.save()
            continue
        for fact in [*role.charges.all(), *role.sentences.all()]:
            fact.defendant = same_case
            fact.save()
        role.delete()

    person_type = ContentType.objects.get_for_model(Person)
    for citation in Citation.objects.filter(content_type=person_type, object_id=merged.pk):
        citation.object_id = kept.pk
        citation.save()
    for document in merged.documents.all():
        document.people.add(kept)

    if merged.private_notes and merged.private_notes not in kept.private_notes:
        kept.private_notes = "\n\n".join(filter(None, [kept.private_notes, merged.private_notes]))
    kept._change_reason = f"merged with {merged.display_name} (person {merged.pk})"
    kept.save()
    merged._change_reason = f"merged into person {kept.pk}"
    merged.delete()
    return person_status_refresh(person=kept)


def find_mentions(text: str, *, people=None) -> list[identity.Mention]:
    """The known people named in `text` (any spelling, script or case ending), with offsets."""
    people = Person.objects.all() if people is None else people
    variants: dict[int, list[str]] = defaultdict(list)
    for person_id, variant_text in NameVariant.objects.filter(person__in=people).values_list("person_id", "text"):
        variants[person_id].append(variant_text)
    display_names = dict(people.filter(pk__in=variants).values_list("pk", "display_name"))
    names = [identity.person_names(pk, display_names[pk], texts) for pk, texts in variants.items()]
    mentions = identity.mentions_in(text, names)
    by_pk = Person.objects.in_bulk({m.person_id for m in mentions})
    return [replace(m, person=by_pk[m.person_id]) for m in mentions]


@dataclass(frozen=True)
class DuplicatePair:
    first: Person
    second: Person
    score: float
    first_name: str
    second_name: str


def likely_duplicate_pairs(*, threshold: float = DUPLICATE_THRESHOLD) -> list[DuplicatePair]:
    """Pairs of people whose full names match closely, best first.

    Only people sharing a surname-like word key are compared, so the work grows with the
    size of those groups, not with the square of the number of people.
    """
    names: dict[int, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
    groups: dict[str, set[int]] = defaultdict(set)
    for person_id, text, key_text in NameVariant.objects.values_list("person_id", "text", "normalized"):
        keys = tuple(key_text.split())
        names[person_id].append((text, keys))
        for key in keys:
            if not identity.is_given_name_key(key) and len(key) >= identity.MIN_SURNAME_KEY:
                groups[key].add(person_id)
    compared = {tuple(sorted((a, b))) for group in groups.values() for a in group for b in group if a != b}
    found = []
    for a, b in compared:
        score, text_a, text_b = max(
            (
                max(
                    identity.score_name(identity.exact_words(keys_a), keys_b),
                    identity.score_name(identity.exact_words(keys_b), keys_a),
                ),
                text_a,
                text_b,
            )
            for text_a, keys_a in names[a]
            for text_b, keys_b in names[b]
        )
        if score >= threshold:
            found.append((a, b, score, text_a, text_b))
    people = Person.objects.in_bulk({pk for a, b, *_rest in found for pk in (a, b)})
    pairs = [DuplicatePair(people[a], people[b], score, ta, tb) for a, b, score, ta, tb in found]
    return sorted(pairs, key=lambda pair: (-pair.score, pair.first.pk, pair.second.pk))


TERM_ENDING_HORIZON_DAYS = 60


def term_endings_digest_prepare(*, today: dt.date) -> Digest:
    """The people whose term may end in the next 60 days, kept for the admin index."""
    people = Person.objects.term_ending_within(TERM_ENDING_HORIZON_DAYS, today).order_by("expected_end_earliest")
    items = [
        {
            "id": person.pk,
            "name": person.display_name,
            "expected_end": str(ExpectedEnd(DateBounds(person.expected_end_earliest, person.expected_end_latest))),
        }
        for person in people
    ]
    return Digest.objects.create(kind=DigestKind.TERM_ENDINGS, items=items)
