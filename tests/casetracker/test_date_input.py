"""Dates as researchers type them: every written form read to its EDTF, in forms and the admin."""

import datetime as dt

import pytest
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import modelform_factory
from django.urls import reverse
from django.utils.translation import override
from hypothesis import given, settings
from hypothesis import strategies as st

from casetracker.dates import (
    PartialDateFormField,
    PartialDateWidget,
    edtf_bounds,
    edtf_from_text,
    partial_date_reading,
)
from prisoners.models import Person, StatusEvent
from tests.admin.test_person_admin import change_url, form_data
from tests.prisoners.factories import PersonFactory

D = dt.date


@pytest.mark.parametrize(
    ("typed", "edtf"),
    [
        # EDTF itself, unchanged.
        ("2020-05-29", "2020-05-29"),
        ("2020-05", "2020-05"),
        ("2020-22", "2020-22"),
        ("2021?", "2021?"),
        ("2021~", "2021~"),
        ("2020-05/2020-08", "2020-05/2020-08"),
        ("../2025-08-28", "../2025-08-28"),
        ("2021-07/..", "2021-07/.."),
        ("202X", "202X"),
        ("  2020-05  ", "2020-05"),
        # English months and seasons.
        ("May 2020", "2020-05"),
        ("may 2020", "2020-05"),
        ("May, 2020", "2020-05"),
        ("Sept. 2021", "2021-09"),
        ("in May 2020", "2020-05"),
        ("12 May 2021", "2021-05-12"),
        ("12th of May 2021", "2021-05-12"),
        ("May 12, 2021", "2021-05-12"),
        ("spring 2020", "2020-21"),
        ("summer 2020", "2020-22"),
        ("summer of 2020", "2020-22"),
        ("autumn 2020", "2020-23"),
        ("fall 2020", "2020-23"),
        ("winter 2020", "2020-24"),
        # Parts of a year and of a month: intervals holding all the words can mean.
        ("early 2021", "2021-01/2021-04"),
        ("mid 2021", "2021-05/2021-08"),
        ("mid-2021", "2021-05/2021-08"),
        ("late 2021", "2021-09/2021-12"),
        ("the end of 2021", "2021-09/2021-12"),
        ("early May 2021", "2021-05-01/2021-05-10"),
        ("mid May 2021", "2021-05-11/2021-05-20"),
        ("late February 2021", "2021-02-21/2021-02-28"),
        ("late February 2024", "2024-02-21/2024-02-29"),
        # Numbers, day first (Belarusian and Russian sources).
        ("12.05.2021", "2021-05-12"),
        ("1.5.2021", "2021-05-01"),
        ("31/12/2020", "2020-12-31"),
        ("12-05-2021", "2021-05-12"),
        ("12.05.2021 г.", "2021-05-12"),
        ("05.2021", "2021-05"),
        ("12/2020", "2020-12"),
        # Uncertain and approximate.
        ("2021 ?", "2021?"),
        ("May 2020?", "2020-05?"),
        ("12.05.2021?", "2021-05-12?"),
        ("about May 2020", "2020-05~"),
        ("circa 2020", "2020~"),
        ("около 2020 года", "2020~"),
        ("каля 2020 года", "2020~"),
        ("about May 2020?", "2020-05%"),
        ("early 2021?", "2021-01?/2021-04?"),
        # Russian.
        ("мая 2020", "2020-05"),
        ("май 2020", "2020-05"),
        ("Май 2020", "2020-05"),
        ("в мае 2020 года", "2020-05"),
        ("в мае 2020 г.", "2020-05"),
        ("в мае 2020г", "2020-05"),
        ("12 мая 2021", "2021-05-12"),
        ("12-го мая 2021 года", "2021-05-12"),
        ("в 2020 году", "2020"),
        ("2020 г.", "2020"),
        ("в сентябре 2021", "2021-09"),
        ("январём 2021", "2021-01"),
        ("летом 2020", "2020-22"),
        ("осенью 2020", "2020-23"),
        ("весной 2020 года", "2020-21"),
        ("зимой 2020", "2020-24"),
        ("в начале 2021 года", "2021-01/2021-04"),
        ("в середине 2021 года", "2021-05/2021-08"),
        ("в конце 2021 года", "2021-09/2021-12"),
        ("в конце мая 2021", "2021-05-21/2021-05-31"),
        ("янв. 2021", "2021-01"),
        # Belarusian.
        ("у траўні 2020", "2020-05"),
        ("травень 2020", "2020-05"),
        ("траўня 2020 г.", "2020-05"),
        ("12 траўня 2021 г.", "2021-05-12"),
        ("у 2020 годзе", "2020"),
        ("лета 2020", "2020-22"),
        ("улетку 2020", "2020-22"),
        ("летам 2020", "2020-22"),
        ("восенню 2020", "2020-23"),
        ("увосень 2020", "2020-23"),
        ("узімку 2020", "2020-24"),
        ("у пачатку 2021 года", "2021-01/2021-04"),
        ("у сярэдзіне 2021 года", "2021-05/2021-08"),
        ("у канцы 2021 года", "2021-09/2021-12"),
        # Belarusian typed on a Russian keyboard (и for і, у for ў) or with a Latin i.
        ("у листападзе 2020", "2020-11"),
        ("траунi 2020", "2020-05"),
        ("жнiўня 2020", "2020-08"),
        # Intervals of typed dates.
        ("May 2020/August 2020", "2020-05/2020-08"),
        ("12.05.2021–15.05.2021", "2021-05-12/2021-05-15"),
        ("2020-05 - 2020-08", "2020-05/2020-08"),
        ("../12.05.2021", "../2021-05-12"),
        ("12.05.2021/..", "2021-05-12/.."),
        ("early 2021/late 2022", "2021-01/2022-12"),
    ],
)
def test_a_date_typed_as_people_write_it_is_read_as_its_edtf(typed, edtf):
    assert edtf_from_text(typed) == edtf


MONTH_FORMS = {
    # Russian and Belarusian: nominative, genitive, locative.
    1: "январь января январе студзень студзеня студзені",
    2: "февраль февраля феврале люты лютага лютым",
    3: "март марта марте сакавік сакавіка сакавіку",
    4: "апрель апреля апреле красавік красавіка красавіку",
    5: "май мая мае травень траўня траўні",
    6: "июнь июня июне чэрвень чэрвеня чэрвені",
    7: "июль июля июле ліпень ліпеня ліпені",
    8: "август августа августе жнівень жніўня жніўні",
    9: "сентябрь сентября сентябре верасень верасня верасні",
    10: "октябрь октября октябре кастрычнік кастрычніка кастрычніку",
    11: "ноябрь ноября ноябре лістапад лістапада лістападзе",
    12: "декабрь декабря декабре снежань снежня снежні",
}


@pytest.mark.parametrize(
    ("word", "month"), [(word, month) for month, words in MONTH_FORMS.items() for word in words.split()]
)
def test_every_month_is_read_in_russian_and_belarusian_in_every_case(word, month):
    assert edtf_from_text(f"{word} 2021") == f"2021-{month:02d}"
    assert edtf_from_text(f"3 {word} 2021 г.") == f"2021-{month:02d}-03"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("13/13/2020", "no_such_day"),  # no month 13, whichever way it is read
        ("05/13/2020", "no_such_day"),  # a US month-first date: refused, never guessed
        ("31.02.2021", "no_such_day"),
        ("31 февраля 2021", "no_such_day"),
        ("13.2021", "no_such_day"),
        ("12.05.21", "invalid_date"),  # which century?
        ("yesterday", "invalid_date"),
        ("May", "invalid_date"),
        ("с мая 2020", "invalid_date"),  # "since": not the same as in May
        ("2020-13", "invalid_date"),
        ("2022/2021", "invalid_date"),  # ends before it starts
        ("../..", "invalid_date"),
        ("summer 2020?", "invalid_date"),  # EDTF has no uncertain season
        ("٢٠٢٠-٠٥-٠١", "invalid_date"),
        ("0000", "invalid_date"),
        ("-2020", "year_out_of_range"),
        ("Y170000002", "year_out_of_range"),
        ("2020" * 30, "invalid_date"),
    ],
)
def test_a_date_that_cannot_be_read_is_refused_with_a_reason(typed, code):
    with pytest.raises(ValidationError) as refused:
        edtf_from_text(typed)
    assert refused.value.code == code


def test_the_refusal_names_the_text_and_shows_forms_that_work():
    with override("en"), pytest.raises(ValidationError) as refused:
        edtf_from_text("sometime in 2020")
    message = refused.value.messages[0]
    assert message.startswith("“sometime in 2020” is not a date we can read.")
    assert "12.05.2021 (day.month.year)" in message and "May 2020" in message and "early 2021" in message


def test_an_impossible_day_is_explained_by_the_day_first_reading():
    with override("en"), pytest.raises(ValidationError) as refused:
        edtf_from_text("05/13/2020")
    assert "read day first" in refused.value.messages[0]


def test_nothing_typed_is_no_date():
    assert edtf_from_text("") == edtf_from_text("   ") == ""


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.builds(
            " ".join,
            st.lists(
                st.sampled_from(
                    ["12", "31", "2021", "0001", "9999", "мая", "у", "траўні", "early", "late", "г.", "?", "~"]
                    + ["/", "..", "–", "summer", "летом", "около", "May", "12.05.2021", "2020-05", "2020-22"]
                ),
                max_size=5,
            ),
        ),
    )
)
def test_any_text_is_either_refused_or_read_as_edtf_that_reads_as_itself(text):
    try:
        edtf = edtf_from_text(text)
    except ValidationError:
        return
    if edtf:
        edtf_bounds(edtf)  # valid EDTF with bounds
    assert edtf_from_text(edtf) == edtf


# --- Forms --------------------------------------------------------------------------------------------


def test_the_form_field_cleans_what_was_typed_to_edtf():
    field = PartialDateFormField(required=False)
    assert field.clean("12.05.2021") == "2021-05-12"
    assert field.clean(" у траўні 2020 ") == "2020-05"
    assert field.clean("") == ""
    with pytest.raises(ValidationError):
        field.clean("13/13/2020")


def test_a_date_typed_differently_but_meaning_the_stored_edtf_is_no_change():
    field = PartialDateFormField(required=False)
    assert not field.has_changed("2020-05", "May 2020")
    assert field.has_changed("2020-05", "June 2020")


def test_the_help_text_gives_examples_in_plain_words():
    with override("en"):
        help_text = str(PartialDateFormField().help_text)
    assert "12.05.2021 (day.month.year)" in help_text and "May 2020" in help_text and "saved as EDTF" in help_text


def test_the_widget_shows_how_the_date_reads_without_inline_script_or_style():
    with override("en"):
        html = PartialDateWidget().render("date", "2020-05/2020-08", attrs={"id": "id_date"})
    assert 'value="2020-05/2020-08"' in html
    assert '<small class="partial-date-reading" id="id_date_reading">between May 2020 and August 2020</small>' in html
    assert 'aria-describedby="id_date_reading"' in html
    assert "style=" not in html and "<script" not in html


@pytest.mark.parametrize("value", ["", None, "13/13/2020", "nonsense"])
def test_the_widget_shows_no_reading_for_no_date_or_one_it_cannot_read(value):
    html = PartialDateWidget().render("date", value, attrs={"id": "id_date"})
    assert "<small" not in html and "aria-describedby" not in html


def test_the_reading_of_a_typed_date_is_the_reading_of_its_edtf():
    with override("en"):
        assert partial_date_reading("в начале 2021 года") == "between January 2021 and April 2021"
        assert partial_date_reading("13/13/2020") == ""


@pytest.mark.django_db
def test_a_model_form_stores_the_edtf_and_its_bounds():
    person = PersonFactory()
    form_class = modelform_factory(StatusEvent, fields=["person", "date", "status"])
    form = form_class({"person": person.pk, "date": "12.05.2021", "status": "detained"})
    assert isinstance(form.fields["date"], PartialDateFormField)
    assert form.is_valid(), form.errors
    event = form.save()
    event.refresh_from_db()
    assert (event.date, event.date_earliest, event.date_latest) == ("2021-05-12", D(2021, 5, 12), D(2021, 5, 12))


@pytest.mark.django_db
def test_a_model_form_refuses_an_unreadable_date_next_to_the_field():
    form_class = modelform_factory(StatusEvent, fields=["person", "date", "status"])
    form = form_class({"person": PersonFactory().pk, "date": "05/13/2020", "status": "detained"})
    assert not form.is_valid()
    assert list(form.errors) == ["date"]


def test_the_admin_keeps_its_text_input_class_and_the_reading():
    model_admin = admin.site.get_model_admin(Person)
    field = model_admin.formfield_for_dbfield(Person._meta.get_field("birth_date"), request=None)
    assert isinstance(field, PartialDateFormField)
    assert isinstance(field.widget, PartialDateWidget) and field.widget.attrs["class"] == "vTextField"


def test_a_chosen_widget_that_is_no_text_input_is_kept():
    field = Person._meta.get_field("birth_date").formfield(widget=forms.HiddenInput)
    assert isinstance(field, PartialDateFormField) and isinstance(field.widget, forms.HiddenInput)


@pytest.mark.django_db
def test_the_admin_stores_a_typed_date_as_edtf_and_shows_how_it_reads(editor_client):
    person = PersonFactory(display_name="Ales Bialiatski")
    url = change_url(person)
    data = form_data(editor_client, url, birth_date="25.09.1962")
    response = editor_client.post(url, {**data, "_continue": "1"})
    assert response.status_code == 302, response.context and response.context["errors"]
    # A status event is entered on its own form, opened from the person's timeline.
    event_url = reverse("admin:prisoners_statusevent_add")
    response = editor_client.post(
        event_url,
        {
            "person": person.pk,
            "date": "летом 2021",
            "status": "detained",
            "sources-citation-content_type-object_id-TOTAL_FORMS": 0,
            "sources-citation-content_type-object_id-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]

    person.refresh_from_db()
    assert (person.birth_date, person.birth_date_earliest) == ("1962-09-25", D(1962, 9, 25))
    event = person.status_events.get()
    assert event.date == "2021-22"
    page = editor_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="1962-09-25"' in page and ">25 September 1962</small>" in page
    event_page = editor_client.get(
        reverse("admin:prisoners_statusevent_change", args=[event.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'value="2021-22"' in event_page and ">summer 2021</small>" in event_page
