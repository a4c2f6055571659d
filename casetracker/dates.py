"""Partial and uncertain dates ("May 2020", "summer 2020", "2021?") stored as EDTF.

Each partial date is three columns: the EDTF text a researcher entered, and the first
and last day it can mean. Sorting and range filters use the two days; the text is kept
for display and export. EDTF parsing (the `edtf` library) is slow, so it runs only when
a row is saved, never when one is read.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from edtf import parse_edtf, struct_time_to_date
from edtf.parser.edtf_exceptions import EDTFParseException

INVALID_EDTF = gettext_lazy(
    "“%(value)s” is not a date we can read. Use EDTF: 2020-05-29, 2020-05 (May 2020), "
    "2020-22 (summer 2020), 2021? (uncertain), 2021~ (approximate), 2020-05/2020-08 (between), "
    "../2025-08-28 (on or before)."
)
OPEN_ENDS = {"", ".."}
SEASONS = {
    21: gettext_lazy("spring"),
    22: gettext_lazy("summer"),
    23: gettext_lazy("autumn"),
    24: gettext_lazy("winter"),
}


@dataclass(frozen=True)
class DateBounds:
    earliest: dt.date | None
    latest: dt.date | None


_PLAIN_DATE = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])(?:-(\d{2}))?)?$")


@lru_cache(maxsize=4096)
def _bounds_of_single(text: str) -> DateBounds:
    # Plain years, months and days are most dates; the EDTF parser takes milliseconds each.
    plain = _PLAIN_DATE.match(text)
    if plain:
        year, month, day = int(plain[1]), plain[2], plain[3]
        try:
            if day:
                exact = dt.date(year, int(month), int(day))
                return DateBounds(exact, exact)
            if month:
                last = calendar.monthrange(year, int(month))[1]
                return DateBounds(dt.date(year, int(month), 1), dt.date(year, int(month), last))
            return DateBounds(dt.date(year, 1, 1), dt.date(year, 12, 31))
        except ValueError as error:
            raise ValidationError(INVALID_EDTF, code="invalid_edtf", params={"value": text}) from error
    try:
        parsed = parse_edtf(text)
    except (EDTFParseException, TypeError, ValueError) as error:
        raise ValidationError(INVALID_EDTF, code="invalid_edtf", params={"value": text}) from error
    lower, upper = parsed.lower_strict(), parsed.upper_strict()
    return DateBounds(
        struct_time_to_date(lower) if lower else None,
        struct_time_to_date(upper) if upper else None,
    )


def edtf_bounds(text: str) -> DateBounds:
    """The first and last day an EDTF string can mean; None for an open or unknown end."""
    text = (text or "").strip()
    if not text:
        return DateBounds(None, None)
    if "/" in text:
        # The edtf library fails on open interval ends (".."); each end is parsed alone.
        start, _sep, end = text.partition("/")
        earliest = None if start in OPEN_ENDS else _bounds_of_single(start).earliest
        latest = None if end in OPEN_ENDS else _bounds_of_single(end).latest
        if start in OPEN_ENDS and end in OPEN_ENDS:
            raise ValidationError(INVALID_EDTF, code="invalid_edtf", params={"value": text})
    else:
        bounds = _bounds_of_single(text)
        earliest, latest = bounds.earliest, bounds.latest
    if earliest and latest and earliest > latest:
        raise ValidationError(INVALID_EDTF, code="invalid_edtf", params={"value": text})
    return DateBounds(earliest, latest)


def validate_edtf(value: str) -> None:
    edtf_bounds(value)


_SIMPLE = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?(?P<qualifier>[?~%]?)$")


def _humanize_single(text: str) -> str:
    match = _SIMPLE.match(text)
    if not match:
        return text
    year, month, day = int(match["year"]), match["month"], match["day"]
    if month and int(month) in SEASONS:
        # Translators: a season and a year, e.g. "summer 2020".
        words = _("%(season)s %(year)s") % {"season": SEASONS[int(month)], "year": year}
    elif day:
        words = formats.date_format(dt.date(year, int(month), int(day)), "DATE_FORMAT")
    elif month:
        words = formats.date_format(dt.date(year, int(month), 1), "YEAR_MONTH_FORMAT")
    else:
        words = str(year)
    qualifier = match["qualifier"]
    if qualifier == "?":
        return _("%(date)s (uncertain)") % {"date": words}
    if qualifier == "~":
        return _("about %(date)s") % {"date": words}
    if qualifier == "%":
        return _("about %(date)s (uncertain)") % {"date": words}
    return words


def humanize_edtf(text: str) -> str:
    """An EDTF string as a person would write it, in the active language."""
    text = (text or "").strip()
    if not text:
        return ""
    if "/" in text:
        start, _sep, end = text.partition("/")
        if start in OPEN_ENDS:
            return _("on or before %(date)s") % {"date": _humanize_single(end)}
        if end in OPEN_ENDS:
            return _("on or after %(date)s") % {"date": _humanize_single(start)}
        return _("between %(start)s and %(end)s") % {
            "start": _humanize_single(start),
            "end": _humanize_single(end),
        }
    return _humanize_single(text)


class PartialDateField(models.CharField):
    """EDTF text that keeps its `<name>_earliest` and `<name>_latest` columns in step.

    Declare it with `partial_date_fields()` so the bound columns exist and come after it:
    Django calls `pre_save` field by field in declaration order, for save() and
    bulk_create() alike, so the bounds are computed before they are written.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)
        self.validators.append(validate_edtf)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 64:
            del kwargs["max_length"]
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        text = (getattr(model_instance, self.attname) or "").strip()
        bounds = edtf_bounds(text)
        setattr(model_instance, self.attname, text)
        setattr(model_instance, f"{self.attname}_earliest", bounds.earliest)
        setattr(model_instance, f"{self.attname}_latest", bounds.latest)
        return text

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only)
        # `event.date_display` reads "May 2020" in the active language, for templates.
        setattr(cls, f"{name}_display", property(lambda instance: humanize_edtf(getattr(instance, self.attname))))

    def formfield(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            gettext_lazy("EDTF: 2020-05-29 · 2020-05 · 2020-22 (summer) · 2021? · 2020-05/2020-08 · ../2025-08-28"),
        )
        return super().formfield(**kwargs)


def partial_date_fields(verbose_name, **kwargs):
    """The EDTF field and its two bound columns, in the order `pre_save` relies on."""
    return (
        PartialDateField(verbose_name, **kwargs),
        models.DateField(gettext_lazy("earliest day"), null=True, blank=True, editable=False, db_index=True),
        models.DateField(gettext_lazy("latest day"), null=True, blank=True, editable=False, db_index=True),
    )


def overlaps_q(field: str, start: dt.date | None, end: dt.date | None) -> Q:
    """Rows whose partial date `field` could fall within [start, end]; open ends match."""
    condition = Q()
    if end is not None:
        condition &= Q(**{f"{field}_earliest__lte": end}) | Q(**{f"{field}_earliest__isnull": True})
    if start is not None:
        condition &= Q(**{f"{field}_latest__gte": start}) | Q(**{f"{field}_latest__isnull": True})
    # A row with no date at all says nothing about the range, so it never matches.
    return condition & ~Q(**{field: ""})
