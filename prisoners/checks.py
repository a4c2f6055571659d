"""Dates in a person's record that cannot all be right: warned of, never refused.

Sources disagree and researchers mistype; a warning asks them to look again, where a refusal
would keep out what a source does say. Partial dates are compared by their bounds, so only
orders that no reading of the dates allows are warned of: born "1990" and detained "May 1990"
can both be right, born "1991" and detained "May 1990" cannot.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from casetracker.dates import humanize_edtf

from .models import CUSTODY_START_STATUSES, Person, Status

# Tests match them.
BORN_AFTER_DETENTION = gettext_noop("Born %(born)s, after being detained %(detained)s: please check both dates.")
RELEASED_BEFORE_DETENTION = gettext_noop(
    "Released %(released)s, before any detention (the first: %(detained)s): please check both dates."
)


def _certainly_before(earlier_latest, later_earliest) -> bool:
    """Whether the last day one date can mean comes before the first day another can mean."""
    return earlier_latest is not None and later_earliest is not None and earlier_latest < later_earliest


def implausible_dates(person: Person) -> list[str]:
    """Warnings, in the active language, of a birth after a detention and of a release before every detention."""
    events = list(person.status_events.all())
    detentions = [event for event in events if event.status in CUSTODY_START_STATUSES]
    # A release is a Release row or a "released" status event, as in person_status_refresh.
    releases = [*person.releases.all(), *(event for event in events if event.status == Status.RELEASED)]
    warnings = []
    before_birth = [event for event in detentions if _certainly_before(event.date_latest, person.birth_date_earliest)]
    if before_birth:
        warnings.append(
            _(BORN_AFTER_DETENTION)
            % {"born": humanize_edtf(person.birth_date), "detained": humanize_edtf(before_birth[0].date)}
        )
    for release in releases:
        if detentions and all(
            _certainly_before(release.date_latest, detention.date_earliest) for detention in detentions
        ):
            warnings.append(
                _(RELEASED_BEFORE_DETENTION)
                % {"released": humanize_edtf(release.date), "detained": humanize_edtf(detentions[0].date)}
            )
    return warnings
