"""One fact, many sources: a new report of a recorded fact becomes one more citation of it.

Four articles about one release are one release with four citations, not four releases. A
new fact repeats a recorded one when it is about the same person, is the same kind of fact
and its dates can overlap; where the new report differs in a detail (pardon or forced exile,
14 or 16 released), the difference is kept as a disputed claim on the recorded fact.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import Q

from casetracker.dates import edtf_bounds

from .models import Charge, CustodyPeriod, Release, Sentence, StatusEvent

# Per kind of fact: the fields that make two facts the same kind, and the details on which
# reports can disagree without being about a different fact.
SAME_KIND = {
    StatusEvent: ("person", "status"),
    Release: ("person",),
    Sentence: ("defendant", "kind"),
    Charge: ("defendant", "article"),
    CustodyPeriod: ("person", "facility"),
}
DETAILS = {
    StatusEvent: ("date",),
    Release: ("date", "release_type", "group", "destination"),
    Sentence: ("date", "term_years", "term_months", "term_days", "regime"),
    Charge: (),
    CustodyPeriod: ("start", "end"),
}
DATE_FIELDS = {StatusEvent: "date", Release: "date", Sentence: "date", CustodyPeriod: "start"}


@dataclass(frozen=True)
class Disagreement:
    field_name: str
    label: str
    recorded: str
    reported: str


def repeats_of(fact: models.Model) -> list[models.Model]:
    """The recorded facts that `fact` (saved or not) would repeat, oldest first."""
    model = type(fact)
    if model not in SAME_KIND:
        return []
    fields = [model._meta.get_field(name) for name in SAME_KIND[model]]
    same = {field.attname: getattr(fact, field.attname) for field in fields}
    if any(value is None for value in same.values()):
        return []
    candidates = model.objects.filter(**same).exclude(pk=fact.pk) if fact.pk else model.objects.filter(**same)
    date_field = DATE_FIELDS.get(model)
    if date_field:
        candidates = candidates.filter(_overlapping(date_field, getattr(fact, date_field)))
    return list(candidates.order_by("pk"))


def _overlapping(field: str, text: str) -> Q:
    """Facts whose date in `field` can fall on a day `text` can mean; an unknown date overlaps anything."""
    bounds = edtf_bounds(text)
    condition = Q()
    if bounds.latest is not None:
        condition &= Q(**{f"{field}_earliest__lte": bounds.latest}) | Q(**{f"{field}_earliest__isnull": True})
    if bounds.earliest is not None:
        condition &= Q(**{f"{field}_latest__gte": bounds.earliest}) | Q(**{f"{field}_latest__isnull": True})
    return condition


def disagreements(recorded: models.Model, reported: models.Model) -> list[Disagreement]:
    """The details a new report gives differently from the recorded fact (a blank says nothing)."""
    found = []
    for name in DETAILS.get(type(recorded), ()):
        field = recorded._meta.get_field(name)
        ours, theirs = getattr(recorded, field.attname), getattr(reported, field.attname)
        if theirs in (None, "", 0) or ours == theirs:
            continue
        if name in ("date", "start", "end") and _within(theirs, ours):
            continue  # "June 2025" of a fact recorded as 21 June 2025: no disagreement
        found.append(Disagreement(name, str(field.verbose_name), _shown(recorded, name), _shown(reported, name)))
    return found


def _within(text: str, other: str) -> bool:
    """Whether either partial date contains the other (one is only less precise)."""
    a, b = edtf_bounds(text), edtf_bounds(other)
    if None in (a.earliest, a.latest, b.earliest, b.latest):
        return True
    return (a.earliest <= b.earliest and b.latest <= a.latest) or (b.earliest <= a.earliest and a.latest <= b.latest)


def _shown(fact: models.Model, name: str) -> str:
    display = getattr(fact, f"get_{name}_display", None)
    if display is not None:
        return str(display())
    value = getattr(fact, name)
    if isinstance(value, models.Model):
        return str(value)
    if name in ("date", "start", "end"):
        return getattr(fact, f"{name}_display") or str(value)
    return str(value)


@transaction.atomic
def fact_corroborate(
    *, acting_user, recorded: models.Model, reported: models.Model, source, quote: str, certainty: str, locator=""
) -> list:
    """Cite `source` for the recorded fact instead of saving `reported`; each disagreement becomes a disputed claim.

    Returns the citations made (through sources.services.citation_add, so the one write path).
    """
    from sources.models import Certainty
    from sources.services import citation_add

    made = [
        citation_add(
            acting_user=acting_user, fact=recorded, source=source, quote=quote, certainty=certainty, locator=locator
        )
    ]
    for difference in disagreements(recorded, reported):
        made.append(
            citation_add(
                acting_user=acting_user,
                fact=recorded,
                source=source,
                quote=quote,
                locator=locator,
                field_name=difference.field_name,
                certainty=Certainty.DISPUTED,
                claim=f"{difference.label}: {difference.reported}",
            )
        )
    return made
