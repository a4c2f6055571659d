"""Statistics over the public records: who was in custody on a day, monthly flows, breakdowns.

Every count of people in custody reads the stored custody spells (prisoners.custody has the
rule, services.person_status_refresh stores them): `in_custody_at_least` counts the people the
record shows surely in custody on the day, `in_custody_at_most` adds those whose partial or
missing dates leave it open. `in_custody` is the first: a person is never counted on a day
their record cannot support.

Flows are placed in a month only when their date says which month; a detention or release
known only as "2020" (or "summer 2020") is counted in that year's "month unknown" share, never
in January.

The series, the breakdowns and the home page's counts are read from StatsTally rows stored
per public state (prisoners.freshness.public_state, which moves with every public change): the
first request in a new state derives them from the spells, releases and charges (`tallies`),
every later one sums a few hundred of them, whatever the number of people. `custody_count_on`
and `in_custody_on` ask the spells directly, and the tests hold the two readings equal.

Every function reads public (published) people only, and returns plain data: the page and
`/api/v1/stats/` serialise the same `stats_summary()`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import accumulate

from django.db import connections, router, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .custody import UNDATED
from .freshness import PublicState, public_state
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
    StatsTally,
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


# --- Stored tallies -----------------------------------------------------------------------------
#
# The series and the breakdowns are sums of StatsTally rows, built once per public state from
# the public spells, releases and charges (the rule stays prisoners.custody's, applied when the
# spells were stored). A count on a day adds the month rows of every earlier month and the day
# rows of its own month up to the day: a few hundred rows, however many people are recorded.

CERTAIN, POSSIBLE = "in_custody_certain", "in_custody_possible"
DETAINED, RELEASED = "newly_detained", "released"
DETAINED_MONTH_UNKNOWN, RELEASED_MONTH_UNKNOWN = "newly_detained_month_unknown", "released_month_unknown"
BUILT = "built"  # one row per built state, so that a state with no people is built too
HEADLINE = "headline"  # the home page's counts of one day (headline_counts)
SERIES_MEASURES = (CERTAIN, POSSIBLE, DETAINED, RELEASED, DETAINED_MONTH_UNKNOWN, RELEASED_MONTH_UNKNOWN)
MONTH, DAY = "month", "day"
TALLY_ROWS_PER_INSERT = 5000


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months_after(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], _month_start(start)
    while month <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def _month_end(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


class _Flows:
    """Facts dated to a day (a detention, a release): each person once per month, on their first day in it.

    Where the date does not say the month, the fact goes to its year's "month unknown" share
    (None: not even the year), once per person, on its earliest possible day (UNDATED if none).
    """

    def __init__(self, measure: str, month_unknown: str, dimension: str = ""):
        self.measure, self.month_unknown, self.dimension = measure, month_unknown, dimension
        self.in_month: dict[tuple, dt.date] = {}
        self.unknown: dict[tuple, dt.date] = {}

    def add(self, person_id: int, earliest: dt.date | None, latest: dt.date | None, value: str = "") -> None:
        if earliest and latest and _month_start(earliest) == _month_start(latest):
            key = (person_id, value, _month_start(earliest))
            self.in_month[key] = min(self.in_month.get(key, earliest), earliest)
        elif latest is None or latest >= SERIES_START:
            year = earliest.year if earliest and latest and earliest.year == latest.year else None
            key = (person_id, year)
            day = earliest or UNDATED
            self.unknown[key] = min(self.unknown.get(key, day), day)

    def changes(self, changes: Counter) -> None:
        for (_person, value, _month), day in self.in_month.items():
            changes[(self.measure, self.dimension, value, day)] += 1
        for (_person, year), day in self.unknown.items():
            changes[(self.month_unknown, "year", "" if year is None else str(year), day)] += 1


def _tally_changes() -> Counter:
    """{(measure, dimension, value, day): change} over the public record."""
    people = Person.objects.public().values("pk")
    articles = defaultdict(set)
    charged = (
        Charge.objects.reviewed()
        .filter(defendant__person__in=people)
        .order_by()
        .values_list("defendant__person_id", "article__code", "article__article")
        .distinct()
    )
    for person_id, code, article in charged:
        articles[person_id].add(f"{code}:{article}")
    changes: Counter = Counter()
    detentions = _Flows(DETAINED, DETAINED_MONTH_UNKNOWN)
    spells = (
        CustodySpell.objects.public()
        .order_by()
        .values_list(
            "person_id",
            "certain_from",
            "certain_until",
            "possible_from",
            "possible_until",
            "person__region",
            "person__gender",
            "detention_recorded",
            "detained_earliest",
            "detained_latest",
        )
    )
    for person_id, sure_from, sure_until, open_from, open_until, region, gender, detained, earliest, latest in spells:
        if sure_from != sure_until:
            groups = [("", ""), ("region", region or ""), ("gender", gender or "")]
            groups += [("article", article) for article in articles.get(person_id, ())]
            for dimension, value in groups:
                changes[(CERTAIN, dimension, value, sure_from)] += 1
                changes[(CERTAIN, dimension, value, sure_until)] -= 1  # the first day out
        if open_from != open_until:
            changes[(POSSIBLE, "", "", open_from)] += 1
            changes[(POSSIBLE, "", "", open_until)] -= 1
        if detained:
            detentions.add(person_id, earliest, latest)
    releases = _Flows(RELEASED, RELEASED_MONTH_UNKNOWN, "release_type")
    for person_id, earliest, latest, release_type in (
        Release.objects.public().order_by().values_list("person_id", "date_earliest", "date_latest", "release_type")
    ):
        releases.add(person_id, earliest, latest, release_type)
    detentions.changes(changes)
    releases.changes(changes)
    return changes


def _tallies_build(token: str, database: str) -> None:
    changes = _tally_changes()
    by_month: Counter = Counter()
    for (measure, dimension, value, day), change in changes.items():
        by_month[(measure, dimension, value, _month_start(day))] += change
    rows = [StatsTally(state=token, measure=BUILT, span=DAY, day=UNDATED, change=0)]
    for span, counted in ((DAY, changes), (MONTH, by_month)):
        rows += [
            StatsTally(
                state=token, measure=measure, dimension=dimension, value=value, span=span, day=day, change=change
            )
            for (measure, dimension, value, day), change in counted.items()
            if change
        ]
    with transaction.atomic(using=database):
        StatsTally.objects.using(database).exclude(state=token).exclude(measure=HEADLINE).delete()
        # A reader building the same state at the same time writes the same rows: the first ones stay.
        StatsTally.objects.using(database).bulk_create(rows, batch_size=TALLY_ROWS_PER_INSERT, ignore_conflicts=True)
        if connections[database].vendor == "postgresql":
            # The new state is a value PostgreSQL's statistics have never seen: it takes it for one
            # row and walks all of the state's rows by its first column (10,000 people: 16 ms a
            # sum instead of 1-2). Sampling the table again costs little beside the build.
            with connections[database].cursor() as cursor:
                cursor.execute(f"ANALYZE {connections[database].ops.quote_name(StatsTally._meta.db_table)}")


def tallies(state: PublicState | None = None) -> QuerySet:
    """The StatsTally rows of the current public state, built first if this state has none yet.

    Read from and written to the primary database: a replica may not have the rows just built.
    """
    state = state or public_state()
    database = router.db_for_write(StatsTally)
    rows = StatsTally.objects.using(database).filter(state=state.token)
    if not rows.filter(measure=BUILT).exists():
        _tallies_build(state.token, database)
    return rows


def _up_to(day: dt.date) -> Q:
    """The rows that sum to a count on `day`: whole earlier months, then the days of its own month."""
    month = _month_start(day)
    return Q(span=MONTH, day__lt=month) | Q(span=DAY, day__gte=month, day__lte=day)


def _sums_on(rows: QuerySet, day: dt.date) -> dict[tuple[str, str, str], int]:
    """{(measure, dimension, value): people} for the custody counts on `day`, in one query."""
    sums = (
        rows.filter(_up_to(day), measure__in=[CERTAIN, POSSIBLE])
        .values("measure", "dimension", "value")
        .annotate(total=Sum("change"))
        .order_by()
    )
    return {(row["measure"], row["dimension"], row["value"]): row["total"] for row in sums}


def headline_counts(today: dt.date, *, state: PublicState | None = None) -> dict[str, int]:
    """The home page's counts (PersonQuerySet.headline_counts, the rule) for `today`, stored beside the tallies.

    Counted once per public state and day, then read in one query: the rule itself reads every
    public person. Older states' and days' counts are deleted when new ones are stored.
    """
    state = state or public_state()
    database = router.db_for_write(StatsTally)
    stored_counts = StatsTally.objects.using(database).filter(measure=HEADLINE)
    stored = dict(stored_counts.filter(state=state.token, day=today).values_list("value", "change"))
    if not stored:
        stored = Person.objects.public().headline_counts(today)
        rows = [
            StatsTally(state=state.token, measure=HEADLINE, value=name, span=DAY, day=today, change=count)
            for name, count in stored.items()
        ]
        with transaction.atomic(using=database):
            stored_counts.exclude(state=state.token, day=today).delete()
            StatsTally.objects.using(database).bulk_create(rows, ignore_conflicts=True)
    return stored


# --- Monthly series ---------------------------------------------------------------------------


def monthly_series(start: dt.date = SERIES_START, end: dt.date | None = None) -> list[dict]:
    """One row per month from `start` to `end` (default today): in custody at month end, flows."""
    return series_with_month_unknown(start, end)["months"]


def series_with_month_unknown(
    start: dt.date = SERIES_START, end: dt.date | None = None, *, state: PublicState | None = None
) -> dict:
    """`months`: one row per month from `start` to `end` (default today); `month_unknown`: what no month can hold.

    `in_custody` (= `in_custody_at_least`) and `in_custody_at_most` are counted on the month's
    last day (on `end` in its month); `newly_detained` counts people whose custody began with a
    detention dated in the month (up to `end`); `released` counts released people by release
    type, every type present, zeros included. `month_unknown` lists, per year (null: not even
    the year), the detentions and releases up to `end` whose date does not say the month, and
    which may have happened since SERIES_START. `start` is taken as its month's first day.
    """
    return _series(tallies(state), start, end or timezone.localdate())


def _series(built: QuerySet, start: dt.date, end: dt.date) -> dict:
    months = _months_after(start, end)
    if not months:
        return {"months": [], "month_unknown": []}
    first = months[0]
    rows = (
        # The measures named, not "all but BUILT": then the tally index's measure column narrows
        # the scan to the rows summed instead of every row of the state (with the index order of
        # StatsTally, the series at 100,000 people: 20 -> 1.5 ms).
        built.filter(_up_to(end), dimension__in=["", "release_type", "year"], measure__in=SERIES_MEASURES).values_list(
            "measure", "value", "day", "change"
        )
    )
    custody_before = {CERTAIN: 0, POSSIBLE: 0}
    custody = {CERTAIN: defaultdict(int), POSSIBLE: defaultdict(int)}
    detained: dict[dt.date, int] = defaultdict(int)
    released: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    unknown = {DETAINED_MONTH_UNKNOWN: defaultdict(int), RELEASED_MONTH_UNKNOWN: defaultdict(int)}
    for measure, value, day, change in rows:
        month = _month_start(day)
        if measure in custody:
            if month < first:
                custody_before[measure] += change
            else:
                custody[measure][month] += change
        elif measure == DETAINED and month >= first:
            detained[month] += change
        elif measure == RELEASED and month >= first:
            released[month][value] += change
        elif measure in unknown:
            unknown[measure][int(value) if value else None] += change
    at_least = accumulate((custody[CERTAIN][month] for month in months), initial=custody_before[CERTAIN])
    at_most = accumulate((custody[POSSIBLE][month] for month in months), initial=custody_before[POSSIBLE])
    series = []
    for month, least, most in zip(months, list(at_least)[1:], list(at_most)[1:], strict=True):
        by_type = {release_type: released[month].get(release_type, 0) for release_type in ReleaseType.values}
        series.append(
            {
                "month": month.strftime("%Y-%m"),
                "counted_on": min(_month_end(month), end).isoformat(),
                "in_custody": least,
                "in_custody_at_least": least,
                "in_custody_at_most": most,
                "newly_detained": detained.get(month, 0),
                "released": by_type,
                "released_total": sum(by_type.values()),
            }
        )
    detained_unknown, released_unknown = unknown[DETAINED_MONTH_UNKNOWN], unknown[RELEASED_MONTH_UNKNOWN]
    years = sorted(set(detained_unknown) | set(released_unknown), key=lambda year: (year is None, year))
    month_unknown = [
        {"year": year, "newly_detained": detained_unknown.get(year, 0), "released": released_unknown.get(year, 0)}
        for year in years
    ]
    return {"months": series, "month_unknown": month_unknown}


# --- Breakdowns -------------------------------------------------------------------------------


def _choice_rows(counts: dict[str, int], labels: dict[str, str]) -> list[dict]:
    rows = [
        {"value": value or UNKNOWN, "label": str(labels.get(value, _("not recorded"))), "count": count}
        for value, count in counts.items()
        if count > 0
    ]
    # Largest first; "not recorded" last whatever its size, as it is a gap, not a group.
    rows.sort(key=lambda row: (row["value"] == UNKNOWN, -row["count"], row["value"]))
    return rows


def _article_rows(counts: dict[str, int]) -> list[dict]:
    keys = sorted(
        (tuple(value.split(":", 1)) for value, count in counts.items() if count > 0),
        key=lambda key: (-counts[":".join(key)], key),
    )
    # The article's own title: the row without a part, else its first part ("" sorts first).
    titles: dict[tuple[str, str], str] = {}
    for code, article, title in (
        LegalArticle.objects.filter(article__in={article for _code, article in keys})
        .order_by("part", "pk")
        .values_list("code", "article", "title")
    ):
        titles.setdefault((code, article), title)
    codes = dict(LegalCode.choices)
    result = []
    for code, article in keys:
        number = _("Art. %(article)s") % {"article": article}
        code_label = str(codes.get(code, code))
        title = titles.get((code, article))
        label = f"{number} — {title}"
        # Article numbers repeat across codes; the Criminal Code is the one readers assume.
        if code != LegalCode.CRIMINAL:
            label = f"{label} ({code_label})"
        result.append(
            {
                "value": f"{code}:{article}",
                "code": code,
                "code_label": code_label,
                "article": article,
                "title": title,
                "label": label,
                "count": counts[f"{code}:{article}"],
            }
        )
    return result


def _breakdowns_of(sums: dict[tuple[str, str, str], int]) -> dict[str, list[dict]]:
    by_dimension: dict[str, dict[str, int]] = defaultdict(dict)
    for (measure, dimension, value), count in sums.items():
        if measure == CERTAIN and dimension:
            by_dimension[dimension][value] = count
    return {
        "region": _choice_rows(by_dimension["region"], dict(Region.choices)),
        "article": _article_rows(by_dimension["article"]),
        "gender": _choice_rows(by_dimension["gender"], dict(Gender.choices)),
    }


def breakdowns(on: dt.date | None = None, *, state: PublicState | None = None) -> dict[str, list[dict]]:
    """People surely in custody on `on` (default today) by region, article and gender.

    A person charged under several articles counts once under each; people without a
    recorded region or gender are counted under "unknown".
    """
    return _breakdowns_of(_sums_on(tallies(state), on or timezone.localdate()))


# --- Everything, as plain data ----------------------------------------------------------------


def stats_summary(on: dt.date, *, state: PublicState | None = None) -> dict:
    """Everything the stats page and /api/v1/stats/ show for the day `on`, as JSON-ready data.

    The monthly series runs from January 2020 to `on`, never past today. Pass the request's
    public state when the caller has read it already (the ETag): one query fewer.
    """
    state = state or public_state()
    series_end = min(on, timezone.localdate())
    built = tallies(state)
    sums = _sums_on(built, on)
    at_least, at_most = sums.get((CERTAIN, "", ""), 0), sums.get((POSSIBLE, "", ""), 0)
    series = _series(built, SERIES_START, series_end)
    return {
        "on": on.isoformat(),
        "in_custody": at_least,
        "in_custody_at_least": at_least,
        "in_custody_at_most": at_most,
        "series": {
            "start": SERIES_START.isoformat(),
            "end": series_end.isoformat(),
            "months": series["months"],
            "month_unknown": series["month_unknown"],
        },
        "release_types": [{"value": value, "label": str(label)} for value, label in ReleaseType.choices],
        "breakdowns": _breakdowns_of(sums),
    }
