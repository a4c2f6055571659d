"""Articles are read as people write them, alike in the public list's filter and the CSV import."""

import pytest
from django.core.cache import cache

from prisoners.articles import ArticleReference, article_reference
from prisoners.imports import NOT_AN_ARTICLE, cases_file_import
from prisoners.models import Charge, LegalArticle, Person, PublicationState
from prisoners.roles import SYSTEM
from tests.prisoners.factories import ChargeFactory, LegalArticleFactory, PersonFactory

PART_1_OF_293 = [
    "293.1",
    "293 part 1",
    "293 ч. 1",
    "293 ч.1",
    "ч. 1 ст. 293",
    "Ч.1 СТ.293",
    "ч. 1 ст. 293 УК",
    "ч. 1 ст. 293 УК РБ",
    "Art. 293 part 1",
    "art. 293, part 1",
    "ст. 293 ч. 1",
    "Ст.293 ч.1",
    "ст. 293, ч. 1",
    "статья 293 часть 1",
    "арт. 293 ч. 1",
    "part 1 of article 293",
    "part 1 of the article 293",
    "  293\u00a0ч.\u00a01  ",  # no-break spaces, as word processors put them
]
ALL_OF_293 = ["293", "Art. 293", "art 293", "Article 293", "ст. 293", "Ст.293", "ст 293.", "статья 293", "арт. 293"]
NOT_ARTICLES = ["", " ", ".", "ст.", "garbage", "293 1", "part 1", "293.1.2", "x293", "293-a", "٢٩٣", "293" * 40]


@pytest.mark.parametrize("text", PART_1_OF_293)
def test_every_usual_spelling_of_article_293_part_1_is_read_as_it(text):
    assert article_reference(text) == ArticleReference("293", "1")


@pytest.mark.parametrize("text", ALL_OF_293)
def test_an_article_without_a_part_is_read_as_the_whole_article(text):
    assert article_reference(text) == ArticleReference("293", "")


@pytest.mark.parametrize("text", NOT_ARTICLES)
def test_text_that_names_no_article_is_read_as_none(text):
    assert article_reference(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("361-1", ArticleReference("361-1", "")),
        ("361\u20111", ArticleReference("361-1", "")),  # a non-breaking hyphen
        ("ч. 2 ст. 361-1", ArticleReference("361-1", "2")),
        ("361-1.2", ArticleReference("361-1", "2")),
        ("ст. 361–1 ч. 2", ArticleReference("361-1", "2")),  # an en dash
    ],
)
def test_a_hyphenated_article_number_is_kept_whole(text, expected):
    assert article_reference(text) == expected


def test_a_hyphen_means_a_part_only_where_no_such_article_is_on_record():
    hyphenated = article_reference("293-1")
    assert hyphenated.hyphen_as_part() == ArticleReference("293", "1")
    assert hyphenated.resolved({"293", "342"}) == ArticleReference("293", "1")
    assert hyphenated.resolved({"293", "293-1"}) == hyphenated
    # A part named outright leaves nothing to decide.
    assert article_reference("ч. 1 ст. 361-1").hyphen_as_part() is None


@pytest.fixture
def charged(db):
    """People charged under 293 part 1, 293 part 2, 361-1 and 361 part 1; a draft under 999."""
    people = {}
    for name, (article, part) in {
        "part 1 of 293": ("293", "1"),
        "part 2 of 293": ("293", "2"),
        "article 361-1": ("361-1", ""),
        "part 1 of 361": ("361", "1"),
    }.items():
        people[name] = PersonFactory(display_name=name)
        ChargeFactory(defendant__person=people[name], article=LegalArticleFactory(article=article, part=part))
    draft = PersonFactory(display_name="draft", publication_state=PublicationState.DRAFT)
    ChargeFactory(defendant__person=draft, article=LegalArticleFactory(article="999", part="", title="Unpublished"))
    return people


def charged_under(text: str) -> list[str]:
    return sorted(Person.objects.public().charged_under(text).values_list("display_name", flat=True))


@pytest.mark.parametrize("text", [*PART_1_OF_293, "293-1"])
def test_the_filter_finds_part_1_of_293_however_it_is_written(charged, text):
    assert charged_under(text) == ["part 1 of 293"]


@pytest.mark.parametrize("text", ALL_OF_293)
def test_the_article_alone_finds_every_part_of_it(charged, text):
    assert charged_under(text) == ["part 1 of 293", "part 2 of 293"]


def test_a_hyphenated_article_on_record_is_not_taken_for_a_part(charged):
    assert charged_under("361-1") == ["article 361-1"]
    assert charged_under("ч. 1 ст. 361") == ["part 1 of 361"]


def test_text_that_names_no_article_finds_no_one(charged):
    assert charged_under("garbage") == []


def test_the_list_reads_the_article_as_written(client, charged):
    response = client.get("/prisoners/", {"article": "ч. 1 ст. 293"})
    assert [person.display_name for person in response.context["page"].object_list] == ["part 1 of 293"]


def test_the_list_suggests_the_articles_public_charges_are_brought_under(client, charged, django_assert_num_queries):
    # The public state, count, the page, its releases, then (the cache being cold) the form's release
    # groups and the article suggestions: none per article.
    cache.clear()
    with django_assert_num_queries(6):
        response = client.get("/prisoners/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert 'list="article-suggestions"' in html and '<datalist id="article-suggestions">' in html
    suggested = [value for value, _label in response.context["filter"].article_suggestions]
    assert suggested == ["293.1", "293.2", "361.1", "361-1"]
    assert "999" not in html and "Unpublished" not in html  # only the draft is charged under it
    assert all(article_reference(value) is not None for value in suggested)


HEADER = "external_id,name,articles"


def import_rows(*rows: str):
    return cases_file_import(acting_user=SYSTEM, data="\n".join([HEADER, *rows, ""]).encode())


@pytest.mark.django_db
def test_the_import_reads_the_same_spellings_as_the_filter():
    LegalArticleFactory(article="293", part="1")
    LegalArticleFactory(article="342", part="")
    LegalArticleFactory(article="361-1", part="")

    import_rows('i-1,Anna,"ч. 1 ст. 293;Art. 342"', "i-2,Boris,293-1", "i-3,Vera,361-1")

    def articles_of(name):
        charges = Charge.objects.filter(defendant__person__display_name=name).select_related("article")
        return sorted((charge.article.article, charge.article.part) for charge in charges)

    assert articles_of("Anna") == [("293", "1"), ("342", "")]
    assert articles_of("Boris") == [("293", "1")]
    assert articles_of("Vera") == [("361-1", "")]
    assert LegalArticle.objects.count() == 3  # nothing was added to the articles on record


@pytest.mark.django_db
def test_the_import_names_a_cell_item_that_is_no_article():
    from prisoners.imports import CasesFileRejected

    with pytest.raises(CasesFileRejected) as rejected:
        import_rows("i-1,Anna,ст. двести")
    [error] = rejected.value.plan.errors
    assert (error.line, error.column, error.reason) == (2, "articles", NOT_AN_ARTICLE.format(value="ст. двести"))
