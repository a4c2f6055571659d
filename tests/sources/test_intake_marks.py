"""Marking long texts: a size cap the intake page explains, and work that grows with the length.

Speed itself is measured by `manage.py bench_intake`, never here: these tests count the work
instead (Python calls made while marking), so they mean the same on a slow or busy machine.
"""

import sys
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.urls import reverse

from prisoners.models import Person
from sources.intake import marks_in
from sources.models import Source

pytestmark = pytest.mark.django_db
# One paragraph with every kind of mark: people in English and in Cyrillic case endings, a
# double surname, dates of each written form, and numbers. It ends with a blank line, so
# repeating it never joins its last word to its first.
PARAGRAPH = (
    "Siarhei Tsikhanouski was released on 21 June 2025 with Ihar Karnei, Natallia Dulina and "
    "Akihiro Haievski-Khanada; Tsikhanouski had been in custody since May 2020 and was sentenced "
    "in 2021 to 18 years. Суд над Тихановским. Интервью Игоря Корнея, 28 августа 2025. "
    "More than 1,150 people, 300 of them released since the summer of 2024, remain jailed.\n\n"
)


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", verbosity=0)


def python_calls_while(work) -> int:
    """How many Python and built-in function calls (generator steps included) `work()` makes."""
    calls = 0

    def count(_frame, event, _arg):
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


def test_a_text_over_the_cap_is_not_marked_and_one_under_it_is(demo, settings):
    settings.INTAKE_MAX_TEXT_BYTES = len(PARAGRAPH.encode()) - 1
    assert marks_in(PARAGRAPH) == []
    settings.INTAKE_MAX_TEXT_BYTES = len(PARAGRAPH.encode())
    assert {m.kind for m in marks_in(PARAGRAPH)} == {"person", "date", "number"}


def test_the_cap_counts_bytes_not_characters(demo, settings):
    text = "Суд над Тихановским."  # two bytes for each Cyrillic letter
    settings.INTAKE_MAX_TEXT_BYTES = len(text) + 5
    assert marks_in(text) == []
    assert [m.kind for m in marks_in(text, capped=False)] == ["person"]


def test_the_intake_page_says_why_a_long_text_is_shown_unmarked(researcher_client, demo, settings):
    settings.INTAKE_MAX_TEXT_BYTES = 100
    source = Source.objects.create(title="Long report", text=PARAGRAPH * 3)
    page = researcher_client.get(reverse("admin:sources_source_intake", args=[source.pk])).content.decode()
    assert 'id="marking-skipped"' in page and "not highlighted" in page
    assert "<mark class=" not in page.split('id="article-text"', 1)[1]
    assert "Akihiro Haievski-Khanada; Tsikhanouski had been in custody" in page  # the text itself is shown


def test_a_text_under_the_cap_has_no_such_message(researcher_client, demo):
    source = Source.objects.create(title="Report", text=PARAGRAPH)
    page = researcher_client.get(reverse("admin:sources_source_intake", args=[source.pk])).content.decode()
    tsikhanouski = Person.objects.get(slug="siarhei-tsikhanouski")
    assert 'id="marking-skipped"' not in page and f'data-person="{tsikhanouski.pk}"' in page


def test_a_text_repeated_is_marked_as_the_same_marks_repeated(demo):
    once = marks_in(PARAGRAPH)
    assert {m.kind for m in once} == {"person", "date", "number"}
    repeats = 60
    expected = [
        replace(m, start=m.start + copy * len(PARAGRAPH), end=m.end + copy * len(PARAGRAPH))
        for copy in range(repeats)
        for m in once
    ]
    assert marks_in(PARAGRAPH * repeats) == expected


def test_doubling_the_text_at_most_doubles_the_work_of_marking_it(demo):
    marks_in(PARAGRAPH)  # word keys are cached across calls: count only the marking itself
    # Calls that compare each new mark with all marks found before grow with the square of the
    # length: from 40 to 80 paragraphs the old code's count grew 3.8-fold; this one grows 1.8-fold.
    calls = {n: python_calls_while(lambda n=n: marks_in(PARAGRAPH * n)) for n in (40, 80)}
    assert calls[80] <= 2 * calls[40], calls
