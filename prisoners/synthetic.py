"""Synthetic people of a realistic shape, for benchmarks: `manage.py generate_synthetic --people N`.

Per person: three name variants (Latin, Belarusian, Russian), three or four status events
with exact and partial dates, a case with one to three charges, one or two sentences, a
custody period, a release for 30% of them (some in release groups) and about ten citations
to a few hundred synthetic sources; everyone is published.

Why bulk writes and not the services: this is a benchmark fixture, loaded as a restore is
(prisoners.dataset), not an edit anyone made. A researcher's record goes through
services.record_save one fact at a time, with a permission check and a history row each;
100,000 people are about 2.5 million rows, hours that way. So rows are written with
bulk_create in batches, each model with history through simple_history's
bulk_create_with_history (history rows say "synthetic data"). What the write path would have
derived is still derived by the one rule, not spelt again here: each batch's status, term and
custody spells come from services.people_status_refresh (the bulk form of
person_status_refresh). The two fields save() itself computes are computed as save() does:
NameVariant.normalized and script, and Person's sort keys (prisoners.collation).

The same seed and the same starting database give the same people. Sources link to
`example.invalid` addresses, which never resolve.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone
from simple_history.utils import bulk_create_with_history
from slugify import slugify

from sources.models import Certainty, Citation, Source, SourceKind

from . import collation, identity, imports
from .articles import ArticleReference
from .demo import LEGAL_ARTICLES, ArticleData
from .models import (
    Case,
    Charge,
    CustodyPeriod,
    Defendant,
    Facility,
    FacilityKind,
    Gender,
    LegalArticle,
    LegalCode,
    NameKind,
    NameScript,
    NameVariant,
    Person,
    PublicationState,
    Regime,
    Region,
    Release,
    ReleaseGroup,
    ReleaseType,
    Sentence,
    SentenceKind,
    Status,
    StatusEvent,
)
from .roles import SYSTEM
from .services import people_status_refresh

CHANGE_REASON = "synthetic data"
BATCH_SIZE = 1000
RELEASED_SHARE = 0.3
# Of the released, this share were freed with others (a pardon, an exchange): in a release group.
GROUPED_SHARE = 0.4
MAX_SOURCES = 300
# Tests match it.
REFUSED = (
    "The database already has {count} people and DEBUG is off: this looks like a real database. "
    "Synthetic people are for benchmark databases; pass --force if this is one."
)

# (Latin as the records romanise Belarusian, Belarusian, Russian): given names by gender.
GIVEN_NAMES = {
    Gender.MALE: (
        ("Aliaksandr", "Аляксандр", "Александр"),
        ("Aliaksei", "Аляксей", "Алексей"),
        ("Ales", "Алесь", "Олесь"),
        ("Andrei", "Андрэй", "Андрей"),
        ("Anton", "Антон", "Антон"),
        ("Artsiom", "Арцём", "Артём"),
        ("Dzmitry", "Дзмітрый", "Дмитрий"),
        ("Ihar", "Ігар", "Игорь"),
        ("Ivan", "Іван", "Иван"),
        ("Kanstantsin", "Канстанцін", "Константин"),
        ("Leanid", "Леанід", "Леонид"),
        ("Maksim", "Максім", "Максим"),
        ("Mikalai", "Мікалай", "Николай"),
        ("Mikhail", "Міхаіл", "Михаил"),
        ("Pavel", "Павел", "Павел"),
        ("Piotr", "Пётр", "Пётр"),
        ("Raman", "Раман", "Роман"),
        ("Siarhei", "Сяргей", "Сергей"),
        ("Stanislau", "Станіслаў", "Станислав"),
        ("Uladzimir", "Уладзімір", "Владимир"),
        ("Vadzim", "Вадзім", "Вадим"),
        ("Vasil", "Васіль", "Василий"),
        ("Viktar", "Віктар", "Виктор"),
        ("Yauhen", "Яўген", "Евгений"),
        ("Yury", "Юрый", "Юрий"),
    ),
    Gender.FEMALE: (
        ("Aksana", "Аксана", "Оксана"),
        ("Alena", "Алена", "Елена"),
        ("Darya", "Дар'я", "Дарья"),
        ("Halina", "Галіна", "Галина"),
        ("Hanna", "Ганна", "Анна"),
        ("Iryna", "Ірына", "Ирина"),
        ("Katsiaryna", "Кацярына", "Екатерина"),
        ("Ksenia", "Ксенія", "Ксения"),
        ("Liudmila", "Людміла", "Людмила"),
        ("Maryia", "Марыя", "Мария"),
        ("Maryna", "Марына", "Марина"),
        ("Natallia", "Наталля", "Наталья"),
        ("Nina", "Ніна", "Нина"),
        ("Palina", "Паліна", "Полина"),
        ("Sviatlana", "Святлана", "Светлана"),
        ("Tatsiana", "Таццяна", "Татьяна"),
        ("Valiantsina", "Валянціна", "Валентина"),
        ("Viktoryia", "Вікторыя", "Виктория"),
        ("Volha", "Вольга", "Ольга"),
        ("Yuliya", "Юлія", "Юлия"),
    ),
}


@dataclass(frozen=True)
class Surname:
    """A family name in the three scripts, with its feminine form where the language has one."""

    latin: str
    be: str
    ru: str
    latin_f: str = ""
    be_f: str = ""
    ru_f: str = ""

    def forms(self, gender: str) -> tuple[str, str, str]:
        if gender == Gender.FEMALE and self.latin_f:
            return self.latin_f, self.be_f, self.ru_f
        return self.latin, self.be, self.ru


# The Belarusian and Russian forms always differ, so a person's three variants are three names.
SURNAMES = (
    Surname("Kavalenka", "Каваленка", "Коваленко"),
    Surname("Marchanka", "Марчанка", "Марченко"),
    Surname("Tkachenka", "Ткачэнка", "Ткаченко"),
    Surname("Bandarenka", "Бандарэнка", "Бондаренко"),
    Surname("Sauchanka", "Саўчанка", "Савченко"),
    Surname("Kuzmenka", "Кузьменка", "Кузьменко"),
    Surname("Sidarenka", "Сідарэнка", "Сидоренко"),
    Surname("Radzkevich", "Радзькевіч", "Радькевич"),
    Surname("Karpovich", "Карповіч", "Карпович"),
    Surname("Yakubovich", "Якубовіч", "Якубович"),
    Surname("Mikhalevich", "Міхалевіч", "Михалевич"),
    Surname("Hrynevich", "Грыневіч", "Гриневич"),
    Surname("Stankevich", "Станкевіч", "Станкевич"),
    Surname("Dashkevich", "Дашкевіч", "Дашкевич"),
    Surname("Martsinkevich", "Марцінкевіч", "Марцинкевич"),
    Surname("Klimovich", "Клімовіч", "Климович"),
    Surname("Barysevich", "Барысевіч", "Борисевич"),
    Surname("Pashkevich", "Пашкевіч", "Пашкевич"),
    Surname("Vasilevich", "Васілевіч", "Василевич"),
    Surname("Lahvinovich", "Лагвіновіч", "Логвинович"),
    Surname("Piatrashevich", "Пятрашэвіч", "Петрашевич"),
    Surname("Rabtsevich", "Рабцэвіч", "Рабцевич"),
    Surname("Tsikhanovich", "Ціхановіч", "Тихонович"),
    Surname("Hurynovich", "Гурыновіч", "Гуринович"),
    Surname("Statkevich", "Статкевіч", "Статкевич"),
    Surname("Kavalchuk", "Кавальчук", "Ковальчук"),
    Surname("Semianchuk", "Сямянчук", "Семенчук"),
    Surname("Yarashuk", "Ярашук", "Ярошук"),
    Surname("Maksimchuk", "Максімчук", "Максимчук"),
    Surname("Filipchyk", "Філіпчык", "Филипчик"),
    Surname("Novik", "Новік", "Новик"),
    Surname("Budzko", "Будзько", "Будько"),
    Surname("Hanchar", "Ганчар", "Гончар"),
    Surname("Kazlouski", "Казлоўскі", "Козловский", "Kazlouskaya", "Казлоўская", "Козловская"),
    Surname("Zhukouski", "Жукоўскі", "Жуковский", "Zhukouskaya", "Жукоўская", "Жуковская"),
    Surname("Dubrouski", "Дуброўскі", "Дубровский", "Dubrouskaya", "Дуброўская", "Дубровская"),
    Surname("Vishneuski", "Вішнеўскі", "Вишневский", "Vishneuskaya", "Вішнеўская", "Вишневская"),
    Surname("Lapitski", "Лапіцкі", "Лапицкий", "Lapitskaya", "Лапіцкая", "Лапицкая"),
    Surname("Savitski", "Савіцкі", "Савицкий", "Savitskaya", "Савіцкая", "Савицкая"),
    Surname("Babitski", "Бабіцкі", "Бабицкий", "Babitskaya", "Бабіцкая", "Бабицкая"),
    Surname("Yasinski", "Ясінскі", "Ясинский", "Yasinskaya", "Ясінская", "Ясинская"),
    Surname("Shymanski", "Шыманскі", "Шиманский", "Shymanskaya", "Шыманская", "Шиманская"),
    Surname("Ivanou", "Іваноў", "Иванов", "Ivanova", "Іванова", "Иванова"),
    Surname("Marozau", "Марозаў", "Морозов", "Marozava", "Марозава", "Морозова"),
    Surname("Kuzniatsou", "Кузняцоў", "Кузнецов", "Kuzniatsova", "Кузняцова", "Кузнецова"),
    Surname("Paliakou", "Палякоў", "Поляков", "Paliakova", "Палякова", "Полякова"),
    Surname("Smirnou", "Смірноў", "Смирнов", "Smirnova", "Смірнова", "Смирнова"),
    Surname("Sakalou", "Сакалоў", "Соколов", "Sakalova", "Сакалова", "Соколова"),
    Surname("Vasilyeu", "Васільеў", "Васильев", "Vasilyeva", "Васільева", "Васильева"),
    Surname("Aliakseyeu", "Аляксееў", "Алексеев", "Aliakseyeva", "Аляксеева", "Алексеева"),
    Surname("Karpau", "Карпаў", "Карпов", "Karpava", "Карпава", "Карпова"),
    Surname("Kavalyou", "Кавалёў", "Ковалёв", "Kavalyova", "Кавалёва", "Ковалёва"),
    Surname("Mikalayeu", "Мікалаеў", "Николаев", "Mikalayeva", "Мікалаева", "Николаева"),
    Surname("Zaitsau", "Зайцаў", "Зайцев", "Zaitsava", "Зайцава", "Зайцева"),
    Surname("Volkau", "Волкаў", "Волков", "Volkava", "Волкава", "Волкова"),
    Surname("Lebedzeu", "Лебедзеў", "Лебедев", "Lebedzeva", "Лебедзева", "Лебедева"),
)

OCCUPATIONS = (
    "journalist",
    "teacher",
    "IT specialist",
    "factory worker",
    "student",
    "doctor",
    "entrepreneur",
    "engineer",
    "lawyer",
    "pensioner",
    "musician",
    "blogger",
)
# Roughly where the lists' people come from: Minsk first.
REGION_WEIGHTS = {
    Region.MINSK_CITY: 40,
    Region.MINSK_REGION: 10,
    Region.HOMEL: 10,
    Region.BREST: 9,
    Region.HRODNA: 9,
    Region.VITSEBSK: 9,
    Region.MAHILIOU: 9,
    Region.ABROAD: 4,
}
FACILITIES = (
    ("Pre-trial detention centre No. 1", FacilityKind.PRE_TRIAL, "Minsk", Region.MINSK_CITY),
    ("KGB pre-trial detention centre", FacilityKind.KGB, "Minsk", Region.MINSK_CITY),
    ("Pre-trial detention centre No. 3", FacilityKind.PRE_TRIAL, "Homel", Region.HOMEL),
    ("Prison No. 8", FacilityKind.PRISON, "Zhodzina", Region.MINSK_REGION),
    ("Prison No. 4", FacilityKind.PRISON, "Mahiliou", Region.MAHILIOU),
    ("Penal colony No. 2", FacilityKind.COLONY, "Babruisk", Region.MAHILIOU),
    ("Penal colony No. 3", FacilityKind.COLONY, "Vitsba", Region.VITSEBSK),
    ("Penal colony No. 9", FacilityKind.COLONY, "Horki", Region.MAHILIOU),
    ("Penal colony No. 15", FacilityKind.COLONY, "Mahiliou", Region.MAHILIOU),
    ("Penal colony No. 17", FacilityKind.COLONY, "Shklou", Region.MAHILIOU),
    ("Penal colony No. 22", FacilityKind.COLONY, "Ivatsevichy", Region.BREST),
    ("Penal colony No. 4", FacilityKind.COLONY, "Homel", Region.HOMEL),
    ("Penal colony No. 24", FacilityKind.COLONY, "Zarechcha", Region.HOMEL),
)
# The demo's articles (prisoners.demo) and the others political cases are most often brought under.
LEGAL_ARTICLE_DATA = {
    **LEGAL_ARTICLES,
    "293.2": ArticleData(
        LegalCode.CRIMINAL,
        "293",
        "2",
        "Participation in mass riots",
        title_be="Масавыя беспарадкі",
        title_ru="Массовые беспорядки",
    ),
    "342": ArticleData(
        LegalCode.CRIMINAL,
        "342",
        "",
        "Organisation of or active participation in actions grossly violating public order",
        title_be="Арганізацыя і падрыхтоўка дзеянняў, якія груба парушаюць грамадскі парадак, або актыўны ўдзел у іх",
        title_ru=(
            "Организация и подготовка действий, грубо нарушающих общественный порядок, либо активное участие в них"
        ),
    ),
    "361-1": ArticleData(
        LegalCode.CRIMINAL,
        "361-1",
        "",
        "Creation of an extremist formation or participation in it",
        title_be="Стварэнне экстрэмісцкага фарміравання або ўдзел у ім",
        title_ru="Создание экстремистского формирования либо участие в нем",
    ),
    "364": ArticleData(
        LegalCode.CRIMINAL,
        "364",
        "",
        "Violence or threat of violence against a police officer",
        title_be="Гвалт або пагроза прымянення гвалту ў адносінах да супрацоўніка органаў унутраных спраў",
        title_ru="Насилие либо угроза применения насилия в отношении сотрудника органов внутренних дел",
    ),
    "368": ArticleData(
        LegalCode.CRIMINAL,
        "368",
        "",
        "Insulting the President of the Republic of Belarus",
        title_be="Абраза Прэзідэнта Рэспублікі Беларусь",
        title_ru="Оскорбление Президента Республики Беларусь",
    ),
    "369": ArticleData(
        LegalCode.CRIMINAL,
        "369",
        "",
        "Insulting a representative of the authorities",
        title_be="Абраза прадстаўніка ўлады",
        title_ru="Оскорбление представителя власти",
    ),
}
ARTICLE_WEIGHTS = {"342": 30, "361-1": 14, "368": 10, "369": 12, "130": 10, "293.2": 8, "293.1": 3, "364": 8, "357": 5}
SOURCE_KINDS = (SourceKind.NEWS, SourceKind.NEWS, SourceKind.NGO_REPORT, SourceKind.COURT_DOCUMENT)
OUTLETS = ("Viasna", "Nasha Niva", "Zerkalo", "Belsat", "Euroradio", "Radio Svaboda", "Mediazona Belarus")
QUOTES = (
    "was detained at home",
    "was sentenced by the court",
    "has been recognised as a political prisoner",
    "was transferred to a penal colony",
    "was released",
    "is accused under the article",
    "the hearing was closed to the public",
)
# Data, not interface: group names are what a researcher would type, in English.
GROUP_NAMES = {ReleaseType.PARDON: "Pardon", ReleaseType.FORCED_EXILE: "Forced exile", ReleaseType.EXCHANGE: "Exchange"}
DETENTIONS_FROM = dt.date(2020, 8, 1)
DETENTIONS_UNTIL = dt.date(2025, 6, 30)


@dataclass
class _Planned:
    """One person's records before they are written; the rows that need another's id are filled in as it gets one."""

    person: Person
    variants: list[NameVariant]
    events: list[StatusEvent]
    custody: CustodyPeriod
    release: Release | None
    articles: list[LegalArticle]
    sentences: list[tuple[str, str, int, int, str]]  # kind, date, years, months, regime
    case: Case
    defendant: Defendant | None = None
    charges: list[Charge] = field(default_factory=list)
    sentence_rows: list[Sentence] = field(default_factory=list)


@functools.lru_cache(maxsize=200_000)
def _name_key(text: str) -> str:
    # As NameVariant.save(): transliteration lengthens a name, the key is cut to its column.
    return identity.name_key_text(text)[: NameVariant._meta.get_field("normalized").max_length]


@functools.lru_cache(maxsize=200_000)
def _sort_key(name: str, language: str) -> str:
    # As Person.save(), cut to the column.
    return collation.name_sort_key(name, language)[:255]


def name_variant_filled(variant: NameVariant) -> NameVariant:
    """The fields NameVariant.save() computes (normalized, script), for a variant bulk-created without it."""
    variant.normalized = _name_key(variant.text)
    if not variant.script:
        variant.script = (
            NameScript.CYRILLIC if any("\u0400" <= c <= "\u04ff" for c in variant.text) else NameScript.LATIN
        )
    return variant


def person_sort_keys_filled(person: Person) -> Person:
    """The sort keys Person.save() makes from the names, for a person bulk-created without it."""
    for language, sort_field in collation.SORT_KEY_FIELDS.items():
        setattr(person, sort_field, _sort_key(person.name_in(language), language))
    return person


def refusal(*, force: bool) -> str:
    """Why generation must not run here ("" if it may): never fill what looks like a real database."""
    if force or settings.DEBUG:
        return ""
    count = Person.objects.count()
    return REFUSED.format(count=count) if count else ""


def _partial(rng: random.Random, day: dt.date, exact: float = 0.65, month: float = 0.25) -> str:
    """The date as sources give it: mostly the day, else the month ("2021-05") or only the year."""
    draw = rng.random()
    if draw < exact:
        return day.isoformat()
    if draw < exact + month:
        return day.strftime("%Y-%m")
    return str(day.year)


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class _Generator:
    def __init__(self, *, people: int, seed: int, today: dt.date):
        self.rng = random.Random(seed)
        self.today = today
        self.now = timezone.now()
        # Numbers slugs, case numbers and addresses after the people already there, so a second
        # run (--force) adds people instead of colliding with the first run's.
        self.offset = Person.objects.count()
        self.released = set(self.rng.sample(range(people), round(people * RELEASED_SHARE)))
        self.articles = self._legal_articles()
        self.facilities = self._facilities()
        self.sources = self._sources(min(MAX_SOURCES, max(10, people // 3)))
        self.groups = self._release_groups(max(1, people // 1000))
        self.content_types = {
            model: ContentType.objects.get_for_model(model)
            for model in (Person, StatusEvent, CustodyPeriod, Charge, Sentence, Release)
        }

    # --- Shared records -----------------------------------------------------------------------

    def _create(self, model, objects: list) -> list:
        return bulk_create_with_history(
            objects, model, batch_size=BATCH_SIZE, default_change_reason=CHANGE_REASON, default_date=self.now
        )

    def _legal_articles(self) -> dict[str, LegalArticle]:
        wanted = {key: LEGAL_ARTICLE_DATA[key] for key in ARTICLE_WEIGHTS}
        existing = {
            (article.code, article.article, article.part): article
            for article in LegalArticle.objects.filter(article__in={data.article for data in wanted.values()})
        }
        missing = [
            LegalArticle(code=data.code, article=data.article, part=data.part, title=data.title, **_titles(data))
            for data in wanted.values()
            if (data.code, data.article, data.part) not in existing
        ]
        for article in self._create(LegalArticle, missing):
            existing[(article.code, article.article, article.part)] = article
        return {key: existing[(data.code, data.article, data.part)] for key, data in wanted.items()}

    def _facilities(self) -> list[Facility]:
        existing = {
            facility.name: facility for facility in Facility.objects.filter(name__in=[f[0] for f in FACILITIES])
        }
        missing = [
            Facility(name=name, kind=kind, city=city, region=region)
            for name, kind, city, region in FACILITIES
            if name not in existing
        ]
        self._create(Facility, missing)
        return list(existing.values()) + missing

    def _sources(self, count: int) -> list[Source]:
        rng, start = self.rng, Source.objects.count()
        sources = []
        for number in range(start + 1, start + count + 1):
            published = DETENTIONS_FROM + dt.timedelta(days=rng.randrange((self.today - DETENTIONS_FROM).days))
            outlet = rng.choice(OUTLETS)
            sources.append(
                Source(
                    url=f"https://news.example.invalid/synthetic/{number}",
                    title=f"{outlet}: court report {number}",
                    outlet=outlet,
                    language=rng.choice(("be", "ru", "en")),
                    published=_partial(rng, published, exact=0.9, month=0.1),
                    kind=rng.choice(
                        (SourceKind.NEWS, SourceKind.NEWS, SourceKind.NGO_REPORT, SourceKind.COURT_DOCUMENT)
                    ),
                )
            )
        return self._create(Source, sources)

    def _release_groups(self, count: int) -> list[tuple[ReleaseGroup, str]]:
        """Groups with the release type of their members (a pardon, an exchange), earliest first."""
        rng, start = self.rng, ReleaseGroup.objects.count()
        first = dt.date(2022, 1, 1)
        groups, kinds = [], []
        for number in range(start + 1, start + count + 1):
            day = first + dt.timedelta(days=rng.randrange((self.today - first).days))
            kind = rng.choice((ReleaseType.PARDON, ReleaseType.PARDON, ReleaseType.FORCED_EXILE, ReleaseType.EXCHANGE))
            abroad = kind != ReleaseType.PARDON
            groups.append(
                ReleaseGroup(
                    name=f"{GROUP_NAMES[kind]} of {day:%d %B %Y}",
                    slug=f"synthetic-release-{number}",
                    date=day.isoformat(),
                    mediator="United States" if abroad else "",
                    destination="Lithuania" if abroad else "",
                )
            )
            kinds.append(kind)
        groups = self._create(ReleaseGroup, groups)
        return sorted(zip(groups, kinds, strict=True), key=lambda pair: pair[0].date_earliest)

    # --- People --------------------------------------------------------------------------------

    def _plan(self, index: int) -> _Planned:
        rng = self.rng
        gender = Gender.FEMALE if rng.random() < 0.15 else Gender.MALE
        given = rng.choice(GIVEN_NAMES[gender])
        family = rng.choice(SURNAMES).forms(gender)
        latin, be, ru = (f"{given[i]} {family[i]}" for i in range(3))
        number = self.offset + index + 1
        published_at = self.now - dt.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        birth = dt.date(rng.randint(1955, 2004), 1, 1) + dt.timedelta(days=rng.randrange(365))
        person = Person(
            display_name=latin,
            name_latin=latin,
            name_be=be,
            name_ru=ru,
            slug=f"{slugify(latin)[:180]}-{number}",
            gender=gender,
            region=_weighted(rng, REGION_WEIGHTS),
            occupation=rng.choice(OCCUPATIONS),
            birth_date=birth.isoformat() if rng.random() < 0.7 else str(birth.year),
            publication_state=PublicationState.PUBLISHED,
            published_at=published_at,
            # Some weeks after publishing, never later than now: the public state (ETag) is the latest.
            public_updated_at=min(self.now, published_at + dt.timedelta(minutes=rng.randrange(60 * 24 * 30))),
        )
        person_sort_keys_filled(person)
        variants = [
            NameVariant(person=person, text=latin, kind=NameKind.OFFICIAL_ROMANISATION),
            NameVariant(person=person, text=be, language="be", kind=NameKind.NATIVE),
            NameVariant(person=person, text=ru, language="ru", kind=NameKind.NATIVE),
        ]

        detained = DETENTIONS_FROM + dt.timedelta(days=rng.randrange((DETENTIONS_UNTIL - DETENTIONS_FROM).days))
        convicted = detained + dt.timedelta(days=rng.randint(60, 400))
        last_custody = convicted + dt.timedelta(days=rng.randint(20, 120))
        events = [
            (Status.DETAINED, _partial(rng, detained)),
            (Status.RECOGNISED, _partial(rng, detained + dt.timedelta(days=rng.randint(10, 90)))),
            (Status.CONVICTED, _partial(rng, convicted)),
        ]
        fourth = rng.random()
        if fourth < 0.2:
            events.insert(1, (Status.PRE_TRIAL, _partial(rng, detained + dt.timedelta(days=rng.randint(2, 10)))))
        elif fourth < 0.5:
            events.append((Status.IMPRISONED, _partial(rng, last_custody)))
        elif fourth < 0.6:
            events.append((Status.TRANSFERRED, _partial(rng, last_custody)))

        release = None
        if index in self.released:
            release = self._release(person, last_custody)
        facility = rng.choice(self.facilities)
        custody = CustodyPeriod(
            person=person,
            facility=facility,
            start=events[0][1],
            end=release.date if release else "",
        )
        articles = [self.articles[key] for key in dict.fromkeys(_weighted(rng, ARTICLE_WEIGHTS) for _ in range(3))]
        articles = articles[: rng.choice((1, 1, 2, 2, 3))]
        years, months = rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10, 15)), rng.choice((0, 0, 0, 6))
        regime = rng.choice((Regime.GENERAL, Regime.GENERAL, Regime.ENHANCED, Regime.STRICT))
        sentences = [(SentenceKind.ORIGINAL, _partial(rng, convicted), years, months, regime)]
        if rng.random() < 0.5:
            if rng.random() < 0.5:
                sentences.append((SentenceKind.ADDITIONAL, _partial(rng, last_custody), 1, 0, regime))
            else:
                later = convicted + dt.timedelta(days=rng.randint(30, 90))
                sentences.append(
                    (SentenceKind.CHANGED_ON_APPEAL, _partial(rng, later), max(1, years - 1), months, regime)
                )
        case_number = f"{number:08d}"
        return _Planned(
            person=person,
            variants=variants,
            events=[StatusEvent(person=person, status=status, date=date) for status, date in events],
            custody=custody,
            release=release,
            articles=articles,
            sentences=sentences,
            case=Case(title=f"Criminal case No. {case_number}", case_number=case_number, court="Minsk City Court"),
        )

    def _release(self, person: Person, last_custody: dt.date) -> Release:
        rng = self.rng
        later = [(group, kind) for group, kind in self.groups if group.date_earliest > last_custody]
        if later and rng.random() < GROUPED_SHARE:
            group, kind = rng.choice(later)
            return Release(person=person, group=group, date=group.date, release_type=kind)
        day = min(last_custody + dt.timedelta(days=rng.randint(30, 900)), self.today)
        kind = rng.choice(
            (ReleaseType.END_OF_TERM,) * 6 + (ReleaseType.PARDON,) * 3 + (ReleaseType.COMMUTED, ReleaseType.DIED)
        )
        return Release(person=person, date=_partial(rng, day, exact=0.8, month=0.15), release_type=kind)

    def _citations(self, objects, count_each: int = 1) -> list[Citation]:
        rng = self.rng
        citations = []
        for obj in objects:
            content_type = self.content_types[type(obj)]
            for _ in range(count_each):
                citations.append(
                    Citation(
                        source=rng.choice(self.sources),
                        quote=rng.choice(QUOTES),
                        certainty=Certainty.CONFIRMED if rng.random() < 0.3 else Certainty.REPORTED,
                        content_type=content_type,
                        object_id=obj.pk,
                    )
                )
        return citations

    @transaction.atomic
    def batch(self, start: int, stop: int) -> int:
        """Write people start..stop-1 with everything recorded about them, then derive their status."""
        planned = [self._plan(index) for index in range(start, stop)]
        people = self._create(Person, [plan.person for plan in planned])
        self._create(NameVariant, [name_variant_filled(v) for plan in planned for v in plan.variants])
        events = self._create(StatusEvent, [event for plan in planned for event in plan.events])
        custody = self._create(CustodyPeriod, [plan.custody for plan in planned])
        releases = self._create(Release, [plan.release for plan in planned if plan.release])
        self._create(Case, [plan.case for plan in planned])
        for plan in planned:
            plan.defendant = Defendant(case=plan.case, person=plan.person)
        self._create(Defendant, [plan.defendant for plan in planned])
        charges = []
        for plan in planned:
            plan.charges = [Charge(defendant=plan.defendant, article=article) for article in plan.articles]
            charges += plan.charges
        self._create(Charge, charges)
        originals, amendments = [], []
        for plan in planned:
            for kind, date, years, months, regime in plan.sentences:
                sentence = Sentence(
                    defendant=plan.defendant, kind=kind, date=date, term_years=years, term_months=months, regime=regime
                )
                (originals if kind == SentenceKind.ORIGINAL else amendments).append(sentence)
                plan.sentence_rows.append(sentence)
        self._create(Sentence, originals)
        for plan in planned:
            if len(plan.sentence_rows) == 2 and plan.sentence_rows[1].kind == SentenceKind.CHANGED_ON_APPEAL:
                plan.sentence_rows[1].amends = plan.sentence_rows[0]
        self._create(Sentence, amendments)
        citations = self._citations(people, count_each=2)
        citations += self._citations(events) + self._citations(custody) + self._citations(releases)
        citations += self._citations(charges) + self._citations(originals + amendments)
        self._create(Citation, citations)
        people_status_refresh(people=Person.objects.filter(pk__in=[p.pk for p in people]), acting_user=SYSTEM)
        return len(people)


def _titles(data: ArticleData) -> dict[str, str]:
    return {"title_be": data.title_be, "title_ru": data.title_ru}


def synthetic_people_create(
    *, people: int, seed: int = 1, progress: Callable[[int], None] | None = None, today: dt.date | None = None
) -> int:
    """Add `people` published synthetic people of the benchmark's shape, in batches; returns how many.

    Each batch of BATCH_SIZE people is one transaction, complete with its derived fields, so an
    interrupted run leaves whole people. `progress` is called with the number added by each batch.
    """
    # DEBUG would keep (and format) every statement of the load in connection.queries.
    with override_settings(DEBUG=False):
        generator = _Generator(people=people, seed=seed, today=today or timezone.localdate())
        created = 0
        for start in range(0, people, BATCH_SIZE):
            added = generator.batch(start, min(start + BATCH_SIZE, people))
            created += added
            if progress:
                progress(added)
        if connection.vendor == "postgresql":
            # A bulk load leaves the planner without statistics until autovacuum comes by; the
            # benchmark that follows must see the plans a settled database gets.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    return created


# --- A CSV in the import format (docs/import-format.md), for timing the import -----------------


def cases_csv(*, rows: int, seed: int, articles: list[str]) -> bytes:
    """A file of `rows` new people as researchers would fill it, dates typed several ways.

    `articles` are references to articles on record (e.g. "342", "293.1"); none: no articles column values.
    """
    rng = random.Random(seed)
    out = io.StringIO()
    # The import's own columns; the ones left out (private notes) stay empty.
    writer = csv.DictWriter(out, fieldnames=imports.COLUMNS)
    writer.writeheader()
    for number in range(1, rows + 1):
        gender = Gender.FEMALE if rng.random() < 0.15 else Gender.MALE
        given = rng.choice(GIVEN_NAMES[gender])
        family = rng.choice(SURNAMES).forms(gender)
        latin, be, ru = (f"{given[i]} {family[i]}" for i in range(3))
        detained = DETENTIONS_FROM + dt.timedelta(days=rng.randrange((DETENTIONS_UNTIL - DETENTIONS_FROM).days))
        released = detained + dt.timedelta(days=rng.randint(200, 900)) if rng.random() < RELEASED_SHARE else None
        writer.writerow(
            {
                "external_id": f"bench-import-{seed}-{number}",
                "name": latin,
                "name_variants": f"{be};{ru}",
                "birth_date": rng.choice(
                    (f"{rng.randint(1960, 2004)}", f"{rng.randint(1, 28):02d}.0{rng.randint(1, 9)}.1985")
                ),
                "gender": gender,
                "region": _weighted(rng, REGION_WEIGHTS),
                "status": "released" if released else rng.choice(("imprisoned", "convicted", "pre_trial")),
                "detained_on": rng.choice(
                    (detained.strftime("%d.%m.%Y"), detained.isoformat(), detained.strftime("%Y-%m"))
                ),
                "released_on": released.strftime("%d.%m.%Y") if released else "",
                "release_type": rng.choice(("pardon", "end_of_term")) if released else "",
                "articles": ";".join(rng.sample(articles, min(len(articles), rng.randint(1, 2)))) if articles else "",
                "sentence": f"{rng.randint(1, 12)}y",
                "public": "yes",
                "source_url": f"https://news.example.invalid/import/{seed}/{number % 50}",
                "source_title": f"Court report {number % 50}",
                "quote": "was sentenced by the court",
            }
        )
    return out.getvalue().encode("utf-8")


def article_references_on_record() -> list[str]:
    """The Criminal Code articles on record, written as the import reads them ("342", "293.1")."""
    return [
        str(ArticleReference(article.article, article.part))
        for article in LegalArticle.objects.filter(code=LegalCode.CRIMINAL).order_by("article", "part")
    ]
