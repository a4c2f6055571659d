"""The custody rule: from a person's dated facts to the days they were surely, or possibly, in custody.

This is the one place the rule lives. `services.person_status_refresh` orders a person's status
events and releases with `timeline_fact()` and stores what `spells_of()` derives from them as
`CustodySpell` rows; counts on a day and the monthly series (prisoners.stats) are range queries
over those rows, and the current status is the last fact of the same order.

The order: first known day (`date_earliest`, else `date_latest`; an undated fact first), then
last known day (an open end last), then status events before releases, then id. Recognition
events are another dimension and are left out.

A custody spell begins with a custody fact (detained, in pre-trial detention, convicted,
imprisoned, transferred) and lasts until the next fact of another kind (a release, "released",
"died in custody", house arrest...). With partial dates a spell has two readings:

- *certainly* in custody from the first day on which one of its custody facts had surely
  happened (the earliest last-known day among them) until the day before its end could first
  have happened (the end's first known day);
- *possibly* in custody from the first day its first fact could have happened until the day
  before its end's last known day. An undated start could be any day before; an open end, any
  day after.

A release day itself is not a day in custody. A record that *begins* with leaving custody (a
release, "released" or "died in custody", nothing recorded before) says the person was held
before it, from a day nobody recorded: possibly on every day before, and certainly only on the
day before an exactly dated release. So the demo's June 2025 group counts on 20 June, not 22.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .models import (
    CURRENT_STATUS_FOR_EVENT,
    CUSTODY_START_STATUSES,
    IN_CUSTODY_STATUSES,
    RECOGNITION_STATUSES,
    ReleaseType,
    Status,
)

# Stand-ins for unknown ends; both are valid dates on every backend (and in PostgreSQL ranges).
UNDATED = dt.date(1, 1, 1)
OPEN_END = dt.date(9999, 12, 31)
# Facts whose status keeps a person in custody (a transfer reads as imprisoned).
CUSTODY_FACT_STATUSES = frozenset(s for s in Status if CURRENT_STATUS_FOR_EVENT.get(s, s) in IN_CUSTODY_STATUSES)
# Facts that say a person left custody, as a release record does.
LEAVING_CUSTODY_STATUSES = frozenset({Status.RELEASED, Status.DIED_IN_CUSTODY})
EVENT_RANK, RELEASE_RANK = 0, 1


@dataclass(frozen=True)
class TimelineFact:
    """A status event or a release, reduced to what the order and the custody rule read."""

    status: str
    earliest: dt.date | None
    latest: dt.date | None
    rank: int
    pk: int

    @property
    def key(self) -> tuple[int, int]:
        """Which record it is: (EVENT_RANK, a status event's pk) or (RELEASE_RANK, a release's pk)."""
        return self.rank, self.pk

    @property
    def first_known(self) -> dt.date | None:
        # "On or before X" has no first day; X is the best we know of when it happened.
        return self.earliest or self.latest

    @property
    def sort_key(self) -> tuple:
        return (self.first_known or dt.date.min, self.latest or dt.date.max, self.rank, self.pk or 0)

    @property
    def is_exact(self) -> bool:
        return self.earliest is not None and self.earliest == self.latest


def timeline_fact(fact, status: str, rank: int) -> TimelineFact:
    return TimelineFact(status, fact.date_earliest, fact.date_latest, rank, fact.pk)


def release_status(release_type: str) -> str:
    """The status a release of this type leaves the person in."""
    return Status.DIED_IN_CUSTODY if release_type == ReleaseType.DIED else Status.RELEASED


def timeline(events, releases) -> list[TimelineFact]:
    """Status events and releases (reviewed ones: the caller chooses) in the order of the rule.

    Only their fields are read, so a migration's historical records serve as well.
    """
    facts = [timeline_fact(event, event.status, EVENT_RANK) for event in events]
    facts += [timeline_fact(release, release_status(release.release_type), RELEASE_RANK) for release in releases]
    return sorted(facts, key=lambda fact: fact.sort_key)


def exported_facts(events, releases) -> dict[str, object | None]:
    """The recorded fact behind each exported date (models.EXPORTED_DATES), or None: for
    "current_status_since" the last fact that set a status, for "detained_on" the last detention
    (the latest custody spell's start, as Person.custody_start), for "released_on" the last release.

    `events` in their stored order and `releases` are the reviewed ones (the caller chooses).
    """
    recorded = {(EVENT_RANK, event.pk): event for event in events}
    recorded |= {(RELEASE_RANK, release.pk): release for release in releases}
    facts = timeline(events, releases)
    setting = [fact for fact in facts if fact.status not in RECOGNITION_STATUSES]
    released = [fact for fact in facts if fact.status == Status.RELEASED]
    detentions = [event for event in events if event.status in CUSTODY_START_STATUSES]
    return {
        "current_status_since": recorded[setting[-1].key] if setting else None,
        "detained_on": detentions[-1] if detentions else None,
        "released_on": recorded[released[-1].key] if released else None,
    }


@dataclass(frozen=True)
class Spell:
    """One custody spell's readings as half-open [from, until) day ranges; an empty range is (UNDATED, UNDATED)."""

    certain_from: dt.date
    certain_until: dt.date
    possible_from: dt.date
    possible_until: dt.date
    # The detention that began it, when it began with one; None otherwise.
    detained_earliest: dt.date | None = None
    detained_latest: dt.date | None = None
    detention_recorded: bool = False


def _day_after(day: dt.date) -> dt.date:
    return day if day >= OPEN_END else day + dt.timedelta(days=1)


def _day_before(day: dt.date) -> dt.date:
    return day if day <= UNDATED else day - dt.timedelta(days=1)


def _range(start: dt.date, until: dt.date) -> tuple[dt.date, dt.date]:
    return (start, until) if start < until else (UNDATED, UNDATED)


def _spell(custody: list[TimelineFact], end: TimelineFact | None) -> Spell:
    start = custody[0]
    surely = [fact.latest for fact in custody if fact.latest]
    certain_from = min(surely) if surely else OPEN_END
    if end is None:
        certain_until = possible_until = OPEN_END
    else:
        # Without a first day for the end, only the days its custody facts surely happened are sure.
        certain_until = end.earliest or (_day_after(max(surely)) if surely else UNDATED)
        possible_until = end.latest or OPEN_END
    detention = start.status in CUSTODY_START_STATUSES
    return Spell(
        *_range(certain_from, certain_until),
        *_range(start.earliest or UNDATED, possible_until),
        detained_earliest=start.earliest if detention else None,
        detained_latest=start.latest if detention else None,
        detention_recorded=detention,
    )


def _held_before(leaving: TimelineFact) -> Spell:
    certain = (_day_before(leaving.earliest), leaving.earliest) if leaving.is_exact else (UNDATED, UNDATED)
    return Spell(*certain, *_range(UNDATED, leaving.latest or OPEN_END))


def _without_overlaps(spells: list[Spell]) -> list[Spell]:
    """Each reading's ranges made disjoint across spells, keeping their union: counts add up per person."""
    clipped, certain_end, possible_end = [], UNDATED, UNDATED
    for spell in spells:
        certain = _range(max(spell.certain_from, certain_end), spell.certain_until)
        possible = _range(max(spell.possible_from, possible_end), spell.possible_until)
        certain_end, possible_end = max(certain_end, certain[1]), max(possible_end, possible[1])
        clipped.append(
            Spell(
                *certain,
                *possible,
                detained_earliest=spell.detained_earliest,
                detained_latest=spell.detained_latest,
                detention_recorded=spell.detention_recorded,
            )
        )
    return clipped


def spells_of(facts: list[TimelineFact]) -> list[Spell]:
    """The custody spells of one person's ordered facts (see the module docstring)."""
    facts = [fact for fact in facts if fact.status not in RECOGNITION_STATUSES]
    spells: list[Spell] = []
    custody: list[TimelineFact] = []
    for position, fact in enumerate(facts):
        if fact.status in CUSTODY_FACT_STATUSES:
            custody.append(fact)
            continue
        if custody:
            spells.append(_spell(custody, fact))
        elif position == 0 and fact.status in LEAVING_CUSTODY_STATUSES:
            spells.append(_held_before(fact))
        custody = []
    if custody:
        spells.append(_spell(custody, None))
    return _without_overlaps(spells)


def current_status_of(facts: list[TimelineFact]) -> tuple[str, dt.date | None]:
    """The status the last fact leaves (recognition aside), and the first day it is known from."""
    custody = [fact for fact in facts if fact.status not in RECOGNITION_STATUSES]
    if not custody:
        return "", None
    last = custody[-1]
    return CURRENT_STATUS_FOR_EVENT.get(last.status, last.status), last.first_known
