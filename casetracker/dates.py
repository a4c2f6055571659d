"""Partial and uncertain dates ("May 2020", "summer 2020", "2021?") stored as EDTF.

Each partial date is three columns: the EDTF text, and the first and last day it can mean.
Sorting and range filters use the two days; the text is kept for display and export. EDTF
parsing (the `edtf` library) is slow, so it runs only when a row is saved, never when one
is read. Researchers need not write EDTF: forms and the CSV import read dates as people
type them ("12.05.2021", "May 2020", "у траўні 2020") with edtf_from_text, and store the EDTF.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import formats
from django.utils.html import format_html
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


# --- Dates as researchers type them ------------------------------------------------------------

INVALID_DATE_TEXT = gettext_lazy(
    "“%(value)s” is not a date we can read. Write it, for example, as 12.05.2021 (day.month.year), "
    "May 2020, 12 мая 2021, у траўні 2020, summer 2020, early 2021, 2021? (uncertain), "
    "2021~ (approximate), 2020-05/2020-08 (between) or ../2025-08-28 (on or before)."
)
NO_SUCH_DAY = gettext_lazy(
    "“%(value)s” is not a day of the calendar. Numbers with dots or slashes are read day first, "
    "as Belarusian and Russian sources write them: 12.05.2021 is 12 May 2021."
)
YEAR_OUT_OF_RANGE = gettext_lazy("“%(value)s” is not a date between the years 1 and 9999.")
DATE_INPUT_HELP = gettext_lazy(
    "Type the date as the source gives it: 12.05.2021 (day.month.year), May 2020, 12 мая 2021, "
    "у траўні 2020, summer 2020, early 2021, 2021? (uncertain), 2021~ (approximate), "
    "2020-05/2020-08 (between), ../2025-08-28 (on or before). It is saved as EDTF."
)
# Longer than any way of writing one date: refused before any pattern is tried.
MAX_DATE_TEXT = 100


def _keyboard_variants(word: str) -> set[str]:
    """A Belarusian word as it is also typed on a Russian keyboard: і as и, ў as у."""
    return {word, word.replace("і", "и").replace("ў", "у")}


def _word_table(words_by_number: dict[int, str]) -> dict[str, int]:
    """{word: number} from space-separated words, each also as typed on a Russian keyboard."""
    return {
        variant: number
        for number, words in words_by_number.items()
        for word in words.split()
        for variant in _keyboard_variants(word)
    }


# Month names: the stems all grammatical cases of a month begin with, in Russian and in
# Belarusian, and the case endings of both languages. A word is a month when it is a stem
# plus one of the endings ("траўн" + "я", "лістапад" + "зе", "январ" + "ём" with ё read as е).
# Some months change their stem between cases (травень, траўня), so they have two.
_MONTH_STEMS = _word_table(
    {
        1: "январ студзен",
        2: "феврал лют",
        3: "март сакавік",
        4: "апрел красавік",
        5: "травен траўн",  # the Russian май, мая, мае is irregular: whole words below
        6: "июн чэрвен",
        7: "июл ліпен",
        8: "август жнівен жніўн",
        9: "сентябр верасен верасн",
        10: "октябр кастрычнік",
        11: "ноябр лістапад",
        12: "декабр снежан снежн",
    }
)
_MONTH_ENDINGS = frozenset(
    {"", "ь", "я", "е", "ю", "і", "и", "у", "а", "ы", "ем", "ом", "ам", "ым", "ага", "аму", "зе"}
)
# Whole words: English names and abbreviations, Russian and Belarusian abbreviations, май.
_MONTH_WORDS = _word_table(
    {
        1: "january jan янв студз",
        2: "february feb фев февр",
        3: "march mar мар сак",
        4: "april apr апр крас",
        5: "may май мая мае маю маем трав",
        6: "june jun чэрв",
        7: "july jul ліп",
        8: "august aug авг жн",
        9: "september sep sept сен сент вер",
        10: "october oct окт каст",
        11: "november nov ноя нояб ліст",
        12: "december dec дек снеж",
    }
)
# EDTF seasons (21-24): the nouns in every case, and the adverbs ("летом", "улетку", "восенню").
_SEASON_WORDS = _word_table(
    {
        21: "spring весна весны весне весну весной весною вясна вясны вясне вясну вясной вясною увесну",
        22: "summer лето лета лету летом лете летам леце улетку",
        23: "autumn fall осень осени осенью восень восені восенню увосень",
        24: "winter зима зимы зиме зиму зимой зимою зіма зімы зіме зіму зімой зімою узімку",
    }
)
# Parts of a year or a month. Early, mid and late each take a third of what they divide:
# the year into January–April, May–August and September–December, a month into days 1–10,
# 11–20 and 21 to its end. "Early 2021" is then stored as 2021-01/2021-04, an interval that
# holds everything the words can mean, rather than an invented month or day.
_PART_WORDS = _word_table(
    {
        0: "early beginning start начало начала начале пачатак пачатку",
        1: "mid middle середина середины середине сярэдзіна сярэдзіны сярэдзіне",
        2: "late end конец конца конце канец канца канцы",
    }
)
_YEAR_PARTS = (("01", "04"), ("05", "08"), ("09", "12"))
_MONTH_PARTS = ((1, 10), (11, 20), (21, 31))
# Words that say nothing about the date: prepositions and ordinal endings ("12th", "12-го").
_FILLER_WORDS = frozenset({"in", "of", "the", "on", "в", "во", "у", "ў", "st", "nd", "rd", "th", "го"})
_YEAR_WORDS = frozenset({"г", "гг", "год", "года", "году", "годзе"})
_APPROXIMATE_WORDS = frozenset(
    {"about", "around", "approximately", "circa", "ca", "около", "примерно", "приблизительно", "каля", "прыкладна"}
)
_PUNCTUATION = frozenset({",", ".", "-", "–", "—", "(", ")"})
# Latin letters typed in a Cyrillic word look the same and are read as the Cyrillic ones
# ("красавiк" with a Latin i); ё is written е in the stems.
_CYRILLIC_LOOKALIKES = str.maketrans("aceiopxyё", "асеіорхуе")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_TOKEN = re.compile(r"[^\W\d_]+|[0-9]+|\S")
# Day first, because the sources are Belarusian and Russian (12.05.2021, 31/12/2020): the US
# month-first reading is never tried, so 05/13/2020 is refused rather than guessed at.
_DAY_MONTH_YEAR = re.compile(r"([0-9]{1,2})([./-])([0-9]{1,2})\2([0-9]{4})")
_MONTH_YEAR = re.compile(r"([0-9]{1,2})[./-]([0-9]{4})")
_QUALIFIERS = re.compile(r"(.*?)\s*([?~%]+)")
_TRAILING_YEAR_WORD = re.compile(r"(?<=[0-9])\s*(?:г\.?|гг\.?|года|году|годзе|год)$", re.IGNORECASE)
_RANGE = re.compile(r"\s*[–—]\s*|\s+-\s+")


def _invalid(code: str, message, value: str) -> ValidationError:
    return ValidationError(message, code=code, params={"value": value})


def _month_of(word: str) -> int | None:
    if word in _MONTH_WORDS:
        return _MONTH_WORDS[word]
    for stem, number in _MONTH_STEMS.items():
        if word.startswith(stem) and word[len(stem) :] in _MONTH_ENDINGS:
            return number
    return None


def _day(year: int, month: int, day: int, value: str) -> str:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise _invalid("no_such_day", NO_SUCH_DAY, value) from None


def _is_edtf(text: str, value: str) -> bool:
    # Only text that could be EDTF goes to the parser, which takes milliseconds to say no.
    if not text.isascii() or " " in text or any(character.islower() for character in text):
        return False
    try:
        edtf_bounds(text)
    except ValidationError:
        return False
    except (ValueError, OverflowError):  # EDTF, but a year no calendar here holds (-2020, Y170000002)
        raise _invalid("year_out_of_range", YEAR_OUT_OF_RANGE, value) from None
    return True


def _words(text: str, value: str) -> str | None:
    """EDTF for a date in words ("12 мая 2021", "в начале 2021 года", "summer 2020"), or None."""
    approximate = False
    words = []
    for token in _TOKEN.findall(text.lower()):
        if _CYRILLIC.search(token):
            token = token.translate(_CYRILLIC_LOOKALIKES)
        if token in _PUNCTUATION or token in _FILLER_WORDS:
            continue
        if token in _APPROXIMATE_WORDS:
            approximate = True
            continue
        words.append(token)
    if words and words[-1] in _YEAR_WORDS:
        words.pop()
    if not words or not re.fullmatch(r"[0-9]{4}", words[-1]):
        return None
    *before, year = words
    number = int(year)
    if not before:
        edtf = year
    elif len(before) == 1 and before[0] in _SEASON_WORDS:
        edtf = f"{year}-{_SEASON_WORDS[before[0]]}"
    elif len(before) == 1 and before[0] in _PART_WORDS:
        first, last = _YEAR_PARTS[_PART_WORDS[before[0]]]
        edtf = f"{year}-{first}/{year}-{last}"
    elif len(before) == 1 and _month_of(before[0]):
        edtf = f"{year}-{_month_of(before[0]):02d}"
    elif len(before) == 2 and before[0] in _PART_WORDS and _month_of(before[1]):
        month = _month_of(before[1])
        first, last = _MONTH_PARTS[_PART_WORDS[before[0]]]
        last = min(last, calendar.monthrange(number, month)[1])
        edtf = f"{_day(number, month, first, value)}/{_day(number, month, last, value)}"
    elif len(before) == 2 and re.fullmatch(r"[0-9]{1,2}", before[0]) and _month_of(before[1]):
        edtf = _day(number, _month_of(before[1]), int(before[0]), value)  # 12 мая 2021
    elif len(before) == 2 and _month_of(before[0]) and re.fullmatch(r"[0-9]{1,2}", before[1]):
        edtf = _day(number, _month_of(before[0]), int(before[1]), value)  # May 12, 2021
    else:
        return None
    return _qualified(edtf, "~") if approximate else edtf


def _qualified(edtf: str, qualifiers: str) -> str:
    """`edtf` marked uncertain (?), approximate (~) or both (%); an interval at both ends."""
    marks = set(qualifiers) | set(edtf[-1:]) & {"?", "~", "%"}
    if not marks:
        return edtf
    mark = "%" if "%" in marks or {"?", "~"} <= marks else marks.pop()
    return "/".join(part if part in OPEN_ENDS else part.rstrip("?~%") + mark for part in edtf.split("/"))


def _single(text: str, value: str) -> str | None:
    """EDTF for one date typed in any form edtf_from_text reads, or None."""
    if text in OPEN_ENDS:
        return text
    bare, qualifiers = text, ""
    if qualified := _QUALIFIERS.fullmatch(text):
        bare, qualifiers = qualified[1], qualified[2]
    bare = _TRAILING_YEAR_WORD.sub("", bare).strip()
    # Numbers first: they are never EDTF, and the EDTF parser is slow to say so.
    if numeric := _DAY_MONTH_YEAR.fullmatch(bare):
        edtf = _day(int(numeric[4]), int(numeric[3]), int(numeric[1]), value)
    elif numeric := _MONTH_YEAR.fullmatch(bare):
        if not 1 <= int(numeric[1]) <= 12:
            raise _invalid("no_such_day", NO_SUCH_DAY, value)
        edtf = f"{numeric[2]}-{int(numeric[1]):02d}"
    elif _is_edtf(text, value):
        return text
    elif bare != text and _is_edtf(bare, value):
        edtf = bare  # "2021 ?", "2021 г."
    else:
        edtf = _words(bare, value)
    if edtf is None:
        return None
    return _qualified(edtf, qualifiers) if qualifiers else edtf


def _interval(text: str, value: str) -> str | None:
    """EDTF for two dates typed with / or a dash between them ("12.05.2021–15.05.2021"), or None."""
    if text.count("/") == 1:
        start, end = text.split("/")
    elif len(parts := _RANGE.split(text)) == 2:
        start, end = parts
    else:
        return None
    start, end = _single(start.strip(), value), _single(end.strip(), value)
    if start is None or end is None or (start in OPEN_ENDS and end in OPEN_ENDS):
        return None
    # "early 2021/late 2021" runs from the start of the first to the end of the second.
    return f"{start.split('/')[0]}/{end.split('/')[-1]}"


def edtf_from_text(text: str) -> str:
    """A date as a researcher types it, as EDTF; ValidationError when it cannot be read.

    Read, besides EDTF itself (kept unchanged): "12.05.2021" and "31/12/2020" (day first),
    "05.2021"; month names in English, Russian and Belarusian in any case, with or without a
    preposition or "г."/"года" ("May 2020", "в мае 2020 года", "12 траўня 2021 г."); seasons
    ("summer 2020", "летом 2020", "восенню 2020"); "early", "mid" and "late" a year or a month
    ("в начале 2021 года" is 2021-01/2021-04, see _PART_WORDS); "about"/"около"/"каля" (~) and
    a trailing ? or ~; and two of these with / or a dash between them, or ".." for an open end.
    """
    value = " ".join((text or "").split())
    if not value:
        return ""
    if len(value) > MAX_DATE_TEXT:
        raise _invalid("invalid_date", INVALID_DATE_TEXT, value[:MAX_DATE_TEXT] + "…")
    normal = unicodedata.normalize("NFC", value)
    edtf = _single(normal, value) or _interval(normal, value)
    if edtf is None:
        raise _invalid("invalid_date", INVALID_DATE_TEXT, value)
    # What the patterns made must be EDTF whose bounds can be worked out: "2020-22?" is not,
    # nor is an interval that ends before it starts.
    try:
        edtf_bounds(edtf)
    except ValidationError:
        raise _invalid("invalid_date", INVALID_DATE_TEXT, value) from None
    except (ValueError, OverflowError):
        raise _invalid("year_out_of_range", YEAR_OUT_OF_RANGE, value) from None
    return edtf


def partial_date_reading(value) -> str:
    """How a typed or stored date reads ("between May 2020 and August 2020"); "" if it cannot be read."""
    try:
        return humanize_edtf(edtf_from_text(str(value or "")))
    except ValidationError:
        return ""


class PartialDateWidget(forms.TextInput):
    """A text input followed, when it holds a date, by how that date reads, to check the typing by."""

    def render(self, name, value, attrs=None, renderer=None):
        reading = partial_date_reading(value)
        attrs = dict(attrs or {})
        reading_id = f"{attrs['id']}_reading" if attrs.get("id") else ""
        if reading and reading_id:
            attrs["aria-describedby"] = " ".join(filter(None, [attrs.get("aria-describedby"), reading_id]))
        html = super().render(name, value, attrs, renderer)
        if not reading:
            return html
        return format_html('{} <small class="partial-date-reading" id="{}">{}</small>', html, reading_id, reading)


class PartialDateFormField(forms.CharField):
    """A date typed as people write it ("May 2020", "12.05.2021", "летом 2020"); cleans to EDTF."""

    widget = PartialDateWidget

    def __init__(self, **kwargs):
        if not kwargs.get("help_text"):
            kwargs["help_text"] = DATE_INPUT_HELP
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        return text if text in self.empty_values else edtf_from_text(text)


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
        widget = kwargs.get("widget")
        if isinstance(widget, type):
            widget = widget()
        # The admin gives every CharField its own text input; a date's keeps the reading beside it.
        if widget is None or (isinstance(widget, forms.TextInput) and not isinstance(widget, PartialDateWidget)):
            kwargs["widget"] = PartialDateWidget(attrs=widget.attrs if widget is not None else None)
        return super().formfield(**{"form_class": PartialDateFormField, **kwargs})


def partial_date_fields(verbose_name, *, indexed: bool = True, **kwargs):
    """The EDTF field and its two bound columns, in the order `pre_save` relies on.

    The bounds are indexed for range filters (overlaps_q); `indexed=False` for a date nothing
    filters by, whose indexes would only slow every write of the row.
    """
    return (
        PartialDateField(verbose_name, **kwargs),
        models.DateField(gettext_lazy("earliest day"), null=True, blank=True, editable=False, db_index=indexed),
        models.DateField(gettext_lazy("latest day"), null=True, blank=True, editable=False, db_index=indexed),
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
