"""From pasted text to a cited fact: marking people, dates and numbers; recording the fact."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from prisoners.models import Person, Sentence, SentenceKind, Status
from sources.intake import find_dates, marks_in
from sources.models import Citation, Source

pytestmark = pytest.mark.django_db
START_URL = reverse("admin:sources_source_intake_start")
EXCERPT = (
    "Fourteen political prisoners, including prominent opposition figure Siarhei Tsikhanouski, have been released.\n\n"
    "In 2021, Tsikhanouski was sentenced to 18 years in a high-security penal colony on charges including "
    "organising mass unrest and inciting hatred. In 2023, his sentence was extended by another 18 months."
)


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo", verbosity=0)


@pytest.mark.parametrize(
    ("text", "edtf"),
    [
        ("released on 21 June 2025.", "2025-06-21"),
        ("posted June 25, 2025", "2025-06-25"),
        ("in custody since May 2020", "2020-05"),
        ("jailed in the summer of 2020", "2020-22"),
        ("In 2021, he", "2021"),
        ("задержан 28 августа 2025", "2025-08-28"),
        ("арыштаваны ў траўні 2020", "2020-05"),
    ],
)
def test_dates_in_running_text_are_found_as_edtf(text, edtf):
    assert [d.value for d in find_dates(text)] == [edtf]


def test_people_dates_and_numbers_are_marked_without_overlap(demo):
    marks = marks_in(EXCERPT)
    kinds = [(m.kind, EXCERPT[m.start : m.end]) for m in marks]
    assert ("person", "Siarhei Tsikhanouski") in kinds and ("person", "Tsikhanouski") in kinds
    assert ("date", "2021") in kinds and ("number", "18") in kinds
    assert all(a.end <= b.start for a, b in zip(marks, marks[1:], strict=False))


def test_pasted_text_is_saved_at_once_and_shown_with_the_people_highlighted(researcher_client, demo):
    response = researcher_client.post(START_URL, {"text": EXCERPT})
    source = Source.objects.get(text=EXCERPT)
    assert response.status_code == 302 and response["Location"].endswith(f"/{source.pk}/intake/")
    page = researcher_client.get(response["Location"]).content.decode()
    tsikhanouski = Person.objects.get(slug="siarhei-tsikhanouski")
    assert (
        f'<mark class="person" data-person="{tsikhanouski.pk}" title="Siarhei Tsikhanouski">Tsikhanouski</mark>' in page
    )
    assert '<mark class="date" data-date="2021">2021</mark>' in page


def test_an_uploaded_html_article_is_read(researcher_client, demo):
    upload = SimpleUploadedFile(
        "article.html", f"<html><body><article><p>{EXCERPT}</p></article></body></html>".encode()
    )
    researcher_client.post(START_URL, {"file": upload})
    assert Source.objects.filter(text__contains="sentenced to 18 years").count() == 1


def test_an_empty_intake_is_refused_with_what_to_give(researcher_client):
    response = researcher_client.post(START_URL, {})
    assert "Give the article" in response.content.decode() and not Source.objects.exists()


def sentence_passage(person, **extra):
    return {
        "quote": "In 2021, Tsikhanouski was sentenced to 18 years in a high-security penal colony",
        "person": person.pk,
        "fact_type": "sentence",
        "date": "2021",
        "term": "18y",
        "sentence_kind": SentenceKind.ORIGINAL,
        "regime": "strict",
        "certainty": "confirmed",
        "case_title": "Case of Siarhei Tsikhanouski (mass unrest)",
        **extra,
    }


def test_a_selected_passage_becomes_a_cited_sentence(researcher_client, demo):
    source = Source.objects.create(title="Release report", text=EXCERPT)
    person = Person.objects.get(slug="siarhei-tsikhanouski")
    url = reverse("admin:sources_source_intake", args=[source.pk])
    # The demo records this sentence already; said to be another one, it is recorded apart.
    response = researcher_client.post(url, sentence_passage(person, repeat_choice="separate"))
    assert response.status_code == 302
    sentence = Sentence.objects.filter(defendant__person=person, date="2021", term_years=18).latest("pk")
    citation = Citation.objects.get(source=source)
    assert citation.content_object == sentence and citation.quote == sentence_passage(person)["quote"]


def test_a_passage_reporting_a_recorded_sentence_is_offered_as_its_citation(researcher_client, demo):
    source = Source.objects.create(title="Release report", text=EXCERPT)
    person = Person.objects.get(slug="siarhei-tsikhanouski")
    recorded = Sentence.objects.get(defendant__person=person, date="2021")
    url = reverse("admin:sources_source_intake", args=[source.pk])
    before = Sentence.objects.count()

    asked = researcher_client.post(url, sentence_passage(person))
    assert asked.status_code == 200
    assert f'value="{recorded.pk}"' in asked.content.decode() and Sentence.objects.count() == before

    chosen = researcher_client.post(url, sentence_passage(person, repeat_choice=str(recorded.pk)))
    assert chosen.status_code == 302 and Sentence.objects.count() == before
    assert Citation.objects.get(source=source).content_object == recorded


def test_a_new_person_already_recorded_is_asked_about_before_anything_is_saved(researcher_client, demo):
    source = Source.objects.create(title="Another report", text="Sergei Tikhanovsky was detained in May 2020.")
    url = reverse("admin:sources_source_intake", args=[source.pk])
    passage = {
        "quote": "Sergei Tikhanovsky was detained in May 2020.",
        "new_person_name": "Sergei Tikhanovsky",
        "fact_type": "status_event",
        "status": Status.DETAINED,
        "date": "2020-05",
        "certainty": "reported",
    }
    asked = researcher_client.post(url, passage)
    assert asked.status_code == 200 and "Siarhei Tsikhanouski" in asked.content.decode()
    assert not Person.objects.filter(display_name="Sergei Tikhanovsky").exists()

    researcher_client.post(url, {**passage, "not_a_duplicate": "on"})
    created = Person.objects.get(display_name="Sergei Tikhanovsky")
    assert created.publication_state == "draft" and created.current_status == Status.DETAINED


def test_the_form_says_what_is_missing(researcher_client, demo):
    source = Source.objects.create(title="Report", text=EXCERPT)
    response = researcher_client.post(
        reverse("admin:sources_source_intake", args=[source.pk]),
        {"quote": "x", "fact_type": "status_event", "certainty": "reported"},
    )
    page = response.content.decode()
    assert (
        "Choose one person" in page and "needs a date" in page and not Citation.objects.filter(source=source).exists()
    )


def test_a_url_longer_than_a_source_can_hold_is_refused_by_the_form():
    from sources.forms import IntakeStartForm

    form = IntakeStartForm(data={"url": "https://news.example.org/" + "a" * 1000})
    assert not form.is_valid()
    assert "url" in form.errors
