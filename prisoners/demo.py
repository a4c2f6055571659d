"""Demo data: what five news articles of June–August 2025 say, entered as a careful researcher would.

The articles are in `shared/seeds/` (see its README). Only their metadata and short quotations
are stored here. Every fact below is cited to the article that states it; what the articles do
not say is left empty, and where they disagree both readings are cited.

`load_demo()` is idempotent: each row is found by its natural key and rewritten only when the
data here differs, so running it again adds no rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import models, transaction

from sources.models import Certainty, Citation, Document, DocumentKind, Source, SourceKind
from sources.services import citation_add

from .models import (
    Case,
    Charge,
    Defendant,
    Gender,
    LegalArticle,
    LegalCode,
    NameKind,
    NameVariant,
    Person,
    PublicationState,
    Regime,
    Release,
    ReleaseGroup,
    ReleaseType,
    Sentence,
    SentenceKind,
    Status,
    StatusEvent,
)
from .roles import SYSTEM
from .services import person_names_sync, person_publish, record_save, status_refresh_deferred

DEMO = "demo data"

# Leak tests import these: none of them may ever reach a public page, export or API.
PRIVATE_NOTE_MARKER = "PRIVATE-DEMO-NOTE: family contact via caseworker only"
DRAFT_PERSON_SLUG = "anatol-kotau"
RESTRICTED_DOCUMENT_TITLE = "Letter from family (restricted)"

CONFIRMED, REPORTED, DISPUTED = Certainty.CONFIRMED, Certainty.REPORTED, Certainty.DISPUTED
OFFICIAL, PRESS = NameKind.OFFICIAL_ROMANISATION, NameKind.PRESS_SPELLING


# --- Shapes of the data ---------------------------------------------------------------------


@dataclass(frozen=True)
class Cite:
    """A short passage of one article (a key of SOURCES) supporting a fact or one of its fields."""

    source: str
    quote: str
    certainty: str = REPORTED
    field: str = ""
    claim: str = ""


@dataclass(frozen=True)
class SourceData:
    seed_file: str
    title: str
    published: str
    author: str = ""
    outlet: str = ""
    internal_notes: str = ""


@dataclass(frozen=True)
class Variant:
    text: str
    kind: str
    language: str
    cites: tuple[Cite, ...] = ()


@dataclass(frozen=True)
class Event:
    status: str
    date: str
    cites: tuple[Cite, ...]
    note: str = ""


@dataclass(frozen=True)
class ReleaseData:
    group: str  # ReleaseGroupData.slug
    date: str
    release_type: str
    cites: tuple[Cite, ...]
    note: str = ""


@dataclass(frozen=True)
class PersonData:
    slug: str
    display_name: str
    name_be: str
    name_ru: str
    gender: str
    variants: tuple[Variant, ...]
    events: tuple[Event, ...] = ()
    occupation: str = ""
    biography: str = ""
    cites: tuple[Cite, ...] = ()
    release: ReleaseData | None = None
    publication_state: str = PublicationState.PUBLISHED
    private_notes: str = ""


@dataclass(frozen=True)
class ArticleData:
    code: str
    article: str
    part: str
    title: str
    title_be: str = ""
    title_ru: str = ""


@dataclass(frozen=True)
class ChargeData:
    article: str  # key of LEGAL_ARTICLES
    cites: tuple[Cite, ...]
    description: str = ""


@dataclass(frozen=True)
class SentenceData:
    kind: str
    date: str
    cites: tuple[Cite, ...]
    years: int = 0
    months: int = 0
    days: int = 0
    regime: str = ""
    note: str = ""


@dataclass(frozen=True)
class DefendantData:
    person: str  # PersonData.slug
    charges: tuple[ChargeData, ...] = ()
    sentences: tuple[SentenceData, ...] = ()


@dataclass(frozen=True)
class CaseData:
    title: str
    defendants: tuple[DefendantData, ...]
    cites: tuple[Cite, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class ReleaseGroupData:
    slug: str
    name: str
    date: str
    mediator: str
    destination: str
    description: str
    cites: tuple[Cite, ...]
    reported_size: int | None = None


@dataclass(frozen=True)
class DocumentData:
    title: str
    kind: str
    is_public: bool
    people: tuple[str, ...]
    description: str
    pdf_text: str


# --- Sources ---------------------------------------------------------------------------------

SOURCES = {
    "000": SourceData(
        seed_file="000_f4dc3fbb767f12aa.txt",
        title="Belarus: Tikhanovsky’s release prompts calls for more pressure on Lukashenko",
        author="Ruth Green",
        published="2025-07-08",
        # The text names the IBA only as the employer of a quoted expert, not as its publisher.
        internal_notes=(
            "Outlet not printed in the collected text; it quotes the Co-Chair of the IBA’s Human Rights "
            "Institute, so it is probably an International Bar Association publication. Check before citing "
            "the outlet."
        ),
    ),
    "001": SourceData(
        seed_file="001_110330d48e82bce9.txt",
        title="[Opinion by Anna Lubakova on the release of Sergei Tikhanovsky]",
        author="Anna Lubakova",
        published="2025-06-22/2025-06-30",
        internal_notes=(
            "Untitled in the collected text, which ends “Source: Source”. The author is a nonresident fellow "
            "at the Atlantic Council. Written the week after the release (“last weekend”). Gives both 1,150 "
            "and 1,172 as the number still imprisoned."
        ),
    ),
    "002": SourceData(
        seed_file="002_060525a2a7a7c5a8.txt",
        title="[Untitled news report on the release of Siarhei Tsikhanouski, embedding a Helsinki Commission post]",
        published="2025-06-25/..",
        internal_notes=(
            "No by-line or title. Embeds a U.S. Helsinki Commission post of 25 June 2025, so published on or "
            "after that day. Errs: says the presidential election “is going to take place in January, 2025”."
        ),
    ),
    "003": SourceData(
        seed_file="003_d6af15312aeb9754.txt",
        title="[Untitled news report of 21 June 2025 on the release of fourteen political prisoners]",
        published="2025-06-21",
        internal_notes="No by-line or title. Written on the day of the release; names five of the other thirteen.",
    ),
    "004": SourceData(
        seed_file="004_c9f0f54776617a85.txt",
        title="Lukashenko offers to release 1,300 political prisoners – if they leave the country",
        author="Ben Aris",
        outlet="bne IntelliNews",
        published="2025-08-28",
        internal_notes=(
            "Alone in naming the envoy Steve Witkoff (the others: Keith Kellogg) and in a count of 16 released "
            "(attributed to Trump); elsewhere it says 14."
        ),
    ),
}


# --- The release of 21 June 2025 -------------------------------------------------------------

JUNE_2025_GROUP = "release-of-14-political-prisoners-21-june-2025"

RELEASE_GROUPS = (
    ReleaseGroupData(
        slug=JUNE_2025_GROUP,
        name="Release of 14 political prisoners, 21 June 2025",
        date="2025-06-21",
        mediator="Keith Kellogg, U.S. Special Envoy",
        destination="Vilnius, Lithuania",
        reported_size=14,
        description=(
            "Fourteen political prisoners freed during U.S. Special Envoy Keith Kellogg’s visit to Minsk and "
            "taken to Lithuania. One later source reports sixteen."
        ),
        cites=(
            Cite("000", "paid an official visit to the country on 21 June", CONFIRMED, field="date"),
            # Four articles name Keith Kellogg as the envoy; one names Steve Witkoff.
            Cite(
                "000",
                "released after US special envoy Keith Kellogg paid an official visit",
                CONFIRMED,
                field="mediator",
            ),
            Cite(
                "001",
                "freed following U.S. Special Representative Keith Kellogg's visit to Minsk",
                CONFIRMED,
                field="mediator",
            ),
            Cite(
                "002",
                "the US envoy Keith Kellogg was the most influential figure in the talks",
                REPORTED,
                field="mediator",
            ),
            Cite("003", "during the visit of U.S. Special Envoy Keith Kellogg to Minsk", CONFIRMED, field="mediator"),
            Cite(
                "004",
                "a trip to Minsk by US Special Envoy to the Middle East Steve Witkoff",
                DISPUTED,
                field="mediator",
                claim="Steve Witkoff",
            ),
            Cite(
                "001",
                "The couple's reunion in the Lithuanian capital Vilnius on Saturday",
                REPORTED,
                field="destination",
            ),
            Cite("003", "were transferred to Lithuania following their release", CONFIRMED, field="destination"),
            # Fourteen everywhere, except a count of sixteen attributed to Trump.
            Cite(
                "000",
                "one of 13 other political prisoners released",
                CONFIRMED,
                field="reported_size",
                claim="14 released",
            ),
            Cite(
                "001",
                "Tikhanovsky was one of 14 Belarusian political prisoners freed",
                CONFIRMED,
                field="reported_size",
                claim="14 released",
            ),
            Cite(
                "002", "Belarus released 14 political prisoners", CONFIRMED, field="reported_size", claim="14 released"
            ),
            Cite("003", "Fourteen political prisoners", CONFIRMED, field="reported_size", claim="14 released"),
            Cite(
                "004",
                "after he released 14 political prisoners last month",
                REPORTED,
                field="reported_size",
                claim="14 released",
            ),
            Cite(
                "004",
                "Trump reportedly thanked Lukashenko for releasing 16 prisoners",
                DISPUTED,
                field="reported_size",
                claim="16 released",
            ),
        ),
    ),
)

_TRANSFERRED_TO_LITHUANIA = Cite("003", "were transferred to Lithuania following their release", CONFIRMED)
_FORCED_INTO_EXILE = Cite("001", "have effectively been forced into exile", field="release_type")
_FIVE_NAMED_BY_VIASNA = Cite(
    "003",
    "These include Natallia Dulina, Ihar Karney, Halina Krasnianskaya, Akihiro Haievski-Khanada, and Kiryl Balakhanau.",
    CONFIRMED,
)
# What the sources say of the five people named alongside Tsikhanouski.
_RELEASED_EVENT = Event(Status.RELEASED, "2025-06-21", (_FIVE_NAMED_BY_VIASNA,))
_RELEASE = ReleaseData(
    JUNE_2025_GROUP, "2025-06-21", ReleaseType.FORCED_EXILE, (_TRANSFERRED_TO_LITHUANIA, _FORCED_INTO_EXILE)
)

_VIASNA_ARREST = Cite(
    "000",
    "who was arrested in July 2021 along with Valiantsin Stefanovich, his deputy at Belarus’ leading human rights "
    "organisation, Viasna, and their lawyer, Uladzimir Labkovich",
    CONFIRMED,
)


# --- Recognition ------------------------------------------------------------------------------
# Each of these articles calls the person a political prisoner; when the recognition came is
# not stated, so it is dated "on or before" the article.


def _recognised(before: str, cite: Cite) -> Event:
    return Event(Status.RECOGNISED, f"../{before}", (cite,), note="Called a political prisoner by the source.")


_FREED_WITH_HIM = Cite("003", "thirteen other political prisoners were freed")
_VIASNA_THREE = Cite("000", "other Belarusian political prisoners, such as human rights activist Ales Bialiatski")
RECOGNITIONS = {
    "siarhei-tsikhanouski": _recognised(
        "2025-06-21",
        Cite("003", "Fourteen political prisoners, including prominent opposition figure Siarhei Tsikhanouski"),
    ),
    "ihar-karnei": _recognised("2025-06-21", _FREED_WITH_HIM),
    "natallia-dulina": _recognised("2025-06-21", _FREED_WITH_HIM),
    "halina-krasnianskaya": _recognised("2025-06-21", _FREED_WITH_HIM),
    "akihiro-haievski-khanada": _recognised("2025-06-21", _FREED_WITH_HIM),
    "kiryl-balakhanau": _recognised("2025-06-21", _FREED_WITH_HIM),
    "ales-bialiatski": _recognised("2025-07-08", _VIASNA_THREE),
    "valiantsin-stefanovich": _recognised("2025-07-08", _VIASNA_THREE),
    "uladzimir-labkovich": _recognised("2025-07-08", _VIASNA_THREE),
    "viktar-babaryka": _recognised(
        "2025-08-28",
        Cite(
            "004",
            "several of the other most prominent political prisoners remain in detention, including Viktor Babariko",
        ),
    ),
    "viktoria-kulsha": _recognised("2025-06-30", Cite("001", "Prisoners like Viktoria Kulsha")),
}


# --- People ----------------------------------------------------------------------------------

PEOPLE = (
    PersonData(
        slug="siarhei-tsikhanouski",
        display_name="Siarhei Tsikhanouski",
        name_be="Сяргей Ціханоўскі",
        name_ru="Сергей Тихановский",
        gender=Gender.MALE,
        occupation="blogger (YouTube channel “A Country for Life”)",
        variants=(
            Variant(
                "Siarhei Tsikhanouski",
                OFFICIAL,
                "be",
                (Cite("003", "prominent opposition figure Siarhei Tsikhanouski"),),
            ),
            Variant(
                "Sergei Tikhanovsky", PRESS, "en", (Cite("000", "prominent Belarusian activist Sergei Tikhanovsky"),)
            ),
            Variant(
                "Sergey Tikhanovsky",
                PRESS,
                "en",
                (Cite("004", "including Sergey Tikhanovsky (Siarhei Tsikhanouskiy)"),),
            ),
            Variant(
                "Siarhei Tsikhanouskiy",
                PRESS,
                "en",
                (Cite("004", "including Sergey Tikhanovsky (Siarhei Tsikhanouskiy)"),),
            ),
        ),
        cites=(
            Cite(
                "003",
                "rose to prominence in 2019 through his YouTube channel A Country for Life",
                CONFIRMED,
                field="occupation",
            ),
            Cite("002", "who used to be a famous YouTuber blogger", REPORTED, field="occupation"),
            Cite("004", "the popular blogger who challenged Lukashenko", REPORTED, field="occupation"),
        ),
        events=(
            Event(
                Status.DETAINED,
                "2020-05",
                (
                    Cite("002", "was in custody since May 2020"),
                    Cite("001", "jailed in the summer of 2020", claim="jailed in summer 2020"),
                    Cite("003", "He was arrested in 2020 after announcing his presidential ambitions."),
                    Cite("000", "Tikhanovsky was arrested in 2020 for violating public order"),
                ),
            ),
            Event(
                Status.CONVICTED,
                "2021",
                (Cite("003", "In 2021, Tsikhanouski was sentenced to 18 years in a high-security penal colony"),),
            ),
            Event(
                Status.RELEASED,
                "2025-06-21",
                (
                    Cite(
                        "003",
                        "Fourteen political prisoners, including prominent opposition figure Siarhei "
                        "Tsikhanouski, have been released",
                        CONFIRMED,
                    ),
                ),
            ),
        ),
        release=ReleaseData(
            JUNE_2025_GROUP,
            "2025-06-21",
            ReleaseType.FORCED_EXILE,
            (
                _FORCED_INTO_EXILE,
                _TRANSFERRED_TO_LITHUANIA,
                Cite("004", "broker a pardon", REPORTED, field="release_type", claim="pardon"),
            ),
        ),
    ),
    PersonData(
        slug="ihar-karnei",
        display_name="Ihar Karnei",
        name_be="Ігар Карней",
        name_ru="Игорь Корней",
        gender=Gender.MALE,
        occupation="journalist, Radio Free Europe/Radio Liberty",
        variants=(
            Variant(
                "Ihar Karnei",
                OFFICIAL,
                "be",
                (Cite("000", "Ihar Karnei, a veteran Radio Free Europe/Radio Liberty journalist"),),
            ),
            Variant("Igor Kornei", PRESS, "en", (Cite("001", "RFE/RL journalist Igor Kornei"),)),
            Variant("Ihar Karney", PRESS, "en", (_FIVE_NAMED_BY_VIASNA,)),
        ),
        cites=(
            Cite(
                "000",
                "Ihar Karnei, a veteran Radio Free Europe/Radio Liberty journalist",
                CONFIRMED,
                field="occupation",
            ),
            Cite("001", "RFE/RL journalist Igor Kornei", CONFIRMED, field="occupation"),
        ),
        events=(
            Event(
                Status.RELEASED,
                "2025-06-21",
                (
                    _FIVE_NAMED_BY_VIASNA,
                    Cite("000", "was one of 13 other political prisoners released", CONFIRMED),
                    Cite("001", "Among those released were RFE/RL journalist Igor Kornei", CONFIRMED),
                ),
            ),
        ),
        release=_RELEASE,
    ),
    PersonData(
        slug="natallia-dulina",
        display_name="Natallia Dulina",
        name_be="Наталля Дуліна",
        name_ru="Наталья Дулина",
        gender=Gender.FEMALE,
        occupation="university professor",
        variants=(
            Variant("Natallia Dulina", OFFICIAL, "be", (_FIVE_NAMED_BY_VIASNA,)),
            Variant("Natalia Dulina", PRESS, "en", (Cite("001", "university professor Natalia Dulina"),)),
        ),
        cites=(Cite("001", "university professor Natalia Dulina", REPORTED, field="occupation"),),
        events=(
            Event(
                Status.RELEASED,
                "2025-06-21",
                (
                    _FIVE_NAMED_BY_VIASNA,
                    Cite(
                        "001",
                        "Among those released were RFE/RL journalist Igor Kornei and university professor "
                        "Natalia Dulina.",
                        CONFIRMED,
                    ),
                ),
            ),
        ),
        release=_RELEASE,
    ),
    PersonData(
        slug="halina-krasnianskaya",
        display_name="Halina Krasnianskaya",
        name_be="Галіна Краснянская",
        name_ru="Галина Краснянская",
        gender=Gender.FEMALE,
        variants=(Variant("Halina Krasnianskaya", OFFICIAL, "be", (_FIVE_NAMED_BY_VIASNA,)),),
        events=(_RELEASED_EVENT,),
        release=_RELEASE,
    ),
    PersonData(
        slug="akihiro-haievski-khanada",
        display_name="Akihiro Haievski-Khanada",
        name_be="Акіхіра Гаеўскі-Ханада",
        name_ru="Акихиро Гаевский-Ханада",
        gender=Gender.MALE,
        variants=(Variant("Akihiro Haievski-Khanada", PRESS, "en", (_FIVE_NAMED_BY_VIASNA,)),),
        events=(_RELEASED_EVENT,),
        release=_RELEASE,
    ),
    PersonData(
        slug="kiryl-balakhanau",
        display_name="Kiryl Balakhanau",
        name_be="Кірыл Балаханаў",
        name_ru="Кирилл Балаханов",
        gender=Gender.MALE,
        variants=(Variant("Kiryl Balakhanau", OFFICIAL, "be", (_FIVE_NAMED_BY_VIASNA,)),),
        events=(_RELEASED_EVENT,),
        release=_RELEASE,
    ),
    PersonData(
        slug="ales-bialiatski",
        display_name="Ales Bialiatski",
        name_be="Алесь Бяляцкі",
        name_ru="Алесь Беляцкий",
        gender=Gender.MALE,
        occupation="human rights activist",
        variants=(Variant("Ales Bialiatski", OFFICIAL, "be", (Cite("000", "human rights activist Ales Bialiatski"),)),),
        cites=(Cite("000", "human rights activist Ales Bialiatski", CONFIRMED, field="occupation"),),
        events=(Event(Status.DETAINED, "2021-07", (_VIASNA_ARREST,)),),
    ),
    PersonData(
        slug="valiantsin-stefanovich",
        display_name="Valiantsin Stefanovich",
        name_be="Валянцін Стэфановіч",
        name_ru="Валентин Стефанович",
        gender=Gender.MALE,
        occupation="deputy head of Viasna",
        variants=(Variant("Valiantsin Stefanovich", OFFICIAL, "be", (_VIASNA_ARREST,)),),
        cites=(
            Cite(
                "000",
                "Valiantsin Stefanovich, his deputy at Belarus’ leading human rights organisation, Viasna",
                CONFIRMED,
                field="occupation",
            ),
        ),
        events=(Event(Status.DETAINED, "2021-07", (_VIASNA_ARREST,)),),
    ),
    PersonData(
        slug="uladzimir-labkovich",
        display_name="Uladzimir Labkovich",
        name_be="Уладзімір Лабковіч",
        name_ru="Владимир Лабкович",
        gender=Gender.MALE,
        occupation="lawyer",
        variants=(Variant("Uladzimir Labkovich", OFFICIAL, "be", (_VIASNA_ARREST,)),),
        cites=(Cite("000", "their lawyer, Uladzimir Labkovich", CONFIRMED, field="occupation"),),
        events=(Event(Status.DETAINED, "2021-07", (_VIASNA_ARREST,)),),
    ),
    PersonData(
        slug="viktar-babaryka",
        display_name="Viktar Babaryka",
        name_be="Віктар Бабарыка",
        name_ru="Виктор Бабарико",
        gender=Gender.MALE,
        variants=(
            Variant("Viktar Babaryka", OFFICIAL, "be"),
            Variant("Viktor Babariko", PRESS, "en", (Cite("004", "remain in detention, including Viktor Babariko"),)),
        ),
        events=(
            Event(
                Status.IMPRISONED,
                "../2025-08-28",
                (
                    Cite(
                        "004",
                        "several of the other most prominent political prisoners remain in detention, "
                        "including Viktor Babariko",
                    ),
                ),
                note="Reported still in detention on 28 August 2025",
            ),
        ),
    ),
    PersonData(
        slug="maryia-kalesnikava",
        display_name="Maryia Kalesnikava",
        name_be="Марыя Калеснікава",
        name_ru="Мария Колесникова",
        gender=Gender.FEMALE,
        occupation="campaign manager for Viktar Babaryka (2020)",
        variants=(
            Variant("Maryia Kalesnikava", OFFICIAL, "be"),
            Variant(
                "Maria Kolesnikova",
                PRESS,
                "en",
                (Cite("004", "Maria Kolesnikova also remains in jail serving a long sentence"),),
            ),
        ),
        cites=(Cite("004", "who was previously Babariko’s campaign manager", REPORTED, field="occupation"),),
        events=(
            Event(
                Status.DETAINED,
                "2020",
                (Cite("004", "until she was snatched from the street by the local KGB and jailed"),),
                note="Arrested in Minsk during the protests after the 2020 election",
            ),
            # Conviction date not stated: after the arrest, before the article.
            Event(Status.CONVICTED, "2020/2025-08-28", (Cite("004", "eventually tried and convicted"),)),
        ),
    ),
    PersonData(
        slug="viktoria-kulsha",
        display_name="Viktoria Kulsha",
        name_be="Вікторыя Кульша",
        name_ru="Виктория Кульша",
        gender=Gender.FEMALE,
        variants=(Variant("Viktoria Kulsha", PRESS, "en", (Cite("001", "Prisoners like Viktoria Kulsha"),)),),
        biography=(
            "Convicted in 2021 of moderating a Telegram chat in support of anti-regime protests. Reported in "
            "June 2025 to face new charges despite being due for release."
        ),
        cites=(Cite("001", "continue to face new charges despite being due for release", REPORTED, field="biography"),),
        events=(
            Event(
                Status.CONVICTED,
                "2021",
                (Cite("001", "convicted in 2021 of moderating a Telegram chat in support of anti-regime protests"),),
            ),
        ),
    ),
    PersonData(
        slug=DRAFT_PERSON_SLUG,
        display_name="Anatol Kotau",
        name_be="",
        name_ru="",
        gender=Gender.MALE,
        publication_state=PublicationState.DRAFT,
        private_notes=PRIVATE_NOTE_MARKER,
        occupation="former diplomat",
        variants=(
            Variant(
                "Anatol Kotau",
                OFFICIAL,
                "be",
                (Cite("004", "disappearance of Belarusian opposition figure Anatol Kotau"),),
            ),
        ),
        cites=(
            Cite(
                "004",
                "Kotau is a former Belarusian diplomat and mid-level government official",
                REPORTED,
                field="occupation",
            ),
        ),
        events=(
            Event(
                Status.SENTENCED_IN_ABSENTIA,
                "../2025-08-28",
                (
                    Cite(
                        "004",
                        "Sentenced in absentia by a Belarusian court to 12 years in prison on conspiracy and "
                        "coup d'état charges",
                    ),
                ),
                note="12 years, per source",
            ),
            Event(
                Status.DISAPPEARED,
                "2025-08-21",
                (Cite("004", "Kotau was last seen on August 21 after arriving in Istanbul, Turkey"),),
                note="Last seen in Istanbul, Turkey",
            ),
        ),
    ),
)


# --- Cases -----------------------------------------------------------------------------------

# The Belarusian and Russian titles are the headings of the Criminal Code's articles as the
# code's own texts word them (the English ones are descriptions, part 1 of 293 being the organisers').
LEGAL_ARTICLES = {
    "293.1": ArticleData(
        LegalCode.CRIMINAL,
        "293",
        "1",
        "Organisation of mass riots",
        title_be="Масавыя беспарадкі",
        title_ru="Массовые беспорядки",
    ),
    "130": ArticleData(
        LegalCode.CRIMINAL,
        "130",
        "",
        "Incitement of racial, national, religious or other social hatred or discord",
        title_be="Распальванне расавай, нацыянальнай, рэлігійнай або іншай сацыяльнай варожасці або розні",
        title_ru="Разжигание расовой, национальной, религиозной либо иной социальной вражды или розни",
    ),
    "357": ArticleData(
        LegalCode.CRIMINAL,
        "357",
        "",
        "Conspiracy to seize state power",
        title_be="Змова або іншыя дзеянні, учыненыя з мэтай захопу дзяржаўнай улады",
        title_ru="Заговор или иные действия, совершенные с целью захвата государственной власти",
    ),
}

_TSIKHANOUSKI_CHARGES = Cite("003", "on charges including organising mass unrest and inciting hatred")

CASES = (
    CaseData(
        title="Case of Siarhei Tsikhanouski (mass unrest)",
        cites=(_TSIKHANOUSKI_CHARGES,),
        defendants=(
            DefendantData(
                person="siarhei-tsikhanouski",
                charges=(
                    ChargeData("293.1", (_TSIKHANOUSKI_CHARGES,), description="organising mass unrest"),
                    ChargeData("130", (_TSIKHANOUSKI_CHARGES,), description="inciting hatred"),
                ),
                sentences=(
                    SentenceData(
                        SentenceKind.ORIGINAL,
                        "2021",
                        years=18,
                        regime=Regime.STRICT,
                        cites=(
                            Cite(
                                "003",
                                "In 2021, Tsikhanouski was sentenced to 18 years in a high-security penal colony",
                                CONFIRMED,
                            ),
                            Cite("000", "He was sentenced to 18 years in prison."),
                        ),
                    ),
                ),
            ),
        ),
    ),
    # The 2023 extension was a new sentence for a new offence, so it is its own case.
    CaseData(
        title="Case of Siarhei Tsikhanouski (prison rules, 2023)",
        description="Further sentence for alleged breaches of prison rules; the article is not stated in the sources.",
        cites=(Cite("002", "on the offence of supposed ways against the rules in prison"),),
        defendants=(
            DefendantData(
                person="siarhei-tsikhanouski",
                sentences=(
                    SentenceData(
                        SentenceKind.ADDITIONAL,
                        "2023",
                        years=1,
                        months=6,
                        cites=(
                            Cite("003", "In 2023, his sentence was extended by another 18 months", CONFIRMED),
                            Cite("002", "In 2023 he was sentenced to another 1.5 years"),
                            Cite(
                                "002",
                                "had got a total of more than 19 years of prison time",
                                claim="more than 19 years in total",
                            ),
                        ),
                    ),
                ),
            ),
        ),
    ),
    CaseData(
        title="Viasna case",
        description="Prosecution of the head, deputy head and lawyer of the Viasna human rights centre.",
        cites=(Cite("000", "The three were prosecuted amid their efforts to document widespread abuses"),),
        defendants=(
            DefendantData(person="ales-bialiatski"),
            DefendantData(person="valiantsin-stefanovich"),
            DefendantData(person="uladzimir-labkovich"),
        ),
    ),
    CaseData(
        title="Case of Maryia Kalesnikava",
        cites=(Cite("004", "serving a long sentence on charges of trying to organise a coup d'état"),),
        defendants=(
            DefendantData(
                person="maryia-kalesnikava",
                charges=(
                    ChargeData(
                        "357",
                        (Cite("004", "serving a long sentence on charges of trying to organise a coup d'état"),),
                        description="trying to organise a coup d'état",
                    ),
                ),
                sentences=(
                    SentenceData(
                        SentenceKind.ORIGINAL,
                        "",
                        note="A “long sentence” per source; term not stated",
                        cites=(Cite("004", "serving a long sentence"),),
                    ),
                ),
            ),
        ),
    ),
)


# --- Documents -------------------------------------------------------------------------------

RELEASED_ON_21_JUNE = (
    "siarhei-tsikhanouski",
    "ihar-karnei",
    "natallia-dulina",
    "halina-krasnianskaya",
    "akihiro-haievski-khanada",
    "kiryl-balakhanau",
)

DOCUMENTS = (
    DocumentData(
        title=RESTRICTED_DOCUMENT_TITLE,
        kind=DocumentKind.LETTER,
        is_public=False,
        people=("siarhei-tsikhanouski",),
        description="Demo placeholder for a restricted document; the file holds no real correspondence.",
        pdf_text="Casetracker demo: placeholder for a restricted letter. Not a real letter.",
    ),
    DocumentData(
        title="List of people released on 21 June 2025 (compiled by Casetracker researchers)",
        kind=DocumentKind.OTHER,
        is_public=True,
        people=RELEASED_ON_21_JUNE,
        description="The six of the fourteen released on 21 June 2025 whom the sources name.",
        pdf_text="Released 21 June 2025: " + ", ".join(p.display_name for p in PEOPLE if p.slug in RELEASED_ON_21_JUNE),
    ),
)


# --- Loading ---------------------------------------------------------------------------------


def _upsert(model: type[models.Model], lookup: dict, values: dict, on_create: dict | None = None) -> models.Model:
    """Find a row by its natural key, creating it if absent; save again only if `values` changed.

    Re-saving unchanged rows would add a history record on every run. Writes go through the
    one write path, as the system.
    """
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return record_save(acting_user=SYSTEM, obj=model(**lookup, **values, **(on_create or {})), reason=DEMO)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        record_save(acting_user=SYSTEM, obj=obj, reason=DEMO)
    return obj


def _cite(fact: models.Model, cites: tuple[Cite, ...], sources: dict[str, Source]) -> None:
    for cite in cites:
        citation_add(
            acting_user=SYSTEM,
            fact=fact,
            source=sources[cite.source],
            quote=cite.quote,
            certainty=cite.certainty,
            field_name=cite.field,
            claim=cite.claim,
        )


def _placeholder_pdf(line: str) -> bytes:
    """A valid one-page PDF showing `line`, standing in for a scanned document."""
    text = line.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    stream = b"BT /F1 11 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    pdf = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref_at = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_at)
    return bytes(pdf)


def _load_person(data: PersonData, sources: dict[str, Source], groups: dict[str, ReleaseGroup]) -> Person:
    person = _upsert(
        Person,
        {"slug": data.slug},
        {
            "display_name": data.display_name,
            "name_latin": data.display_name,
            "name_be": data.name_be,
            "name_ru": data.name_ru,
            "gender": data.gender,
            "occupation": data.occupation,
            "biography": data.biography,
            "private_notes": data.private_notes,
        },
        # Published at the end of the load, once cited (services: no person is published uncited).
        on_create={"publication_state": PublicationState.DRAFT},
    )
    if data.publication_state != PublicationState.PUBLISHED and person.publication_state != data.publication_state:
        person.publication_state = data.publication_state
        record_save(acting_user=SYSTEM, obj=person, reason=DEMO)
    _cite(person, data.cites, sources)

    native = [
        Variant(text, NameKind.NATIVE, language)
        for text, language in ((data.name_be, "be"), (data.name_ru, "ru"))
        if text
    ]
    for variant in (*data.variants, *native):
        row = _upsert(
            NameVariant, {"person": person, "text": variant.text}, {"kind": variant.kind, "language": variant.language}
        )
        _cite(row, variant.cites, sources)

    recognition = (RECOGNITIONS[data.slug],) if data.slug in RECOGNITIONS else ()
    for event in (*data.events, *recognition):
        row = _upsert(StatusEvent, {"person": person, "status": event.status, "date": event.date}, {"note": event.note})
        _cite(row, event.cites, sources)

    if data.release:
        release = _upsert(
            Release,
            {"person": person, "date": data.release.date},
            {"release_type": data.release.release_type, "group": groups[data.release.group], "note": data.release.note},
        )
        _cite(release, data.release.cites, sources)

    return person


def _load_case(
    data: CaseData, sources: dict[str, Source], people: dict[str, Person], articles: dict[str, LegalArticle]
) -> Case:
    case = _upsert(Case, {"title": data.title}, {"description": data.description})
    _cite(case, data.cites, sources)
    for defendant_data in data.defendants:
        defendant = _upsert(Defendant, {"case": case, "person": people[defendant_data.person]}, {})
        for charge_data in defendant_data.charges:
            charge = _upsert(
                Charge,
                {"defendant": defendant, "article": articles[charge_data.article]},
                {"description": charge_data.description},
            )
            _cite(charge, charge_data.cites, sources)
        for sentence_data in defendant_data.sentences:
            sentence = _upsert(
                Sentence,
                {"defendant": defendant, "kind": sentence_data.kind, "date": sentence_data.date},
                {
                    "term_years": sentence_data.years,
                    "term_months": sentence_data.months,
                    "term_days": sentence_data.days,
                    "regime": sentence_data.regime,
                    "note": sentence_data.note,
                },
            )
            _cite(sentence, sentence_data.cites, sources)
    return case


def _load_document(data: DocumentData, people: dict[str, Person]) -> Document:
    # The file is written only when the row is created, so a rerun leaves one file per document.
    document = _upsert(
        Document,
        {"title": data.title},
        {"kind": data.kind, "is_public": data.is_public, "description": data.description},
        on_create={"file": ContentFile(_placeholder_pdf(data.pdf_text), name="demo.pdf")},
    )
    wanted = {people[slug].pk for slug in data.people}
    if set(document.people.values_list("pk", flat=True)) != wanted:
        record_save(acting_user=SYSTEM, obj=document, m2m={"people": sorted(wanted)}, reason=DEMO)
    return document


@transaction.atomic
def load_demo() -> dict[str, int]:
    """Enter the demo data, or bring it back in line with this module; returns counts of demo rows."""
    with status_refresh_deferred(acting_user=SYSTEM):
        return _load_all()


def _load_all() -> dict[str, int]:
    sources = {
        key: _upsert(
            Source,
            {"title": data.title},
            {
                "author": data.author,
                "outlet": data.outlet,
                "published": data.published,
                "language": "en",
                "kind": SourceKind.NEWS,
                "internal_notes": data.internal_notes,
            },
        )
        for key, data in SOURCES.items()
    }
    articles = {
        key: _upsert(
            LegalArticle,
            {"code": a.code, "article": a.article, "part": a.part},
            {"title": a.title, "title_be": a.title_be, "title_ru": a.title_ru},
        )
        for key, a in LEGAL_ARTICLES.items()
    }
    groups = {}
    for data in RELEASE_GROUPS:
        groups[data.slug] = _upsert(
            ReleaseGroup,
            {"slug": data.slug},
            {
                "name": data.name,
                "date": data.date,
                "mediator": data.mediator,
                "destination": data.destination,
                "reported_size": data.reported_size,
                "description": data.description,
            },
        )
        _cite(groups[data.slug], data.cites, sources)
    people = {data.slug: _load_person(data, sources, groups) for data in PEOPLE}
    cases = [_load_case(data, sources, people, articles) for data in CASES]
    documents = [_load_document(data, people) for data in DOCUMENTS]
    # Last, once events, releases and sentences are all in: status and sort keys derive from them.
    for person in people.values():
        person_names_sync(acting_user=SYSTEM, person=person)
    for data in PEOPLE:
        if data.publication_state == PublicationState.PUBLISHED and not people[data.slug].is_public():
            person_publish(acting_user=SYSTEM, person=people[data.slug])
    return {
        "people": len(people),
        "sources": len(sources),
        "cases": len(cases),
        "release groups": len(groups),
        "documents": len(documents),
        "citations": Citation.objects.filter(source__in=sources.values()).count(),
    }
