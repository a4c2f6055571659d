"""Statistics over the public records: who was in custody on a day, monthly flows, breakdowns.

The status on a past day follows the rule of `services.person_status_refresh`, cut off at that
day: of a person's facts (status events other than recognition, and releases) whose first known
day (`date_earliest`, else `date_latest`) is on or before the day, the last one decides. Facts
are ordered as that service orders them: first known day (an undated fact first), then last
known day (an open end last), then status events before releases, then id. A release means
"released" (or "died in custody"); a transfer keeps a person imprisoned.

One addition the cut-off needs: a record that *begins* with leaving custody (a release, or a
"released" or "died in custody" event, with no detention recorded before it) says the person
was in custody before that, from a day nobody recorded. Such a person counts as in custody on
every day before their first fact. The demo's June 2025 release group is recorded this way.

Every function reads public (published) people only, and returns plain data: the page and
`/api/v1/stats/` serialise the same `stats_summary()`.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict

from django.db.models import Count, DateField, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Least, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    CURRENT_STATUS_FOR_EVENT,
    CUSTODY_START_STATUSES,
    IN_CUSTODY_STATUSES,
    RECOGNITION_STATUSES,
    Charge,
    Gender,
    LegalArticle,
    LegalCode,
    Person,
    Region,
    Release,
    ReleaseType,
    Status,
    StatusEvent,
)

SERIES_START = dt.date(2020, 1, 1)
# Event statuses that leave a person in custody (a transfer reads as imprisoned).
CUSTODY_EVENT_STATUSES = frozenset(s for s in Status if CURRENT_STATUS_FOR_EVENT.get(s, s) in IN_CUSTODY_STATUSES)
# Event statuses that say a person left custody, as a release record does.
CUSTODY_END_STATUSES = frozenset({Status.RELEASED, Status.DIED_IN_CUSTODY})
# Stand-ins for unknown ends, as in person_status_refresh: undated facts sort first, open ends last.
UNDATED = dt.date(1, 1, 1)
OPEN_END = dt.date(9999, 12, 31)
# Status events sort before releases on the same days (person_status_refresh's rank).
EVENT_RANK, RELEASE_RANK = 0, 1
UNKNOWN = "unknown"


# --- The status on a day ------------------------------------------------------------------------


def _dated(facts: QuerySet) -> QuerySet:
    """Facts annotated with person_status_refresh's sort keys: first and last known day."""
    return facts.annotate(
        first_day=Coalesce("date_earliest", "date_latest", Value(UNDATED), output_field=DateField()),
        last_day=Coalesce("date_latest", Value(OPEN_END), output_field=DateField()),
    )


def _events() -> QuerySet:
    return _dated(StatusEvent.objects.reviewed().exclude(status__in=RECOGNITION_STATUSES))


def _releases() -> QuerySet:
    return _dated(Release.objects.reviewed())


def _outer(name: str, depth: int):
    reference = name
    for _level in range(depth):
        reference = OuterRef(reference)
    return reference


def _sorted(relation: str, rank: int, reference_rank: int, depth: int = 1) -> Q:
    """Facts of `rank` sorted "after" or "before" the fact `depth` queries out, of `reference_rank`."""
    first, last, pk = (_outer(name, depth) for name in ("first_day", "last_day", "pk"))
    op = "gt" if relation == "after" else "lt"
    differs = Q(**{f"first_day__{op}": first}) | Q(first_day=first, **{f"last_day__{op}": last})
    same_days = Q(first_day=first, last_day=last)
    if (rank > reference_rank) if relation == "after" else (rank < reference_rank):
        return differs | same_days
    if rank == reference_rank:
        return differs | (same_days & Q(**{f"pk__{op}": pk}))
    return differs


def _begins_with_leaving_custody() -> Q:
    """A Person filter: the first fact of the record is a release, "released" or "died in custody"."""
    # Releases always end custody, so only an earlier event of another kind can come first.
    other_events = _events().exclude(status__in=CUSTODY_END_STATUSES).filter(person=OuterRef("person"))
    release_first = _releases().filter(
        ~Exists(other_events.filter(_sorted("before", EVENT_RANK, RELEASE_RANK))), person=OuterRef("pk")
    )
    ending_event_first = _events().filter(
        ~Exists(other_events.filter(_sorted("before", EVENT_RANK, EVENT_RANK))),
        status__in=CUSTODY_END_STATUSES,
        person=OuterRef("pk"),
    )
    return Q(Exists(release_first)) | Q(Exists(ending_event_first))


def in_custody_filter(day: dt.date) -> Q:
    """A Person filter: in custody on `day` by the status history (see the module docstring)."""
    known = Q(first_day__lte=day)
    # The last fact known by the day is a custody event: no other kind of fact sorts after it.
    other_event_after = (
        _events()
        .filter(known, _sorted("after", EVENT_RANK, EVENT_RANK), person=OuterRef("person"))
        .exclude(status__in=CUSTODY_EVENT_STATUSES)
    )
    release_after = _releases().filter(known, _sorted("after", RELEASE_RANK, EVENT_RANK), person=OuterRef("person"))
    last_known_is_custody = Exists(
        _events().filter(
            known,
            ~Exists(other_event_after),
            ~Exists(release_after),
            person=OuterRef("pk"),
            status__in=CUSTODY_EVENT_STATUSES,
        )
    )
    # Or nothing is known by the day, and the record begins with leaving custody.
    nothing_known = ~Q(Exists(_events().filter(known, person=OuterRef("pk")))) & ~Q(
        Exists(_releases().filter(known, person=OuterRef("pk")))
    )
    return Q(last_known_is_custody) | (nothing_known & _begins_with_leaving_custody())


def _public(people: QuerySet | None) -> QuerySet:
    # Callers may narrow the set further, never widen it past the public.
    return (Person.objects.all() if people is None else people).public()


def in_custody_on(day: dt.date, people: QuerySet | None = None) -> QuerySet:
    """Public people in custody on `day` by their status history: one SQL query."""
    return _public(people).in_custody_on(day)


def count_in_custody_on(day: dt.date) -> int:
    """How many public people were in custody on `day`."""
    return in_custody_on(day).count()


# --- Monthly series ---------------------------------------------------------------------------


def _month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _month_end(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def _as_date(value) -> dt.date:
    # TruncMonth gives a date on PostgreSQL and SQLite alike; a datetime only if a backend widens it.
    return value.date() if isinstance(value, dt.datetime) else value


def _first_day_of(facts: QuerySet) -> Coalesce:
    """The first day of the first of these facts (a subquery), OPEN_END if there is none."""
    return Coalesce(Subquery(facts.order_by("first_day").values("first_day")[:1]), Value(OPEN_END))


def custody_spells() -> dict[int, list[tuple[dt.date, dt.date]]]:
    """Every public person's days in custody, as merged [first day, day after) intervals.

    The same rule as in_custody_filter, seen from the facts: a custody event keeps a person in
    custody from its first day until the first day of the next fact of another kind (the
    facts known by a day are a prefix of the sorted record). Two queries in all.
    """
    public = _public(None)
    other_events_after = (
        _events()
        .filter(_sorted("after", EVENT_RANK, EVENT_RANK), person=OuterRef("person"))
        .exclude(status__in=CUSTODY_EVENT_STATUSES)
    )
    releases_after = _releases().filter(_sorted("after", RELEASE_RANK, EVENT_RANK), person=OuterRef("person"))
    spells = (
        _events()
        .filter(person__in=public, status__in=CUSTODY_EVENT_STATUSES)
        .annotate(until=Least(_first_day_of(other_events_after), _first_day_of(releases_after)))
        .values_list("person_id", "first_day", "until")
    )
    # Before the first fact of a record that begins with leaving custody.
    unrecorded = (
        public.filter(_begins_with_leaving_custody())
        .annotate(
            until=Least(
                _first_day_of(_events().filter(person=OuterRef("pk"))),
                _first_day_of(_releases().filter(person=OuterRef("pk"))),
            )
        )
        .values_list("pk", Value(UNDATED, output_field=DateField()), "until")
    )
    by_person: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for person_id, first, until in [*spells, *unrecorded]:
        if first < until:
            by_person[person_id].append((first, until))
    return {person_id: _merged(intervals) for person_id, intervals in by_person.items()}


def _merged(intervals: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    merged: list[tuple[dt.date, dt.date]] = []
    for first, until in sorted(intervals):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(until, merged[-1][1]))
        else:
            merged.append((first, until))
    return merged


def _in_custody_counts(days: list[dt.date]) -> dict[dt.date, int]:
    # Spells are fetched once and counted per day here: two queries for any number of months,
    # where a query per month (or one aggregate of a filtered Count per month) grows with them.
    spells = [interval for intervals in custody_spells().values() for interval in intervals]
    firsts, untils = sorted(first for first, _until in spells), sorted(until for _first, until in spells)
    # A person's merged spells never overlap, so spells containing the day count people.
    return {day: bisect_right(firsts, day) - bisect_right(untils, day) for day in days}


def _detentions_by_month(start: dt.date, end: dt.date) -> dict[dt.date, int]:
    """People per month with a detention that began a custody spell (not a step within one)."""
    # A start event right after a custody fact (e.g. remand after arrest) continues the same spell.
    custody_before = (
        _events()
        .filter(_sorted("before", EVENT_RANK, EVENT_RANK), person=OuterRef("person"), status__in=CUSTODY_EVENT_STATUSES)
        .filter(
            ~Exists(
                _events()
                .filter(person=OuterRef("person"))
                .exclude(status__in=CUSTODY_EVENT_STATUSES)
                .filter(_sorted("after", EVENT_RANK, EVENT_RANK))
                .filter(_sorted("before", EVENT_RANK, EVENT_RANK, depth=2))
            ),
            ~Exists(
                _releases()
                .filter(person=OuterRef("person"))
                .filter(_sorted("after", RELEASE_RANK, EVENT_RANK))
                .filter(_sorted("before", RELEASE_RANK, EVENT_RANK, depth=2))
            ),
        )
    )
    rows = (
        _events()
        .filter(person__in=_public(None), status__in=CUSTODY_START_STATUSES, first_day__range=(start, end))
        .filter(~Exists(custody_before))
        .annotate(month=TruncMonth("first_day", output_field=DateField()))
        .values("month")
        .annotate(people=Count("person", distinct=True))
        .order_by("month")
    )
    return {_as_date(row["month"]): row["people"] for row in rows}


def _releases_by_month(start: dt.date, end: dt.date) -> dict[dt.date, dict[str, int]]:
    rows = (
        _releases()
        .filter(person__in=_public(None), first_day__range=(start, end))
        .annotate(month=TruncMonth("first_day", output_field=DateField()))
        .values("month", "release_type")
        .annotate(people=Count("person", distinct=True))
        .order_by("month", "release_type")
    )
    released: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        released[_as_date(row["month"])][row["release_type"]] = row["people"]
    return released


def monthly_series(start: dt.date = SERIES_START, end: dt.date | None = None) -> list[dict]:
    """One row per month from `start` to `end` (default today): in custody at month end, flows.

    `in_custody` is counted on the month's last day (on `end` in its month); `newly_detained`
    counts people whose custody began in the month (first known day of the detention);
    `released` counts released people by release type, every type present, zeros included.
    """
    end = end or timezone.localdate()
    months = _month_starts(start, end)
    if not months:
        return []
    count_days = [min(_month_end(month), end) for month in months]
    in_custody = _in_custody_counts(count_days)
    detained = _detentions_by_month(start, end)
    released = _releases_by_month(start, end)
    series = []
    for month, day in zip(months, count_days, strict=True):
        by_type = {release_type: released.get(month, {}).get(release_type, 0) for release_type in ReleaseType.values}
        series.append(
            {
                "month": month.strftime("%Y-%m"),
                "counted_on": day.isoformat(),
                "in_custody": in_custody[day],
                "newly_detained": detained.get(month, 0),
                "released": by_type,
                "released_total": sum(by_type.values()),
            }
        )
    return series


# --- Breakdowns -------------------------------------------------------------------------------


def _choice_rows(people: QuerySet, field: str, labels: dict[str, str]) -> list[dict]:
    rows = people.values(field).annotate(people=Count("pk", distinct=True)).order_by("-people", field)
    result = [
        {
            "value": row[field] or UNKNOWN,
            "label": str(labels.get(row[field], _("not recorded"))),
            "count": row["people"],
        }
        for row in rows
    ]
    # Largest first; "not recorded" last whatever its size, as it is a gap, not a group.
    return sorted(result, key=lambda row: row["value"] == UNKNOWN)


def _article_rows(people: QuerySet) -> list[dict]:
    # The article's own title: the row without a part, else its first part ("" sorts first).
    title = LegalArticle.objects.filter(code=OuterRef("article__code"), article=OuterRef("article__article"))
    rows = (
        Charge.objects.reviewed()
        .filter(defendant__person__in=people.values("pk"))
        .values("article__code", "article__article")
        .annotate(
            people=Count("defendant__person", distinct=True),
            title=Subquery(title.order_by("part", "pk").values("title")[:1]),
        )
        .order_by("-people", "article__code", "article__article")
    )
    codes = dict(LegalCode.choices)
    result = []
    for row in rows:
        number = _("Art. %(article)s") % {"article": row["article__article"]}
        code_label = str(codes.get(row["article__code"], row["article__code"]))
        label = f"{number} — {row['title']}"
        # Article numbers repeat across codes; the Criminal Code is the one readers assume.
        if row["article__code"] != LegalCode.CRIMINAL:
            label = f"{label} ({code_label})"
        result.append(
            {
                "value": f"{row['article__code']}:{row['article__article']}",
                "code": row["article__code"],
                "code_label": code_label,
                "article": row["article__article"],
                "title": row["title"],
                "label": label,
                "count": row["people"],
            }
        )
    return result


def breakdowns(on: dt.date | None = None) -> dict[str, list[dict]]:
    """People in custody on `on` (default: now, by current status) by region, article and gender.

    A person charged under several articles counts once under each; people without a
    recorded region or gender are counted under "unknown".
    """
    people = in_custody_on(on) if on else _public(None).in_custody()
    return {
        "region": _choice_rows(people, "region", dict(Region.choices)),
        "article": _article_rows(people),
        "gender": _choice_rows(people, "gender", dict(Gender.choices)),
    }


# --- Everything, as plain data ----------------------------------------------------------------


def stats_summary(on: dt.date) -> dict:
    """Everything the stats page and /api/v1/stats/ show for the day `on`, as JSON-ready data.

    The monthly series runs from January 2020 to `on`, never past today.
    """
    series_end = min(on, timezone.localdate())
    return {
        "on": on.isoformat(),
        "in_custody": count_in_custody_on(on),
        "series": {
            "start": SERIES_START.isoformat(),
            "end": series_end.isoformat(),
            "months": monthly_series(SERIES_START, series_end),
        },
        "release_types": [{"value": value, "label": str(label)} for value, label in ReleaseType.choices],
        "breakdowns": breakdowns(on),
    }
