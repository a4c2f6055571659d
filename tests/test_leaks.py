"""Nothing private reaches anything an anonymous reader can fetch: every page, file, export, feed and API.

A property test. Hypothesis builds a small world of records in which every private value carries a
unique marker (LEAKxxxxX, letters only, so slugify, escaping and URL encoding leave it whole) and no
public value carries one; then every route the URL resolver knows is fetched, filled from that world,
with every filter of the public list, in every language. A marker anywhere (body, raw bytes,
headers) is a leak. A route the test does not know how to fill fails the test, so a new public
route cannot slip past it.

Which privacy rule each marker exercises is the marker's label (the `rule` argument of
World.secret, listed in RULES below); a failure names it. One rule per label:

  non-public person ........ a draft, withdrawn or soft-deleted person is on no public surface:
                             display_name, name_be, name_ru, slug (so its URL), the name
                             variants made from them, occupation, biography, address, photo bytes
  private notes ............ Person.private_notes, of everyone, published or not
  private name variant ..... NameVariant.is_private, on published people
  variant of non-public .... a variant not private itself, of a non-public person
  import identifier ........ ExternalIdentifier scheme "import" is never public
  identifier of non-public . any other identifier, of a non-public person
  fact of non-public ....... notes of status events, releases, custody, sentences, charges and
                             defendant roles of a non-public person (their facts follow them)
  private citation ......... Citation.is_private (or a field name that forces it private)
  citation of non-public ... a citation not private itself, of a fact that is not public
  source internals ......... Source.internal_notes and Source.text, of every source
  snapshot ................. Snapshot.raw_html and Snapshot.text, of every source
  non-public source ........ a source supporting no public citation (title, author)
  restricted document ...... Document.is_public False: title, description, text, file bytes
  document of non-public ... a document marked public that concerns a non-public person
  document of no one ....... a document marked public that concerns nobody
  upload name .............. the name a file was uploaded under (photo, document), and
                             Document.original_name: a file name can identify a person
  non-public group ......... a release group whose members are all non-public (or none)
  non-public case .......... a case with no public defendant (description, number, court);
                             titles are never secret (researchers write neutral ones)
  non-public facility ...... a facility only non-public people were held in
  unreviewed ............... a Researcher's fact or citation on a published person, waiting for
                             an Editor's review (review_state pending)

Beyond markers, two oracles: a page must 404 exactly when the privacy model says its record is
not public (so the test cannot pass by showing nothing), and every public response must be the same
once every private row is deleted (so no count, order or page number depends on private data).

Runtime: list variations take turns at the three languages (detail pages are fetched in all
three) and a property-test example samples them. LEAK_EXAMPLES=200 runs more examples;
LEAK_EVERY_LANGUAGE=1 fetches every URL in every language.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse, translate_url
from django.utils import timezone, translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from prisoners.filters import PersonFilter
from prisoners.models import (
    Case,
    Charge,
    CustodyPeriod,
    Defendant,
    ExternalIdentifier,
    Facility,
    Gender,
    NameKind,
    NameVariant,
    Person,
    PublicationState,
    Region,
    Release,
    ReleaseGroup,
    ReleaseType,
    ReviewState,
    Sentence,
    Status,
    StatusEvent,
)
from prisoners.roles import SYSTEM
from prisoners.services import person_delete, person_status_refresh
from prisoners.sitemaps import SITEMAPS
from sources.models import Citation, Document, Snapshot, Source
from tests.prisoners.factories import (
    CaseFactory,
    ChargeFactory,
    CustodyPeriodFactory,
    DefendantFactory,
    ExternalIdentifierFactory,
    FacilityFactory,
    LegalArticleFactory,
    NameVariantFactory,
    PersonFactory,
    ReleaseFactory,
    ReleaseGroupFactory,
    SentenceFactory,
    StatusEventFactory,
)
from tests.sources.factories import MINIMAL_PDF, CitationFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("LEAK_EXAMPLES", "5"))
EVERY_LANGUAGE = os.environ.get("LEAK_EVERY_LANGUAGE", "") not in ("", "0")

RULES = (
    "non-public person",
    "private notes",
    "private name variant",
    "variant of non-public",
    "import identifier",
    "identifier of non-public",
    "fact of non-public",
    "private citation",
    "citation of non-public",
    "source internals",
    "snapshot",
    "non-public source",
    "restricted document",
    "document of non-public",
    "document of no one",
    "upload name",
    "non-public group",
    "non-public case",
    "non-public facility",
    "unreviewed",
)

# Consonants only: name search folds vowels, so markers stay distinct words there too.
MARKER_LETTERS = "BCDFGHJKLMNPQRSTV"
MARKER = re.compile(rb"leak[bcdfghjklmnpqrstv]{4}x")
# What a marker becomes in a control request (same shape, never stored).
CONTROL_PREFIX = "CTRL"

LANGUAGES = [code for code, _name in settings.LANGUAGES]
HIDDEN_STATES = ("draft", "withdrawn", "deleted")
PUBLICATION_STATES = {
    "published": PublicationState.PUBLISHED,
    "draft": PublicationState.DRAFT,
    "withdrawn": PublicationState.WITHDRAWN,
    "deleted": PublicationState.PUBLISHED,
}
STATES = ("published", *HIDDEN_STATES)

# Marker-free names for everyone (a non-public person's names get a marker appended).
# (Latin, Belarusian, Russian); no apostrophes, so HTML escaping leaves them whole.
GIVEN_NAMES = [
    ("Ales", "Алесь", "Алесь"),
    ("Maryia", "Марыя", "Мария"),
    ("Ihar", "Ігар", "Игорь"),
    ("Palina", "Паліна", "Полина"),
    ("Mikalai", "Мікалай", "Николай"),
    ("Ksenia", "Ксенія", "Ксения"),
]
SURNAMES = [
    ("Kavalenka", "Каваленка", "Коваленко"),
    ("Sakalova", "Сакалова", "Соколова"),
    ("Marozau", "Марозаў", "Морозов"),
    ("Shved", "Швед", "Швед"),
    ("Hlinski", "Глінскі", "Глинский"),
    ("Zhuk", "Жук", "Жук"),
]
EVENT_STATUSES = [
    Status.DETAINED,
    Status.PRE_TRIAL,
    Status.CONVICTED,
    Status.IMPRISONED,
    Status.TRANSFERRED,
    Status.RECOGNISED,
    Status.DISAPPEARED,
    Status.SENTENCED_IN_ABSENTIA,
    Status.IN_EXILE,
]
DATES = ["2020-08-10", "2021-07", "2021-12-14", "2022", "2023-03-15", "2024-11-01", "2025-06-21"]
ARTICLES = [("342", "1"), ("361", "3"), ("130", "2")]
CITATION_TARGETS = (
    "person",
    "public_variant",
    "private_variant",
    "event",
    "release",
    "group",
    "case",
    "charge",
    "sentence",
    "custody",
)
# The last two are forced private by Citation.save (sources.models.is_private_field_name).
PRIVATE_FIELD_NAMES = ("private notes", "family_contact")
FIELD_NAMES = ("", "occupation", "display_name", "name", *PRIVATE_FIELD_NAMES)
PHOTO_BYTES = b"\x89PNG\r\n\x1a\n"


# --- What a world is made of ------------------------------------------------------------------


@dataclass
class CitationSpec:
    target: str
    source: int
    private: bool = False
    field_name: str = ""
    claim: bool = False


@dataclass
class RoleSpec:
    case: int
    articles: list[int] = field(default_factory=list)
    sentence_years: list[int] = field(default_factory=list)


@dataclass
class PersonSpec:
    state: str
    given: int = 0
    surname: int = 0
    gender: str = ""
    region: str = ""
    photo: bool = False
    events: list[tuple[str, str]] = field(default_factory=list)
    releases: list[tuple[str, str, int | None]] = field(default_factory=list)  # type, date, group
    roles: list[RoleSpec] = field(default_factory=list)
    custody: list[tuple[int, str]] = field(default_factory=list)  # facility, start
    public_variants: int = 0
    private_variants: int = 0
    import_identifier: bool = False
    wikidata: bool = False
    citations: list[CitationSpec] = field(default_factory=list)

    @property
    def public(self) -> bool:
        return self.state == "published"


@dataclass
class DocumentSpec:
    is_public: bool
    people: list[int]
    source: int | None = None


@dataclass
class WorldSpec:
    people: list[PersonSpec]
    cases: int = 1
    groups: int = 1
    facilities: int = 1
    sources: int = 1
    documents: list[DocumentSpec] = field(default_factory=list)
    group_citations: list[CitationSpec] = field(default_factory=list)  # target = "group:<index>"

    # The privacy model, computed from the spec alone (not from the app's querysets).

    def case_public(self, case: int) -> bool:
        return any(p.public and any(r.case == case for r in p.roles) for p in self.people)

    def group_public(self, group: int) -> bool:
        return any(p.public and any(g == group for _t, _d, g in p.releases) for p in self.people)

    def facility_public(self, facility: int) -> bool:
        return any(p.public and any(f == facility for f, _s in p.custody) for p in self.people)

    def document_public(self, document: DocumentSpec) -> bool:
        return document.is_public and bool(document.people) and all(self.people[i].public for i in document.people)


def _unique_cases(roles: list[RoleSpec]) -> list[RoleSpec]:
    seen, unique = set(), []
    for role in roles:
        if role.case not in seen:
            seen.add(role.case)
            unique.append(role)
    return unique


@st.composite
def world_specs(draw) -> WorldSpec:
    cases, groups = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    facilities, sources = draw(st.integers(1, 2)), draw(st.integers(1, 4))
    # Always one published person (the positive controls) and one who is not (something to hide).
    states = ["published", draw(st.sampled_from(HIDDEN_STATES))]
    states += draw(st.lists(st.sampled_from(STATES), max_size=3))
    dates = st.sampled_from(DATES)
    citations = st.builds(
        CitationSpec,
        target=st.sampled_from(CITATION_TARGETS),
        source=st.integers(0, sources - 1),
        private=st.booleans(),
        field_name=st.sampled_from(FIELD_NAMES),
        claim=st.booleans(),
    )
    roles = st.builds(
        RoleSpec,
        case=st.integers(0, cases - 1),
        articles=st.lists(st.integers(0, len(ARTICLES) - 1), max_size=2, unique=True),
        sentence_years=st.lists(st.integers(1, 15), max_size=2),
    )
    people = []
    for state in states:
        spec = draw(
            st.builds(
                PersonSpec,
                state=st.just(state),
                given=st.integers(0, len(GIVEN_NAMES) - 1),
                surname=st.integers(0, len(SURNAMES) - 1),
                gender=st.sampled_from(["", *Gender.values]),
                region=st.sampled_from(["", *Region.values]),
                photo=st.booleans(),
                events=st.lists(st.tuples(st.sampled_from(EVENT_STATUSES), dates), max_size=3),
                releases=st.lists(
                    st.tuples(st.sampled_from(ReleaseType.values), dates, st.none() | st.integers(0, groups - 1)),
                    max_size=2,
                ),
                roles=st.lists(roles, max_size=2).map(_unique_cases),
                custody=st.lists(st.tuples(st.integers(0, facilities - 1), dates), max_size=2),
                public_variants=st.integers(0, 2),
                private_variants=st.integers(0, 2),
                import_identifier=st.booleans(),
                wikidata=st.booleans(),
                citations=st.lists(citations, max_size=4),
            )
        )
        people.append(spec)
    people_indices = st.lists(st.integers(0, len(people) - 1), max_size=3, unique=True)
    documents = draw(
        st.lists(
            st.builds(
                DocumentSpec,
                is_public=st.booleans(),
                people=people_indices,
                source=st.none() | st.integers(0, sources - 1),
            ),
            max_size=3,
        )
    )
    group_citations = draw(
        st.lists(
            st.builds(
                CitationSpec,
                target=st.integers(0, groups - 1).map(lambda g: f"group:{g}"),
                source=st.integers(0, sources - 1),
                private=st.booleans(),
                claim=st.booleans(),
            ),
            max_size=2,
        )
    )
    return WorldSpec(
        people=people,
        cases=cases,
        groups=groups,
        facilities=facilities,
        sources=sources,
        documents=documents,
        group_citations=group_citations,
    )


# --- Building the world -----------------------------------------------------------------------


@dataclass
class BuiltPerson:
    spec: PersonSpec
    person: Person
    # The marker-free part of the names, for searches that must not find a hidden person.
    plain_name: str
    private_variant_texts: list[str] = field(default_factory=list)


class World:
    """The rows built from a WorldSpec, with every marker and the rule it exercises."""

    def __init__(self, spec: WorldSpec):
        self.spec = spec
        self.secrets: dict[str, str] = {}  # marker (lower case) -> rule
        self.people: list[BuiltPerson] = []
        self.cases: list[Case] = []
        self.groups: list[ReleaseGroup] = []
        self.sources: list[Source] = []
        self.documents: list[tuple[Document, bool]] = []  # document, public by the model
        self.source_public: list[bool] = []
        self.articles = []

    def secret(self, rule: str) -> str:
        assert rule in RULES, rule
        number = len(self.secrets)
        code = ""
        for _digit in range(4):
            number, rest = divmod(number, len(MARKER_LETTERS))
            code = MARKER_LETTERS[rest] + code
        marker = f"LEAK{code}X"
        self.secrets[marker.lower()] = rule
        return marker

    def value(self, public: bool, rule: str, text: str) -> str:
        """`text` as is where it is public, with a marker of `rule` where it is not."""
        return text if public else f"{text} {self.secret(rule)}"

    @property
    def public_people(self) -> list[BuiltPerson]:
        return [p for p in self.people if p.spec.public]

    @property
    def hidden_people(self) -> list[BuiltPerson]:
        return [p for p in self.people if not p.spec.public]


def _citation_public(citation: CitationSpec, target_public: bool) -> bool:
    """The Citation rule: not private (nor of a private field), and of a public fact."""
    return not citation.private and citation.field_name not in PRIVATE_FIELD_NAMES and target_public


def world_build(spec: WorldSpec) -> World:
    """Create every row of `spec`; markers go exactly where the privacy model says "not public"."""
    world = World(spec)
    world.articles = [LegalArticleFactory(article=number, part=part) for number, part in ARTICLES]

    facilities = [
        FacilityFactory(name=world.value(spec.facility_public(i), "non-public facility", f"Penal colony No. {i + 1}"))
        for i in range(spec.facilities)
    ]
    for i in range(spec.cases):
        public = spec.case_public(i)
        world.cases.append(
            CaseFactory(
                title=f"Case {i + 1} of the protest organisers",  # never secret; see Case.title
                description=world.value(public, "non-public case", "About the protests"),
                case_number="" if public else world.secret("non-public case"),
                court=world.value(public, "non-public case", "Minsk City Court"),
            )
        )
    for i in range(spec.groups):
        public = spec.group_public(i)
        world.groups.append(
            ReleaseGroupFactory(
                name=world.value(public, "non-public group", f"Release number {i + 1}"),
                description=world.value(public, "non-public group", "Freed together"),
                mediator=world.value(public, "non-public group", "A mediator"),
            )
        )

    # Whether each source supports a public citation, from the spec (the model's Source rule).
    supports_public = [False] * spec.sources
    for person in spec.people:
        for citation in person.citations:
            target_public = _target_public(spec, person, citation.target)
            if _citation_public(citation, target_public):
                supports_public[citation.source] = True
    for citation in spec.group_citations:
        if _citation_public(citation, spec.group_public(int(citation.target.split(":")[1]))):
            supports_public[citation.source] = True
    world.source_public = supports_public
    for i in range(spec.sources):
        public = supports_public[i]
        source = SourceFactory(
            title=world.value(public, "non-public source", f"Article about the trial {i + 1}"),
            author=world.value(public, "non-public source", "A reporter"),
            internal_notes=f"source internals {world.secret('source internals')}",
            text=f"source internals {world.secret('source internals')}",
        )
        Snapshot.objects.create(
            source=source,
            url=source.url,
            fetched_at=timezone.now(),
            http_status=200,
            raw_html=f"<p>{world.secret('snapshot')}</p>",
            text=world.secret("snapshot"),
            sha256="0" * 64,
        )
        world.sources.append(source)

    for person_spec in spec.people:
        world.people.append(_person_build(world, person_spec, facilities))

    for citation in spec.group_citations:
        group = int(citation.target.split(":")[1])
        _citation_build(world, citation, world.groups[group], spec.group_public(group))

    for document_spec in spec.documents:
        world.documents.append(_document_build(world, document_spec))

    for built in world.people:
        person_status_refresh(person=built.person, acting_user=SYSTEM)
        if built.spec.state == "deleted":
            person_delete(acting_user=SYSTEM, person=built.person, reason="test")
        built.person.refresh_from_db()
    return world


def _target_public(spec: WorldSpec, person: PersonSpec, target: str) -> bool:
    """Whether the fact a citation of `person` points at is public (its first such fact, as _person_build picks)."""
    if target == "private_variant" and person.private_variants:
        return False
    if target == "case" and person.roles:
        return spec.case_public(person.roles[0].case)
    if target == "group":
        groups = [g for _t, _d, g in person.releases if g is not None]
        if groups:
            return spec.group_public(groups[0])
    return person.public


def _person_build(world: World, spec: PersonSpec, facilities) -> BuiltPerson:
    public = spec.public
    given, surname = GIVEN_NAMES[spec.given], SURNAMES[spec.surname]
    plain = f"{given[0]} {surname[0]}"
    hidden = "non-public person"
    photo = None
    if spec.photo:
        # Stored under a random name (prisoners.models.random_upload_path), so the upload name's
        # marker must vanish; the bytes of a non-public person's photo are theirs.
        content = PHOTO_BYTES + (b" public photo" if public else world.secret(hidden).encode())
        photo = ContentFile(content, name=f"{world.secret('upload name')}.png")
    person = PersonFactory(
        display_name=world.value(public, hidden, plain),
        name_be=world.value(public, hidden, f"{given[1]} {surname[1]}"),
        name_ru=world.value(public, hidden, f"{given[2]} {surname[2]}"),
        gender=spec.gender,
        region=spec.region,
        occupation=world.value(public, hidden, "teacher"),
        biography=world.value(public, hidden, "Took part in the protests."),
        letters_address=world.value(public, hidden, "Colony 2, Babruisk"),
        private_notes=f"family contact {world.secret('private notes')}",
        photo=photo,
        photo_content_type="image/png" if photo else "",
        # A deleted person is published first, then soft-deleted (person_delete) once built.
        publication_state=PUBLICATION_STATES[spec.state],
    )
    built = BuiltPerson(spec=spec, person=person, plain_name=plain)
    facts_rule = "fact of non-public"

    spellings = [f"{given[0]} {surname[0]}s", f"{given[0]}a {surname[0]}"]
    public_variants = [
        NameVariantFactory(person=person, text=world.value(public, "variant of non-public", text))
        for text in spellings[: spec.public_variants]
    ]
    private_variants = []
    for _i in range(spec.private_variants):
        text = f"{GIVEN_NAMES[(spec.given + 1) % len(GIVEN_NAMES)][0]} {world.secret('private name variant')}"
        private_variants.append(NameVariantFactory(person=person, text=text, is_private=True, kind=NameKind.BIRTH_NAME))
        built.private_variant_texts.append(text)
    if spec.import_identifier:
        ExternalIdentifierFactory(person=person, scheme="import", value=world.secret("import identifier"))
    if spec.wikidata:
        value = f"Q{person.pk}" if public else world.secret("identifier of non-public")
        ExternalIdentifierFactory(person=person, value=value)

    events = [
        StatusEventFactory(person=person, status=status, date=date, note=world.value(public, facts_rule, "in court"))
        for status, date in spec.events
    ]
    releases = [
        ReleaseFactory(
            person=person,
            release_type=release_type,
            date=date,
            group=world.groups[group] if group is not None else None,
            note=world.value(public, facts_rule, "left the colony"),
            destination=world.value(public, facts_rule, "Vilnius"),
        )
        for release_type, date, group in spec.releases
    ]
    charges, sentences = [], []
    for role in spec.roles:
        defendant = DefendantFactory(
            person=person, case=world.cases[role.case], note=world.value(public, facts_rule, "main defendant")
        )
        charges += [
            ChargeFactory(
                defendant=defendant,
                article=world.articles[article],
                description=world.value(public, facts_rule, "organising"),
            )
            for article in role.articles
        ]
        sentences += [
            SentenceFactory(defendant=defendant, term_years=years, note=world.value(public, facts_rule, "appealed"))
            for years in role.sentence_years
        ]
    custody = [
        CustodyPeriodFactory(
            person=person, facility=facilities[facility], start=start, note=world.value(public, facts_rule, "cell 4")
        )
        for facility, start in spec.custody
    ]

    # Each target's first fact; a target the person has none of falls back to the person
    # (as _target_public does).
    targets = {
        "public_variant": public_variants,
        "private_variant": private_variants,
        "event": events,
        "release": releases,
        "group": [r.group for r in releases if r.group],
        "case": [world.cases[r.case] for r in spec.roles],
        "charge": charges,
        "sentence": sentences,
        "custody": custody,
    }
    for citation in spec.citations:
        objects = targets.get(citation.target) or [person]
        _citation_build(world, citation, objects[0], _target_public(world.spec, spec, citation.target))
    if public:
        # Waiting for review: a fact that would change the status, and a citation of the person.
        waiting = StatusEventFactory(
            person=person,
            status=Status.RELEASED,
            date="2025-06-21",
            note=world.secret("unreviewed"),
            review_state=ReviewState.PENDING,
        )
        CitationFactory(
            source=world.sources[0],
            content_object=person,
            quote=f"said {world.secret('unreviewed')}",
            review_state=ReviewState.PENDING,
        )
        CitationFactory(source=world.sources[0], content_object=waiting, quote=f"said {world.secret('unreviewed')}")
    return built


def _citation_build(world: World, spec: CitationSpec, obj, target_public: bool) -> Citation:
    public = _citation_public(spec, target_public)
    if public:
        quote, claim, locator = "was detained in the morning", "sixteen released" if spec.claim else "", "par. 2"
    else:
        private = spec.private or spec.field_name in PRIVATE_FIELD_NAMES
        rule = "private citation" if private else "citation of non-public"
        quote = f"said {world.secret(rule)}"
        claim = f"claims {world.secret(rule)}" if spec.claim else ""
        locator = world.secret(rule)
    return CitationFactory(
        source=world.sources[spec.source],
        content_object=obj,
        quote=quote,
        claim=claim,
        locator=locator,
        field_name=spec.field_name,
        is_private=spec.private,
    )


def _document_build(world: World, spec: DocumentSpec) -> tuple[Document, bool]:
    public = world.spec.document_public(spec)
    if public:
        rule = ""
    elif not spec.is_public:
        rule = "restricted document"
    elif spec.people:
        rule = "document of non-public"
    else:
        rule = "document of no one"
    content = MINIMAL_PDF if public else MINIMAL_PDF + f"%{world.secret(rule)}\n".encode()
    document = DocumentFactory(
        file=ContentFile(content, name=f"{world.secret('upload name')}.pdf"),
        original_name=f"{world.secret('upload name')}.pdf",
        content_type="application/pdf",
        title=world.value(public, rule or "restricted document", "Verdict"),
        description=world.value(public, rule or "restricted document", "The court's verdict"),
        text=world.value(public, rule or "restricted document", "The court finds"),
        is_public=spec.is_public,
        source=world.sources[spec.source] if spec.source is not None else None,
    )
    document.people.set([world.people[i].person for i in spec.people])
    return document, public


# --- Every route an anonymous reader can reach ------------------------------------------------

# Not public surfaces: the admin, the staff login with its second factor.
SKIPPED_PREFIXES = ("admin/", "account/")


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    parameters: tuple[str, ...]


def _parameters(pattern) -> tuple[str, ...]:
    converters = getattr(pattern, "converters", None)
    if converters is not None:
        return tuple(converters)
    return tuple(pattern.regex.groupindex)


def public_routes(patterns=None, prefix: str = "", namespace: str = "", parameters: tuple[str, ...] = ()):
    """Every URL pattern of the site outside the admin, staff login and file handlers.

    Public pages under i18n_patterns come out as their English (unprefixed) routes; fetch() reads
    them at each language's URL.
    """
    from django.views.static import serve

    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        names = (*parameters, *_parameters(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from public_routes(entry.url_patterns, route, inner, names)
        elif isinstance(entry, URLPattern):
            if entry.callback is serve:  # static() / media handlers
                continue
            name = ":".join(part for part in (namespace, entry.name) if part)
            yield Route(name=name or route, route=route, parameters=names)


def list_queries(world: World) -> list[dict]:
    """Every filter, sort, search and page of the public list (/prisoners/, the exports, the API)."""
    queries: list[dict] = [{}]
    values = {
        "q": [
            *(p.plain_name for p in world.people),
            *(p.person.display_name for p in world.hidden_people),
            *(p.person.name_be for p in world.hidden_people),
            *(text for p in world.people for text in p.private_variant_texts),
            next(iter(world.secrets), "nobody").upper(),
        ],
        "released": [("2020-01-01", "2021-12-31"), ("2022-01-01", ""), ("", "2025-12-31")],
        "detained": [("2020-01-01", "2021-12-31"), ("2022-01-01", ""), ("", "2025-12-31")],
        "article": [f"{a.article}" for a in world.articles] + [f"{a.article}.{a.part}" for a in world.articles],
        "release_group": [g.slug for g in world.groups],
    }
    for name, flt in PersonFilter.base_filters.items():
        if name in values:
            if name in ("released", "detained"):
                queries += [{f"{name}_after": start, f"{name}_before": end} for start, end in values[name]]
            else:
                queries += [{name: value} for value in values[name]]
        elif "choices" in flt.extra:
            queries += [{name: value} for value, _label in flt.extra["choices"]]
        else:
            raise AssertionError(f"PersonFilter.{name} is new: give the leak test values for it")
    queries += [
        {"per_page": "10", "page": "2"},
        {"per_page": "100"},
        {"per_page": "7", "page": "x"},
        {"page": "999"},
        {"sort": "-released", "status": Status.RELEASED},
        {"q": world.hidden_people[0].plain_name, "sort": "name"},
        {"release_group": world.groups[0].slug, "per_page": "10"},
    ]
    return queries


def _query(params: dict) -> str:
    params = {key: value for key, value in params.items() if value != ""}
    return f"?{urlencode(params)}" if params else ""


# The statistics are slow (a few hundred ms a day), so each form of a day is tried on one of them.
PAGE_STATS_DAYS = ["", "2021-06-30", "2999-01-01"]
API_STATS_DAYS = ["", "2025-07-01", "not-a-date"]


def _with_queries(path: str, queries: list[dict]) -> list[str]:
    return [path + _query(query) for query in queries]


def _api_list(path: str, world: World) -> list[str]:
    urls = _with_queries(path, list_queries(world))
    return urls + [path + "?format=api", path + "?page_size=1", path + "?cursor=bogus"]


def _sitemap_pages(section: str) -> list[str]:
    """Every page of a sitemap section, and the one after the last: pages by id may be many where ids are high."""
    pages = SITEMAPS[section]().paginator.num_pages
    return ["", *(f"?p={number}" for number in range(2, pages + 2))]


# Route name -> the URLs to fetch for it. Routes with parameters must be here; the others are
# fetched bare unless listed. A route with parameters missing here fails the test.
URL_FILLERS = {
    "prisoners:person_list": lambda w: _with_queries(reverse("prisoners:person_list"), list_queries(w)),
    "prisoners:person_list_csv": lambda w: _with_queries(reverse("prisoners:person_list_csv"), list_queries(w)),
    "prisoners:person_list_json": lambda w: _with_queries(reverse("prisoners:person_list_json"), list_queries(w)),
    "prisoners:person_detail": lambda w: [
        *(reverse("prisoners:person_detail", kwargs={"slug": p.person.slug}) for p in w.people),
        reverse("prisoners:person_detail", kwargs={"slug": "no-such-person"}),
    ],
    "prisoners:person_photo": lambda w: [
        *(reverse("prisoners:person_photo", kwargs={"slug": p.person.slug}) for p in w.people),
        reverse("prisoners:person_photo", kwargs={"slug": "no-such-person"}),
    ],
    "prisoners:release_group_detail": lambda w: [
        *(reverse("prisoners:release_group_detail", kwargs={"slug": g.slug}) for g in w.groups),
        reverse("prisoners:release_group_detail", kwargs={"slug": "no-such-group"}),
    ],
    "prisoners:stats": lambda w: [reverse("prisoners:stats") + _query({"on": day}) for day in PAGE_STATS_DAYS],
    "sources:source_detail": lambda w: [
        *(reverse("sources:source_detail", kwargs={"pk": s.pk}) for s in w.sources),
        reverse("sources:source_detail", kwargs={"pk": 999_999}),
    ],
    "sources:document_file": lambda w: [
        *(reverse("sources:document_file", kwargs={"pk": d.pk}) for d, _public in w.documents),
        reverse("sources:document_file", kwargs={"pk": 999_999}),
    ],
    "sitemap": lambda w: [reverse("sitemap")],
    "sitemap_section": lambda w: [
        *(
            reverse("sitemap_section", kwargs={"section": section}) + page
            for section in SITEMAPS
            for page in _sitemap_pages(section)
        ),
        reverse("sitemap_section", kwargs={"section": "no-such-section"}),
    ],
    "api:person-list": lambda w: _api_list(reverse("api:person-list"), w),
    "api:person-detail": lambda w: [
        *(reverse("api:person-detail", kwargs={"slug": p.person.slug}) for p in w.people),
        reverse("api:person-detail", kwargs={"slug": "no-such-person"}),
    ],
    "api:release-group-list": lambda w: [reverse("api:release-group-list") + q for q in ("", "?page_size=1")],
    "api:source-list": lambda w: [reverse("api:source-list") + q for q in ("", "?page_size=1", "?format=api")],
    "api:stats": lambda w: [reverse("api:stats") + _query({"on": day}) for day in API_STATS_DAYS],
}


def route_urls(world: World, routes=None) -> dict[str, list[str]]:
    """Route name -> URLs to fetch; an unknown route with parameters is an AssertionError naming it."""
    urls = {}
    for route in public_routes() if routes is None else routes:
        filler = URL_FILLERS.get(route.name)
        if filler is None:
            assert not route.parameters, (
                f"route {route.name!r} ({route.route}) takes {', '.join(route.parameters)}: "
                "add a filler to URL_FILLERS in tests/test_leaks.py so the leak test fetches it"
            )
            urls[route.name] = [f"/{route.route}"]
        else:
            urls[route.name] = filler(world)
    return urls


# --- Fetching and looking for markers ----------------------------------------------------------


@dataclass
class Fetched:
    url: str
    language: str
    status: int
    headers: bytes
    body: bytes

    @property
    def raw(self) -> bytes:
        return self.headers + b"\n\n" + self.body


def fetch(client: Client, url: str, language: str) -> Fetched:
    """`url` (English, as reverse() gives it) read in `language`: a public page at its URL in that language.

    translate_url gives /be/..., /ru/... for pages under i18n_patterns and leaves the API and the
    sitemap, which have no prefix, as they are (the client's Accept-Language picks their language).
    The request activates its language in this thread; the override puts English back for reverse().
    """
    with translation.override(settings.LANGUAGE_CODE):
        response = client.get(translate_url(url, language))
        # Reading a streaming response to its end closes it (and its file) as a WSGI server would;
        # closing it again here would fire request_finished and drop the test's database connection.
        body = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{key}: {value}" for key, value in response.items())
    headers += "\n" + response.cookies.output()
    return Fetched(url, language, response.status_code, headers.encode(), body)


def markers_in(data: bytes) -> list[bytes]:
    """Every marker-shaped string, in the raw bytes or in the body read as UTF-8 text (whichever finds more)."""
    raw = MARKER.findall(data.lower())
    text = MARKER.findall(data.decode("utf-8", errors="replace").lower().encode())
    return [*raw, *(marker for marker in set(text) for _extra in range(text.count(marker) - raw.count(marker)))]


def control_url(url: str) -> str:
    """The same request with each marker swapped for a never-stored stand-in: what an echo looks like."""
    return url.replace("LEAK", CONTROL_PREFIX).replace("leak", CONTROL_PREFIX.lower())


def language_client(language: str) -> Client:
    """A client reading the site in `language`: pages by their URL (fetch), the API by Accept-Language."""
    return Client(HTTP_ACCEPT_LANGUAGE=language)


class Leaks:
    def __init__(self, world: World):
        self.world = world
        self.found: list[str] = []

    def check(self, fetched: Fetched, control: Fetched | None = None) -> None:
        """No marker in `fetched`, except as many echoes of the URL's own markers as the control shows."""
        echoed = {m.lower() for m in MARKER.findall(fetched.url.lower().encode())}
        counts: dict[bytes, int] = {}
        for marker in markers_in(fetched.raw):
            counts[marker] = counts.get(marker, 0) + 1
        for marker, count in counts.items():
            if marker in echoed and control is not None:
                stand_in = CONTROL_PREFIX.lower().encode() + marker[4:]
                expected = sum(1 for m in markers_in(control.raw.lower().replace(stand_in, marker)) if m == marker)
                if count <= expected:
                    continue
            self._report(fetched, marker.decode(), count)

    def _report(self, fetched: Fetched, marker: str, count: int) -> None:
        rule = self.world.secrets.get(marker, "unknown marker")
        text = fetched.raw.decode("utf-8", errors="replace")
        # The last occurrence: where a marker is also echoed from the URL, the echo comes first.
        at = text.lower().rfind(marker)
        snippet = text[max(0, at - 120) : at + 40].replace("\n", " ")
        self.found.append(
            f"{marker} ({rule}) x{count} in {fetched.url} [{fetched.language}, {fetched.status}]: …{snippet}…"
        )


# Parts of a page that differ on every request: the CSRF token and the CSP nonce.
VOLATILE = [
    (re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"'), b'name="csrfmiddlewaretoken" value=""'),
    (re.compile(rb'"csrfToken": "[^"]*"'), b'"csrfToken": ""'),
    (re.compile(rb"nonce=\"[^\"]*\""), b'nonce=""'),
    (re.compile(rb"'nonce-[^']*'"), b"'nonce-'"),
    (re.compile(rb"\b[A-Za-z0-9]{64}\b"), b"(token)"),  # a CSRF token anywhere else (Swagger UI's script)
]


def comparable(fetched: Fetched) -> bytes:
    body = fetched.body
    for pattern, replacement in VOLATILE:
        body = pattern.sub(replacement, body)
    return f"{fetched.status} {fetched.headers.decode().count('Content-Disposition')}\n".encode() + body


def private_rows_delete(world: World) -> None:
    """Delete every row the privacy model keeps from the public: what remains is the public record."""
    hidden = [p.person.pk for p in world.hidden_people]
    # First the documents and citations that would turn public once the people they name are gone.
    Document.objects.exclude(pk__in=[d.pk for d, public in world.documents if public]).delete()
    Citation.objects.exclude(pk__in=Citation.objects.public()).delete()
    StatusEvent.objects.filter(review_state=ReviewState.PENDING).delete()
    NameVariant.objects.filter(is_private=True).delete()
    ExternalIdentifier.objects.filter(scheme="import").delete()
    for model, path in (
        (Charge, "defendant__person"),
        (Sentence, "defendant__person"),
        (Defendant, "person"),
        (StatusEvent, "person"),
        (Release, "person"),
        (CustodyPeriod, "person"),
    ):
        model.objects.filter(**{f"{path}__in": hidden}).delete()
    Person.objects.filter(pk__in=hidden).delete()
    # What no public row points at any more, and private columns of public rows.
    ReleaseGroup.objects.exclude(pk__in=ReleaseGroup.objects.public()).delete()
    Case.objects.exclude(pk__in=Case.objects.public()).delete()
    Facility.objects.exclude(pk__in=Facility.objects.public()).delete()
    Snapshot.objects.all().delete()
    Source.objects.exclude(pk__in=Source.objects.public()).delete()
    Person.objects.update(private_notes="")
    Source.objects.update(internal_notes="", text="")


def diff(before: Fetched, after: Fetched) -> str:
    lines = difflib.unified_diff(
        comparable(before).decode("utf-8", "replace").splitlines(),
        comparable(after).decode("utf-8", "replace").splitlines(),
        "with private rows",
        "without",
        n=1,
        lineterm="",
    )
    return "\n".join(list(lines)[:30])


# Pages that print names in the reader's language: every URL of theirs in every language.
EVERY_LANGUAGE_ROUTES = frozenset(
    {"prisoners:home", "prisoners:person_detail", "prisoners:release_group_detail", "sources:source_detail"}
)
# Routes whose URLs are many variations of one page (filters, days): a property-test example
# fetches the bare URL and a drawn sample of this many others; the fixed world fetches them all.
SAMPLED_ROUTES = {
    "prisoners:person_list": 8,
    "prisoners:person_list_csv": 3,
    "prisoners:person_list_json": 3,
    "api:person-list": 5,
    "prisoners:stats": 1,
    "api:stats": 0,
}


def secret_searches(world: World) -> list[str]:
    """Searches for a non-public person's names or a private variant: they must find no one."""
    texts = [p.person.display_name for p in world.hidden_people]
    texts += [text for p in world.people for text in p.private_variant_texts]
    return [_query({"q": text}) for text in texts]


def fetch_plan(world: World, pick=None, offset: int = 0) -> list[tuple[str, str]]:
    """(language, URL) pairs: every route, filled from the world.

    `pick(urls, k)` samples the variations of SAMPLED_ROUTES (None: all of them). URLs outside
    EVERY_LANGUAGE_ROUTES take turns at the languages, starting at `offset`; the bare list is
    fetched in every language too.
    """
    always = {
        path + query
        for path in (reverse("prisoners:person_list_json"), reverse("api:person-list"))
        for query in ["", *secret_searches(world)]
    }
    pairs, turn = [], offset
    for name, urls in route_urls(world).items():
        if pick is not None and name in SAMPLED_ROUTES:
            rest = [url for url in urls[1:] if url not in always]
            urls = [urls[0], *(url for url in urls[1:] if url in always), *pick(rest, SAMPLED_ROUTES[name])]
        for position, url in enumerate(urls):
            if EVERY_LANGUAGE or name in EVERY_LANGUAGE_ROUTES or (position == 0 and name == "prisoners:person_list"):
                pairs += [(language, url) for language in LANGUAGES]
            else:
                pairs.append((LANGUAGES[turn % len(LANGUAGES)], url))
                turn += 1
    return pairs


def surfaces_check(world: World, pick=None, offset: int = 0) -> None:
    """Fetch every route; assert no marker, the 404s the model predicts, and no dependence on private rows."""
    leaks = Leaks(world)
    plan = fetch_plan(world, pick, offset)
    clients = {language: language_client(language) for language in LANGUAGES}
    fetched: dict[str, dict[str, Fetched]] = {}
    for language, url in plan:
        result = fetch(clients[language], url, language)
        control = None
        if MARKER.search(url.lower().encode()):
            control = fetch(clients[language], control_url(url), language)
            leaks.check(control)
        leaks.check(result, control)
        if control is not None and result.status != control.status:
            # A non-public record answers exactly as a record that never existed.
            leaks.found.append(
                f"{url} [{language}] answered {result.status}, the same URL with a never-stored value "
                f"{control.status}: the record behind it is visible"
            )
        fetched.setdefault(url, {})[language] = result
    assert not leaks.found, "private values reached public responses:\n" + "\n".join(leaks.found[:20])

    _model_check(world, fetched)
    _search_check(world, fetched)

    # The same answers once every private row is gone: nothing public depends on private data.
    with transaction.atomic():
        private_rows_delete(world)
        cache.clear()  # what was cached from the private rows (counts, choices, sitemap pages) goes with them
        changed = []
        for language, url in plan:
            before = fetched[url][language]
            after = fetch(clients[language], url, language)
            if comparable(before) != comparable(after):
                changed.append(f"{url} [{language}]\n{diff(before, after)}")
        transaction.set_rollback(True)
    assert not changed, "public responses depend on private rows:\n" + "\n\n".join(changed[:5])


def _status(fetched: dict[str, dict[str, Fetched]], url: str, expected: int) -> None:
    for language, result in fetched[url].items():
        got = result.status
        assert got == expected, f"{url} [{language}] answered {got}, the privacy model says {expected}"


def _any(fetched: dict[str, dict[str, Fetched]], url: str) -> Fetched:
    return next(iter(fetched[url].values()))


def _model_check(world: World, fetched: dict[str, dict[str, Fetched]]) -> None:
    """Pages exist exactly for what the model calls public; public pages show their public names."""
    assert world.public_people, "the world has no public person: the test would check nothing"
    for built in world.people:
        person, public = built.person, built.spec.public
        page = reverse("prisoners:person_detail", kwargs={"slug": person.slug})
        _status(fetched, page, 200 if public else 404)
        _status(fetched, reverse("api:person-detail", kwargs={"slug": person.slug}), 200 if public else 404)
        photo = reverse("prisoners:person_photo", kwargs={"slug": person.slug})
        _status(fetched, photo, 200 if public and built.spec.photo else 404)
        if public:
            for language in LANGUAGES:
                name = person.name_in(language)
                body = fetched[page][language].body.decode()
                assert name in body, f"{name!r} is not on {page} in {language}: the positive control failed"
                assert f'lang="{language}"' in body, f"{page} was not served in {language}"
    for i, group in enumerate(world.groups):
        url = reverse("prisoners:release_group_detail", kwargs={"slug": group.slug})
        _status(fetched, url, 200 if world.spec.group_public(i) else 404)
    for source, public in zip(world.sources, world.source_public, strict=True):
        _status(fetched, reverse("sources:source_detail", kwargs={"pk": source.pk}), 200 if public else 404)
    for document, public in world.documents:
        _status(fetched, reverse("sources:document_file", kwargs={"pk": document.pk}), 200 if public else 404)

    sections = URL_FILLERS["sitemap_section"](world)
    sitemap = "".join(_any(fetched, url).body.decode() for url in sections)
    listed = {urlsplit(loc).path for loc in re.findall(r"<loc>(.*?)</loc>", sitemap)}
    indexed = re.findall(r"<loc>(.*?)</loc>", _any(fetched, reverse("sitemap")).body.decode())
    assert {urlsplit(loc).path for loc in indexed} == {urlsplit(url).path for url in sections[:-1]}
    assert {p.person.get_absolute_url() for p in world.public_people} <= listed
    for path in listed & set(fetched):
        _status(fetched, path, 200)


def _search_check(world: World, fetched: dict[str, dict[str, Fetched]]) -> None:
    """A search for a private name (or any marker) finds no one, in the export and in the API."""
    for query in secret_searches(world):
        exported = json.loads(_any(fetched, reverse("prisoners:person_list_json") + query).body)
        assert exported == [], f"{query} found {[row['url'] for row in exported]}"
        listed = json.loads(_any(fetched, reverse("api:person-list") + query).body)
        assert listed["results"] == [], f"{query} found {[row['slug'] for row in listed['results']]} in the API"
    unfiltered = json.loads(_any(fetched, reverse("prisoners:person_list_json")).body)
    exported_slugs = sorted(row["url"].rsplit("/", 2)[-2] for row in unfiltered)
    assert exported_slugs == sorted(p.person.slug for p in world.public_people)


# --- The tests ---------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    # Pages show "today"; a run that crossed midnight (Minsk) would compare two days' pages as a leak.
    # The clock starts at today's local noon and keeps ticking, so the test has twelve hours to end.
    noon = dt.datetime.combine(timezone.localdate(), dt.time(12), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(noon, tick=True):
        yield tmp_path


@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spec=world_specs(), offset=st.integers(0, len(LANGUAGES) - 1), data=st.data())
def test_no_private_value_reaches_any_anonymous_surface(media, spec, offset, data):
    def pick(urls: list[str], k: int) -> list[str]:
        return data.draw(st.lists(st.sampled_from(urls), min_size=min(k, len(urls)), max_size=k, unique=True))

    with transaction.atomic():
        world = world_build(spec)
        surfaces_check(world, pick, offset)
        transaction.set_rollback(True)


def every_rule_world() -> WorldSpec:
    """One of each: every rule in RULES gets at least one marker (checked by the test below)."""
    cite = CitationSpec
    published = PersonSpec(
        state="published",
        gender=Gender.FEMALE,
        region=Region.MINSK_CITY,
        photo=True,
        events=[(Status.DETAINED, "2021-07"), (Status.IMPRISONED, "2022")],
        releases=[(ReleaseType.PARDON, "2025-06-21", 0)],
        roles=[RoleSpec(case=0, articles=[0, 1], sentence_years=[5])],
        custody=[(0, "2022-01")],
        public_variants=1,
        private_variants=1,
        import_identifier=True,
        wikidata=True,
        citations=[
            cite("person", 0),
            cite("person", 0, private=True, claim=True),
            cite("person", 1, field_name="private notes"),
            cite("private_variant", 1),
            cite("event", 0, claim=True),
            cite("case", 0),
            cite("group", 0),
        ],
    )
    hidden = [
        PersonSpec(
            state=state,
            given=i + 1,
            surname=i + 1,
            photo=True,
            events=[(Status.DETAINED, "2020-08-10")],
            releases=[(ReleaseType.EXCHANGE, "2025-06-21", 0), (ReleaseType.PARDON, "2024-11-01", 1)],
            roles=[RoleSpec(case=0, articles=[2], sentence_years=[3]), RoleSpec(case=1, sentence_years=[2])],
            custody=[(0, "2021"), (1, "2021")],
            public_variants=1,
            private_variants=1,
            import_identifier=True,
            wikidata=True,
            citations=[cite("event", 2), cite("release", 2), cite("charge", 2), cite("case", 2), cite("group", 2)],
        )
        for i, state in enumerate(HIDDEN_STATES)
    ]
    return WorldSpec(
        people=[published, *hidden],
        cases=2,
        groups=2,
        facilities=2,
        sources=3,
        documents=[
            DocumentSpec(is_public=True, people=[0], source=0),
            DocumentSpec(is_public=False, people=[0]),
            DocumentSpec(is_public=True, people=[0, 1]),
            DocumentSpec(is_public=True, people=[]),
        ],
        group_citations=[cite("group:1", 2, claim=True), cite("group:0", 0, private=True)],
    )


def test_a_world_with_every_kind_of_secret_leaks_none_of_them(media):
    world = world_build(every_rule_world())
    assert set(world.secrets.values()) == set(RULES), set(RULES) - set(world.secrets.values())
    surfaces_check(world)


def test_a_public_route_the_leak_test_cannot_fill_fails_it():
    from django.urls import path

    def view(request, pk):
        raise AssertionError("never called")

    new = [path("letters/<int:pk>/", view, name="letter_detail"), path("about/", view, name="about")]
    with pytest.raises(AssertionError, match="letter_detail"):
        route_urls(World(every_rule_world()), routes=public_routes(new))
    assert route_urls(World(every_rule_world()), routes=public_routes(new[1:])) == {"about": ["/about/"]}


def test_every_route_outside_the_admin_and_staff_login_is_fetched():
    names = {route.name for route in public_routes()}
    assert {
        "prisoners:person_detail",
        "api:person-detail",
        "sources:document_file",
        "sitemap",
        "sitemap_section",
    } <= names
    assert not any(name.startswith(("admin:", "two_factor:")) for name in names)
    assert {route.name for route in public_routes() if route.parameters} <= set(URL_FILLERS)
