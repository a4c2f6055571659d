"""Statistics over the public records: who was in custody on a day, monthly flows, breakdowns.

Every count of people in custody reads the stored custody spells (prisoners.custody has the
rule, services.person_status_refresh stores them): `in_custody_at_least` counts the people the
record shows surely in custody on the day, `in_custody_at_most` adds those whose partial or
missing dates leave it open. `in_custody` is the first: a person is never counted on a day
their record cannot support.

Flows are placed in a month only when their date says which month; a detention or release
known only as "2020" (or "summer 2020") is counted in that year's "month unknown" share, never
in January.

Every function reads public (published) people only, and returns plain data: the page and
`/api/v1/stats/` serialise the same `stats_summary()`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from itertools import accumulate

from django.db.models import Count, DateField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncMonth, TruncYear
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    Charge,
    CustodySpell,
    Gender,
    LegalArticle,
    LegalCode,
    Person,
    Region,
    Release,
    ReleaseType,
)

SERIES_START = dt.date(2020, 1, 1)
UNKNOWN = "unknown"


# --- In custody on a day --------------------------------------------------------------------------


def _public(people: QuerySet | None) -> QuerySet:
    # Callers may narrow the set further, never widen it past the public.
    return (Person.objects.all() if people is None else people).public()


def in_custody_on(day: dt.date, people: QuerySet | None = None) -> QuerySet:
    """Public people surely in custody on `day`: one SQL query over the stored spells."""
    return _public(people).in_custody_on(day)


@dataclass(frozen=True)
class CustodyCount:
    """People in custody on a day: surely (`at_least`) and at most, if every open date went that way."""

    at_least: int
    at_most: int

    @property
    def open(self) -> int:
        """People whose recorded dates leave it open whether they were in custody that day."""
        return self.at_most - self.at_least


def custody_count_on(day: dt.date) -> CustodyCount:
    """How many public people were surely, and at most, in custody on `day`: two index range queries."""
    # A person's spells never overlap within one reading, so spells count people.
    spells = CustodySpell.objects.public()
    return CustodyCount(at_least=spells.certainly_on(day).count(), at_most=spells.possibly_on(day).count())


def count_in_custody_on(day: dt.date) -> int:
    """How many public people were surely in custody on `day`."""
    return custody_count_on(day).at_least


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


def _by_month(spells: QuerySet, field: str, end: dt.date) -> dict[dt.date, int]:
    """How many spells have `field` in each month, up to `end`; earlier months fold into SERIES_START's."""
    rows = (
        spells.filter(**{f"{field}__lte": end})
        .annotate(month=TruncMonth(field, output_field=DateField()))
        .values("month")
        .annotate(spells=Count("pk"))
        .order_by()
    )
    counts: dict[dt.date, int] = defaultdict(int)
    for row in rows:
        counts[max(_as_date(row["month"]), SERIES_START)] += row["spells"]
    return counts


def _in_custody_by_month(months: list[dt.date], end: dt.date, reading: str) -> list[int]:
    """People in custody at each month's end (at `end` in its month) by one reading: certain or possible.

    In custody on day d = spells begun by d minus spells ended by d (an end is the first day
    out). Four grouped queries for any number of months, where a count per month grows with them.
    """
    spells = CustodySpell.objects.public().exclude(**{f"{reading}_from": F(f"{reading}_until")})
    begun = _by_month(spells, f"{reading}_from", end)
    ended = _by_month(spells, f"{reading}_until", end)
    begun_by = accumulate(begun.get(month, 0) for month in months)
    ended_by = accumulate(ended.get(month, 0) for month in months)
    return [count_begun - count_ended for count_begun, count_ended in zip(begun_by, ended_by, strict=True)]


@dataclass(frozen=True)
class Flows:
    """Dated events per month where the month is known, and per year where only the year is."""

    by_month: dict[dt.date, dict]
    month_unknown: dict[int | None, int]


def _flows(rows: QuerySet, earliest: str, latest: str, start: dt.date, end: dt.date, *keys: str) -> Flows:
    """People per month (and per `keys`) of facts whose date lies in one month; the rest by year."""
    dated = rows.filter(**{f"{earliest}__isnull": False, f"{latest}__isnull": False}).annotate(
        first_month=TruncMonth(earliest, output_field=DateField()),
        last_month=TruncMonth(latest, output_field=DateField()),
    )
    by_month: dict[dt.date, dict] = defaultdict(lambda: defaultdict(int))
    monthly = (
        dated.filter(first_month=F("last_month"), **{f"{earliest}__range": (start, end)})
        .values("first_month", *keys)
        .annotate(people=Count("person", distinct=True))
        .order_by()
    )
    for row in monthly:
        by_month[_as_date(row["first_month"])][tuple(row[key] for key in keys)] += row["people"]
    # Month unknown: the date spans months; its year if it lies in one, else "year unknown" (None).
    spanning = (
        rows.exclude(pk__in=dated.filter(first_month=F("last_month")).values("pk"))
        .filter(Q(**{f"{latest}__gte": start}) | Q(**{f"{latest}__isnull": True}))
        .filter(Q(**{f"{earliest}__lte": end}) | Q(**{f"{earliest}__isnull": True}))
        .annotate(
            first_year=TruncYear(earliest, output_field=DateField()),
            last_year=TruncYear(latest, output_field=DateField()),
        )
        .values("first_year", "last_year")
        .annotate(people=Count("person", distinct=True))
        .order_by()
    )
    month_unknown: dict[int | None, int] = defaultdict(int)
    for row in spanning:
        same_year = row["first_year"] is not None and row["first_year"] == row["last_year"]
        month_unknown[_as_date(row["first_year"]).year if same_year else None] += row["people"]
    return Flows(by_month, dict(month_unknown))


def _detentions(start: dt.date, end: dt.date) -> Flows:
    """People per month whose custody spell began with a detention then (a step within a spell is none)."""
    spells = CustodySpell.objects.public().filter(detention_recorded=True)
    return _flows(spells, "detained_earliest", "detained_latest", start, end)


def _releases(start: dt.date, end: dt.date) -> Flows:
    releases = Release.objects.public()
    return _flows(releases, "date_earliest", "date_latest", start, end, "release_type")


def monthly_series(start: dt.date = SERIES_START, end: dt.date | None = None) -> list[dict]:
    """One row per month from `start` to `end` (default today): in custody at month end, flows."""
    return series_with_month_unknown(start, end)["months"]


def series_with_month_unknown(start: dt.date = SERIES_START, end: dt.date | None = None) -> dict:
    """`months`: one row per month from `start` to `end` (default today); `month_unknown`: what no month can hold.

    `in_custody` (= `in_custody_at_least`) and `in_custody_at_most` are counted on the month's
    last day (on `end` in its month); `newly_detained` counts people whose custody began with a
    detention dated in the month; `released` counts released people by release type, every type
    present, zeros included. `month_unknown` lists, per year (null: not even the year), the
    detentions and releases whose date does not say the month.
    """
    end = end or timezone.localdate()
    months = _month_starts(start, end)
    if not months:
        return {"months": [], "month_unknown": []}
    count_days = [min(_month_end(month), end) for month in months]
    at_least = _in_custody_by_month(months, end, "certain")
    at_most = _in_custody_by_month(months, end, "possible")
    detained, released = _detentions(start, end), _releases(start, end)
    series = []
    for month, day, least, most in zip(months, count_days, at_least, at_most, strict=True):
        by_type = {
            release_type: released.by_month.get(month, {}).get((release_type,), 0)
            for release_type in ReleaseType.values
        }
        series.append(
            {
                "month": month.strftime("%Y-%m"),
                "counted_on": day.isoformat(),
                "in_custody": least,
                "in_custody_at_least": least,
                "in_custody_at_most": most,
                "newly_detained": detained.by_month.get(month, {}).get((), 0),
                "released": by_type,
                "released_total": sum(by_type.values()),
            }
        )
    years = sorted(set(detained.month_unknown) | set(released.month_unknown), key=lambda year: (year is None, year))
    month_unknown = [
        {
            "year": year,
            "newly_detained": detained.month_unknown.get(year, 0),
            "released": released.month_unknown.get(year, 0),
        }
        for year in years
    ]
    return {"months": series, "month_unknown": month_unknown}


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
    count = custody_count_on(on)
    series = series_with_month_unknown(SERIES_START, series_end)
    return {
        "on": on.isoformat(),
        "in_custody": count.at_least,
        "in_custody_at_least": count.at_least,
        "in_custody_at_most": count.at_most,
        "series": {
            "start": SERIES_START.isoformat(),
            "end": series_end.isoformat(),
            "months": series["months"],
            "month_unknown": series["month_unknown"],
        },
        "release_types": [{"value": value, "label": str(label)} for value, label in ReleaseType.choices],
        "breakdowns": breakdowns(on),
    }
