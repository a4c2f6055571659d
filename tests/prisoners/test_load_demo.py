from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command

from prisoners import demo
from prisoners.models import Case, NameVariant, Person, PublicationState, ReleaseGroup, Status, Term
from sources.models import Citation, Document

pytestmark = pytest.mark.django_db

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
# Set on every save, so they differ between runs without the data differing.
AUTO_TIMESTAMPS = {"created_at", "updated_at", "published_at"}

SPELLINGS = {
    "Siarhei Tsikhanouski": {
        "Sergei Tikhanovsky",
        "Sergey Tikhanovsky",
        "Siarhei Tsikhanouskiy",
        "Сяргей Ціханоўскі",
        "Сергей Тихановский",
    },
    "Ihar Karnei": {"Igor Kornei", "Ihar Karney", "Ігар Карней", "Игорь Корней"},
    "Natallia Dulina": {"Natalia Dulina", "Наталля Дуліна", "Наталья Дулина"},
    "Halina Krasnianskaya": {"Галіна Краснянская", "Галина Краснянская"},
    "Akihiro Haievski-Khanada": {"Акіхіра Гаеўскі-Ханада", "Акихиро Гаевский-Ханада"},
    "Kiryl Balakhanau": {"Кірыл Балаханаў", "Кирилл Балаханов"},
    "Ales Bialiatski": {"Алесь Бяляцкі", "Алесь Беляцкий"},
    "Valiantsin Stefanovich": {"Валянцін Стэфановіч", "Валентин Стефанович"},
    "Uladzimir Labkovich": {"Уладзімір Лабковіч", "Владимир Лабкович"},
    "Viktar Babaryka": {"Viktor Babariko", "Віктар Бабарыка", "Виктор Бабарико"},
    "Maryia Kalesnikava": {"Maria Kolesnikova", "Марыя Калеснікава", "Мария Колесникова"},
    "Viktoria Kulsha": {"Вікторыя Кульша", "Виктория Кульша"},
}
RELEASED = {
    "Siarhei Tsikhanouski",
    "Ihar Karnei",
    "Natallia Dulina",
    "Halina Krasnianskaya",
    "Akihiro Haievski-Khanada",
    "Kiryl Balakhanau",
}
STILL_IMPRISONED = {
    "Ales Bialiatski",
    "Valiantsin Stefanovich",
    "Uladzimir Labkovich",
    "Viktar Babaryka",
    "Maryia Kalesnikava",
    "Viktoria Kulsha",
}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def loaded():
    call_command("load_demo", stdout=StringIO())


def _rows_of_every_model() -> dict[str, list[str]]:
    snapshot = {}
    for label in ("prisoners", "sources"):
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model.__name__.startswith("Historical"):
                continue
            fields = [f.attname for f in model._meta.concrete_fields if f.name not in AUTO_TIMESTAMPS]
            snapshot[model._meta.label] = sorted(repr(row) for row in model.objects.values_list(*fields))
    return snapshot


def test_load_demo_twice_leaves_the_same_rows(media_root):
    call_command("load_demo", stdout=StringIO())
    first, files = _rows_of_every_model(), sorted(media_root.rglob("*.pdf"))

    call_command("load_demo", stdout=StringIO())

    assert _rows_of_every_model() == first
    assert sorted(media_root.rglob("*.pdf")) == files
    assert len(files) == len(demo.DOCUMENTS)


def test_load_demo_prints_a_one_line_summary():
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert out.getvalue().count("\n") == 1
    assert out.getvalue().startswith("Demo data loaded: people 13, sources 5,")


def test_the_twelve_people_exist_with_every_spelling_the_articles_use(loaded):
    for display_name, spellings in SPELLINGS.items():
        person = Person.objects.get(display_name=display_name)
        assert spellings | {display_name} <= set(person.name_variants.values_list("text", flat=True)), display_name


def test_a_press_spelling_finds_its_person(loaded):
    assert NameVariant.objects.get(text="Igor Kornei").person == NameVariant.objects.get(text="Ihar Karney").person
    assert {v.person.display_name for v in NameVariant.objects.filter(text__contains="Tikhanovsk")} == {
        "Siarhei Tsikhanouski"
    }


def test_six_people_are_released_in_one_group(loaded):
    group = ReleaseGroup.objects.get(date="2025-06-21")
    released = Person.objects.filter(releases__group=group)
    assert set(released.values_list("display_name", flat=True)) == RELEASED
    assert set(released.values_list("current_status", flat=True)) == {Status.RELEASED}


def test_the_release_group_cites_both_counts_and_both_envoys(loaded):
    group = ReleaseGroup.objects.get(date="2025-06-21")
    claims = set(group.citations.values_list("field_name", "claim", "certainty"))
    assert group.reported_size == 14
    assert ("reported_size", "16 released", "disputed") in claims
    assert ("mediator", "Steve Witkoff", "disputed") in claims
    assert group.citations.filter(field_name="mediator", certainty="confirmed").count() == 3


def test_the_viasna_case_has_three_defendants(loaded):
    names = Case.objects.get(title="Viasna case").defendants.values_list("display_name", flat=True)
    assert set(names) == {"Ales Bialiatski", "Valiantsin Stefanovich", "Uladzimir Labkovich"}


def test_people_still_imprisoned_at_the_time_are_in_custody(loaded):
    in_custody = set(Person.objects.in_custody().values_list("display_name", flat=True))
    assert in_custody == STILL_IMPRISONED
    assert all(p.is_in_custody() for p in Person.objects.filter(display_name__in=STILL_IMPRISONED))


def test_the_draft_person_private_note_and_restricted_document_are_stored_unpublished(loaded):
    draft = Person.objects.get(slug=demo.DRAFT_PERSON_SLUG)
    assert draft.publication_state == PublicationState.DRAFT
    assert draft.published_at is None
    assert demo.PRIVATE_NOTE_MARKER in draft.private_notes
    assert draft not in Person.objects.public()

    restricted = Document.objects.get(title=demo.RESTRICTED_DOCUMENT_TITLE)
    assert not restricted.is_public
    assert restricted not in Document.objects.public()
    assert restricted.file.read().startswith(b"%PDF-")


def test_everyone_else_is_published(loaded):
    others = Person.objects.exclude(slug=demo.DRAFT_PERSON_SLUG)
    assert set(others.values_list("publication_state", flat=True)) == {PublicationState.PUBLISHED}
    assert not others.filter(published_at__isnull=True).exists()
    assert not others.exclude(private_notes="").exists()


def test_tsikhanouski_serves_eighteen_years_plus_eighteen_months_from_may_2020(loaded):
    person = Person.objects.get(slug="siarhei-tsikhanouski")
    assert person.total_term() == Term(19, 6, 0)
    # Released in June 2025: the term (November 2039 from May 2020) has no end left to await.
    assert person.expected_end_of_term() is None


def test_sources_carry_no_invented_urls(loaded):
    assert not Citation.objects.exclude(source__url="").exists()


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed articles not found at {SEEDS}")
def test_every_quote_is_a_short_passage_of_its_article(loaded):
    seed_file = {data.title: data.seed_file for data in demo.SOURCES.values()}
    citations = Citation.objects.select_related("source")
    assert citations.exists()
    for citation in citations:
        text = (SEEDS / seed_file[citation.source.title]).read_text(encoding="utf-8")
        assert citation.quote in text, (citation.source.title, citation.quote)
        assert 0 < len(citation.quote) <= 300
