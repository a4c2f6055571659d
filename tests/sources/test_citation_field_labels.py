"""A citation of one field is shown with the field's name as readers say it, not as the code spells it."""

import pytest
from django.test import Client
from django.utils import translation

from tests.prisoners.factories import PersonFactory, ReleaseFactory, ReleaseGroupFactory
from tests.sources.factories import CitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    group = ReleaseGroupFactory(mediator="Keith Kellogg")
    ReleaseFactory(person=PersonFactory(), group=group)
    return group


def test_the_label_is_the_fields_verbose_name_in_the_readers_language(group):
    citation = CitationFactory(content_object=group, field_name="mediator")
    assert citation.field_label() == "mediator"
    with translation.override("ru"):
        assert citation.field_label() == "посредник"
    with translation.override("be"):
        assert citation.field_label() == "пасярэднік"


def test_a_field_name_typed_with_spaces_or_capitals_still_finds_its_field():
    citation = CitationFactory(content_object=PersonFactory(), field_name="Birth Date")
    assert citation.field_label() == "birth date"
    assert CitationFactory(content_object=PersonFactory(), field_name="display_name").field_label() == "display name"


def test_text_that_names_no_field_is_shown_as_typed():
    assert CitationFactory(content_object=PersonFactory(), field_name="the sentence").field_label() == "the sentence"


def test_the_source_page_shows_the_label_not_the_field_name(group):
    citation = CitationFactory(content_object=group, field_name="mediator")
    path = citation.source.get_absolute_url()
    assert "(mediator)" in Client().get(path).content.decode()
    assert "(посредник)" in Client().get(f"/ru{path}").content.decode()
    person = PersonFactory(occupation="teacher")
    birth = CitationFactory(content_object=person, field_name="birth_date", source=citation.source)
    html = Client().get(f"/be{birth.source.get_absolute_url()}").content.decode()
    assert "birth_date" not in html
