"""The list's form reads its choices from the records once, then from the cache until something public changes."""

import pytest
from django.core.cache import cache

from prisoners.models import LegalArticle, Person
from prisoners.roles import SYSTEM
from prisoners.services import record_save, release_record
from tests.prisoners.factories import (
    ChargeFactory,
    DefendantFactory,
    LegalArticleFactory,
    PersonFactory,
    ReleaseFactory,
    ReleaseGroupFactory,
)

pytestmark = pytest.mark.django_db
URL = "/prisoners/"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def person():
    someone = PersonFactory(display_name="Ales Bialiatski")
    ReleaseFactory(person=someone, group=ReleaseGroupFactory(name="Pardon of June 2025", slug="june-2025"))
    article = LegalArticleFactory(article="342", part="1", title="Disorder", title_be="Парушэнне парадку")
    ChargeFactory(defendant=DefendantFactory(person=someone), article=article)
    return Person.objects.get(pk=someone.pk)


def groups_offered(response) -> list[str]:
    return [slug for slug, _name in response.context["filter"].form.fields["release_group"].widget.choices if slug]


def test_with_a_warm_cache_the_list_reads_no_choices(client, person, django_assert_num_queries):
    client.get(URL)
    # The public state (the ETag and the cache keys), the page and its releases: no choices, and the
    # count of the same people in another order is the one counted already.
    with django_assert_num_queries(3):
        response = client.get(URL, {"sort": "-released"})
    assert groups_offered(response) == ["june-2025"]
    assert response.context["filter"].article_suggestions == [("342.1", "Art. 342 part 1 — Disorder")]


def test_a_public_change_reads_the_choices_again(client, person):
    assert groups_offered(client.get(URL)) == ["june-2025"]
    later = ReleaseGroupFactory(name="Exchange of September 2025", slug="september-2025")
    assert groups_offered(client.get(URL)) == ["june-2025"]  # no public fact points at it yet
    release_record(acting_user=SYSTEM, person=PersonFactory(), date="2025-09-11", release_type="exchange", group=later)
    assert groups_offered(client.get(URL)) == ["september-2025", "june-2025"]


def test_a_renamed_group_is_offered_under_its_new_name(client, person):
    client.get(URL)
    group = person.releases.get().group
    group.name = "Pardon of 21 June 2025"
    record_save(acting_user=SYSTEM, obj=group)
    assert "Pardon of 21 June 2025" in client.get(URL).content.decode()


def test_cached_articles_are_labelled_in_the_readers_language(client, person):
    assert "Disorder" in client.get(URL).content.decode()
    assert LegalArticle.objects.count() == 1
    belarusian = client.get("/be/prisoners/")
    assert "Парушэнне парадку" in belarusian.content.decode() and "Disorder" not in belarusian.content.decode()
