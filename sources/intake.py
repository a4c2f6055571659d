"""Article intake: mark what a text says (people, dates, numbers) and turn a passage into a cited fact."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy

from casetracker.dates import edtf_from_text
from prisoners.corroboration import fact_corroborate, repeats_of
from prisoners.models import (
    Case,
    Charge,
    Defendant,
    LegalArticle,
    Person,
    Release,
    ReleaseGroup,
    Sentence,
    SentenceKind,
    StatusEvent,
    Term,
)
from prisoners.services import find_mentions, person_names_sync, record_save

from .models import Certainty, Source
from .services import citation_add

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan", "января", "студзеня", "январь"),
            ("february", "feb", "февраля", "лютага", "февраль"),
            ("march", "mar", "марта", "сакавіка", "март"),
            ("april", "apr", "апреля", "красавіка", "апрель"),
            ("may", "мая", "траўня", "май", "мае", "траўні"),
            ("june", "jun", "июня", "чэрвеня", "июнь"),
            ("july", "jul", "июля", "ліпеня", "июль"),
            ("august", "aug", "августа", "жніўня", "август"),
            ("september", "sep", "sept", "сентября", "верасня", "сентябрь"),
            ("october", "oct", "октября", "кастрычніка", "октябрь"),
            ("november", "nov", "ноября", "лістапада", "ноябрь"),
            ("december", "dec", "декабря", "снежня", "декабрь"),
        ],
        start=1,
    )
    for name in names
}
SEASONS = {
    "spring": 21,
    "summer": 22,
    "autumn": 23,
    "fall": 23,
    "winter": 24,
    "весной": 21,
    "летом": 22,
    "осенью": 23,
    "зимой": 24,
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_SEASON = "|".join(SEASONS)
# Longest forms first: "21 June 2025" must not be read as "June 2025". Runs of spaces are
# possessive (\s++): what follows them never starts with a space, so giving spaces back finds
# nothing and would only retry the sixty month names at every space of a long blank run.
_GAP = r"\s++"
_YEAR = r"(?P<year>(19|20)\d\d)\b"
DATE_PATTERNS = [
    ("day_month_year", re.compile(rf"\b(?P<day>\d{{1,2}}){_GAP}(?P<month>{_MONTH})\.?,?{_GAP}{_YEAR}", re.I)),
    ("month_day_year", re.compile(rf"\b(?P<month>{_MONTH})\.?{_GAP}(?P<day>\d{{1,2}}),?{_GAP}{_YEAR}", re.I)),
    ("season_year", re.compile(rf"\b(?P<season>{_SEASON}){_GAP}(of{_GAP})?{_YEAR}", re.I)),
    ("month_year", re.compile(rf"\b(?P<month>{_MONTH})\.?,?{_GAP}{_YEAR}", re.I)),
    ("year", re.compile(rf"\b{_YEAR}")),
]
# These begin with a month or season word: tried only where such a word starts (see find_dates).
_WORD_FIRST = {"month_day_year", "season_year", "month_year"}
_LETTER_RUN = re.compile(r"[^\W\d_]+")
NUMBER = re.compile(r"\b\d{1,3}(?:[,\u00a0 ]\d{3})+\b|\b\d+(?:\.\d+)?\b")

# Marking reads the whole text several times; beyond this size the page shows the text unmarked.
DEFAULT_INTAKE_MAX_TEXT_BYTES = 500_000
TEXT_TOO_LONG_TO_MARK = gettext_lazy(
    "This text is %(size)s, more than the %(limit)s that the intake marks: it is saved in full "
    "and shown below, but people, dates and numbers are not highlighted. Select passages as usual."
)


@dataclass(frozen=True)
class Marked:
    start: int
    end: int
    kind: str  # person, date, number
    value: str  # person id, EDTF, or the number
    label: str = ""


def _free_of(taken: Iterable[Marked]) -> Callable[[int, int], bool]:
    """A test of whether a span overlaps none of `taken`: spans merged and sorted once, then bisected.

    Comparing each new mark with every mark already taken made marking a long text quadratic.
    """
    merged: list[list[int]] = []
    for start, end in sorted((t.start, t.end) for t in taken):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    starts = [start for start, _end in merged]
    ends = [end for _start, end in merged]  # increasing, as the merged spans are disjoint

    def free(start: int, end: int) -> bool:
        index = bisect_right(ends, start)  # the first merged span ending after `start`
        return index == len(ends) or starts[index] >= end

    return free


def _matches_from(pattern: re.Pattern, text: str, starts: list[int]) -> Iterator[re.Match]:
    """What `pattern.finditer(text)` yields, trying only at `starts`, where any match must begin."""
    end = 0
    for start in starts:
        if start >= end and (match := pattern.match(text, start)):
            end = match.end()
            yield match


def find_dates(text: str) -> list[Marked]:
    """Dates written out in the text, each with the EDTF a researcher would enter."""
    # Searched for everywhere, the month names (an alternation of sixty, case-insensitive) are
    # tried at every word boundary; one scan for the words they can be is many times cheaper.
    names = MONTHS.keys() | SEASONS.keys()
    word_starts = [m.start() for m in _LETTER_RUN.finditer(text) if m.group().lower() in names]
    found: list[Marked] = []
    for kind, pattern in DATE_PATTERNS:
        # A pattern's own matches never overlap, so only the longer forms found before it count.
        free = _free_of(found)
        matches = _matches_from(pattern, text, word_starts) if kind in _WORD_FIRST else pattern.finditer(text)
        for match in matches:
            if not free(match.start(), match.end()):
                continue
            year = match["year"]
            if kind == "season_year":
                edtf = f"{year}-{SEASONS[match['season'].lower()]}"
            elif kind == "year":
                edtf = year
            else:
                month = MONTHS[match["month"].lower()]
                edtf = f"{year}-{month:02d}" + (f"-{int(match['day']):02d}" if "day" in kind else "")
            found.append(Marked(match.start(), match.end(), "date", edtf))
    return sorted(found, key=lambda m: m.start)


def find_numbers(text: str, taken: list[Marked]) -> list[Marked]:
    free = _free_of(taken)
    return [Marked(m.start(), m.end(), "number", m.group()) for m in NUMBER.finditer(text) if free(m.start(), m.end())]


def intake_max_text_bytes() -> int:
    return getattr(settings, "INTAKE_MAX_TEXT_BYTES", DEFAULT_INTAKE_MAX_TEXT_BYTES)


def marking_skipped_reason(text: str) -> str:
    """Why the intake page shows `text` unmarked (it is over INTAKE_MAX_TEXT_BYTES), or ""."""
    size, limit = len(text.encode()), intake_max_text_bytes()
    if size <= limit:
        return ""
    return TEXT_TOO_LONG_TO_MARK % {"size": filesizeformat(size), "limit": filesizeformat(limit)}


def marks_in(text: str, people=None, *, capped: bool = True) -> list[Marked]:
    """People (any spelling or case ending), dates and numbers in the text, without overlaps.

    No marks at all for a text over INTAKE_MAX_TEXT_BYTES, unless `capped` is False (the benchmark).
    """
    if capped and marking_skipped_reason(text):
        return []
    marks = [
        Marked(m.start, m.end, "person", str(m.person_id), m.person.display_name)
        for m in find_mentions(text, people=people)
    ]
    free = _free_of(marks)
    marks += [date for date in find_dates(text) if free(date.start, date.end)]
    marks += find_numbers(text, marks)
    return sorted(marks, key=lambda m: m.start)


def marked_html(text: str, marks: list[Marked]) -> SafeString:
    """The text, escaped, with each mark wrapped in <mark> carrying what it stands for."""
    parts, position = [], 0
    for mark in marks:
        parts.append(escape(text[position : mark.start]))
        title = f' title="{escape(mark.label)}"' if mark.label else ""
        parts.append(
            f'<mark class="{mark.kind}" data-{mark.kind}="{escape(mark.value)}"{title}>'
            f"{escape(text[mark.start : mark.end])}</mark>"
        )
        position = mark.end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 every part is escaped above


class FactType:
    STATUS_EVENT = "status_event"
    SENTENCE = "sentence"
    CHARGE = "charge"
    RELEASE = "release"


class RepeatsRecorded(Exception):
    """The passage reports a fact already recorded; the researcher chooses: cite that one, or record another."""

    def __init__(self, repeats: list):
        super().__init__(f"repeats {len(repeats)} recorded fact(s)")
        self.repeats = repeats


REPEAT_SEPARATE = "separate"


@transaction.atomic
def intake_record_fact(
    *,
    acting_user,
    source: Source,
    fact_type: str,
    person: Person | None = None,
    new_person_name: str = "",
    quote: str,
    certainty: str = Certainty.REPORTED,
    date: str = "",
    status: str = "",
    release_type: str = "",
    term: str = "",
    sentence_kind: str = SentenceKind.ORIGINAL,
    regime: str = "",
    case_title: str = "",
    article: LegalArticle | None = None,
    group: ReleaseGroup | None = None,
    new_group_name: str = "",
    mediator: str = "",
    destination: str = "",
    repeat_choice: str = "",
):
    """Create the fact a passage states and cite the passage, through the one write path.

    `date` may be typed as people write it ("12.05.2021", "в мае 2020"); the fact stores its EDTF.
    When the fact repeats a recorded one (prisoners.corroboration), nothing is saved and
    RepeatsRecorded lists them, unless `repeat_choice` names one (the passage becomes its
    citation, a differing detail a disputed claim; that fact is returned) or is "separate".
    """
    reason = f"intake from source {source.pk}"
    date = edtf_from_text(date)

    def save(obj):
        return record_save(acting_user=acting_user, obj=obj, reason=reason)

    if fact_type == FactType.RELEASE and new_group_name.strip():
        # A new group is dated by the release that starts it; its mediator as the passage names them.
        group = save(ReleaseGroup(name=new_group_name.strip(), date=date, mediator=mediator.strip()))
    details = {
        "group": group,
        "destination": destination.strip(),
        "date": date,
        "status": status,
        "release_type": release_type,
        "term": term,
        "sentence_kind": sentence_kind,
        "regime": regime,
        "article": article,
    }
    if person is not None and repeat_choice != REPEAT_SEPARATE:
        # A charge or sentence with no case named may belong to any of the person's cases.
        on_case = fact_type in (FactType.SENTENCE, FactType.CHARGE)
        roles = _candidate_defendants(person, case_title) if on_case else [None]
        reports = [report for role in roles if (report := _fact(fact_type, person, role, **details)) is not None]
        repeats = [fact for report in reports for fact in repeats_of(report)]
        chosen = next((fact for fact in repeats if str(fact.pk) == repeat_choice), None)
        reported = next((r for r in reports if chosen is not None and _same_record(r, chosen)), None)
        if repeats and chosen is None:
            raise RepeatsRecorded(repeats)
        if chosen is not None:
            fact_corroborate(
                acting_user=acting_user,
                recorded=chosen,
                reported=reported,
                source=source,
                quote=quote,
                certainty=certainty,
            )
            return chosen
    if person is None:
        person = save(Person(display_name=new_person_name.strip()))
        person_names_sync(acting_user=acting_user, person=person)
    role = _defendant_for(person, case_title, save=save) if fact_type in (FactType.SENTENCE, FactType.CHARGE) else None
    fact = save(_fact(fact_type, person, role, **details))
    citation_add(acting_user=acting_user, fact=fact, source=source, quote=quote, certainty=certainty)
    return fact


def _fact(
    fact_type,
    person,
    defendant,
    *,
    date,
    status,
    release_type,
    term,
    sentence_kind,
    regime,
    article,
    group,
    destination,
):
    """The unsaved fact a passage states; None for a charge or sentence with no case role yet."""
    if fact_type == FactType.STATUS_EVENT:
        return StatusEvent(person=person, date=date, status=status)
    if fact_type == FactType.RELEASE:
        return Release(person=person, date=date, release_type=release_type, group=group, destination=destination)
    if defendant is None:
        return None
    if fact_type == FactType.SENTENCE:
        length = Term.from_code(term) if term else Term()
        return Sentence(
            defendant=defendant,
            date=date,
            kind=sentence_kind,
            regime=regime,
            term_years=length.years,
            term_months=length.months,
            term_days=length.days,
        )
    return Charge(defendant=defendant, article=article)


def _candidate_defendants(person: Person, case_title: str) -> list[Defendant]:
    """The person's case roles a passage can be about: the named case's, or (none named) every one."""
    roles = person.defendant_roles.select_related("case")
    return list(roles.filter(case__title=case_title) if case_title else roles)


def _same_record(report, recorded) -> bool:
    """Whether the unsaved `report` is about the record `recorded` belongs to (its case role)."""
    return getattr(report, "defendant_id", None) == getattr(recorded, "defendant_id", None)


def _defendant_for(person: Person, case_title: str, *, save) -> Defendant:
    """The person's role in the named case, or in their only case, or in a new untitled one.

    A new case is never titled after the person: the title would show their name on the
    pages of co-defendants added later, published or not.
    """
    roles = person.defendant_roles.select_related("case")
    if case_title:
        role = roles.filter(case__title=case_title).first()
        if role:
            return role
        return save(Defendant(person=person, case=save(Case(title=case_title))))
    if roles.count() == 1:
        return roles.get()
    return save(Defendant(person=person, case=save(Case())))


def _text_of_upload(upload) -> str:
    """Readable text of an uploaded HTML or PDF article (checked by content, not by name)."""
    import filetype
    import trafilatura
    from pypdf import PdfReader

    head = upload.read(2048)
    upload.seek(0)
    kind = filetype.guess(head)
    if kind is not None and kind.mime == "application/pdf":
        return "\n".join(page.extract_text() or "" for page in PdfReader(upload).pages).strip()
    raw = upload.read().decode("utf-8", errors="replace")
    if "<" not in raw[:2000]:
        raise ValueError(NOT_AN_ARTICLE_FILE)
    return trafilatura.extract(raw) or ""


NOT_AN_ARTICLE_FILE = "This file is neither a PDF nor an HTML page."


class SourceExists(Exception):
    """The address is already a source: the intake opens that one rather than saving a second."""

    def __init__(self, source: Source):
        super().__init__(source.url)
        self.source = source


@transaction.atomic
def source_create_from_intake(*, acting_user, url: str = "", title: str = "", text: str = "", upload=None) -> Source:
    """Save the source at once, so nothing is lost if fetching fails later; then queue the fetch.

    Raises SourceExists, with nothing saved, when a source already has this URL.
    """
    from .archive import source_queue_fetch

    if url and (existing := Source.objects.filter(url=url).first()):
        raise SourceExists(existing)
    if upload is not None and not text:
        text = _text_of_upload(upload)
    text = text.replace("\r\n", "\n")  # browsers send textarea lines with CRLF
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    placeholder = Truncator(first_line).chars(100)
    try:
        with transaction.atomic():
            source = record_save(
                acting_user=acting_user,
                obj=Source(url=url, title=title or placeholder or url, text=text),
                reason="intake",
            )
    except IntegrityError:
        # Someone pasted the same address a moment earlier (the unique constraint on url).
        existing = Source.objects.filter(url=url).first() if url else None
        if existing is None:
            raise
        raise SourceExists(existing) from None
    if url:
        source_queue_fetch(source=source)
    return source
