"""Political prisoners: people, their names, cases, sentences, custody and releases."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, models
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from slugify import slugify

from casetracker.dates import DateBounds, humanize_edtf, overlaps_q, partial_date_fields

from . import collation, identity


def random_upload_path(folder: str, filename: str) -> str:
    # Random names: an uploaded file's name can itself identify a person or a place.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"{folder}/{uuid.uuid4().hex}.{suffix[:8]}"


def photo_upload_path(instance, filename: str) -> str:
    return random_upload_path("photos", filename)


class PublicationState(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Gender(models.TextChoices):
    FEMALE = "female", _("female")
    MALE = "male", _("male")
    OTHER = "other", _("other")


class Region(models.TextChoices):
    BREST = "brest", _("Brest region")
    HOMEL = "homel", _("Homel region")
    HRODNA = "hrodna", _("Hrodna region")
    MAHILIOU = "mahiliou", _("Mahiliou region")
    MINSK_REGION = "minsk-region", _("Minsk region")
    MINSK_CITY = "minsk", _("Minsk city")
    VITSEBSK = "vitsebsk", _("Vitsebsk region")
    ABROAD = "abroad", _("outside Belarus")


class Status(models.TextChoices):
    DETAINED = "detained", _("detained")
    PRE_TRIAL = "pre_trial", _("in pre-trial detention")
    HOUSE_ARREST = "house_arrest", _("under house arrest")
    CONVICTED = "convicted", _("convicted")
    IMPRISONED = "imprisoned", _("imprisoned")
    TRANSFERRED = "transferred", _("transferred")
    RELEASED = "released", _("released")
    DIED_IN_CUSTODY = "died_in_custody", _("died in custody")
    DISAPPEARED = "disappeared", _("disappeared")
    RECOGNISED = "recognised", _("recognised as political prisoner")
    RECOGNITION_WITHDRAWN = "recognition_withdrawn", _("recognition withdrawn")
    SENTENCED_IN_ABSENTIA = "sentenced_in_absentia", _("sentenced in absentia")
    IN_EXILE = "in_exile", _("in exile")


# Recognition is a separate dimension from where a person is; it never sets current_status.
RECOGNITION_STATUSES = frozenset({Status.RECOGNISED, Status.RECOGNITION_WITHDRAWN})
# A transfer moves someone between facilities; they remain imprisoned.
CURRENT_STATUS_FOR_EVENT = {Status.TRANSFERRED: Status.IMPRISONED}
IN_CUSTODY_STATUSES = frozenset({Status.DETAINED, Status.PRE_TRIAL, Status.CONVICTED, Status.IMPRISONED})
CUSTODY_START_STATUSES = frozenset({Status.DETAINED, Status.PRE_TRIAL})


# The public list shows at most this many name matches, best first.
MATCH_LIMIT = 200


class ReviewState(models.TextChoices):
    APPROVED = "approved", _("reviewed")
    PENDING = "pending", _("waiting for review")


class RecordHistory(HistoricalRecords):
    """simple_history's records, their table indexed only by the record's id (and by date and user).

    simple_history gives the history table every index of the record's own table (Person's had
    19), and each is kept up on every write. History is read record by record (its admin page,
    a revert), never filtered by a tracked value, so those indexes only slowed writes: a
    1,000-row import spent about a tenth of its SQL on them.
    """

    def copy_fields(self, model):
        fields = super().copy_fields(model)
        for field in fields.values():
            if field.name != model._meta.pk.name:
                field.db_index = False
        return fields


class Reviewed(models.Model):
    """A record that reaches readers only once reviewed.

    A Researcher's new fact on a published person waits (PENDING) until an Editor approves it
    in the review queue (prisoners.review); everything else is APPROVED as it is written.
    """

    review_state = models.CharField(
        _("review"),
        max_length=16,
        choices=ReviewState.choices,
        default=ReviewState.APPROVED,
        # Not indexed: nearly every row is approved, so reviewed() reads rows an index would not
        # narrow, and the review queue reads ChangeProposal; an index only slowed every write.
        editable=False,
    )

    class Meta:
        abstract = True

    @property
    def is_reviewed(self) -> bool:
        return self.review_state == ReviewState.APPROVED


def reviewed_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}review_state": ReviewState.APPROVED})


def public_person_q(prefix: str = "") -> Q:
    """THE public rule: a person the public may see is published and not deleted.

    Every other model's public() is this rule reached through its path to Person (`prefix`,
    e.g. "defendant__person__"), plus that model's own privacy flag if it has one.
    """
    return Q(**{f"{prefix}publication_state": PublicationState.PUBLISHED, f"{prefix}deleted_at__isnull": True})


class PersonFactQuerySet(models.QuerySet):
    """A fact about one person: public while that person is public and the fact is not private.

    Subclasses name their path to Person once (`person_field`), as readthedocs'
    RelatedProjectQuerySetBase does with `project_field`.
    """

    person_field = "person"

    def public(self):
        """Facts the public may see: their person is public, they are reviewed and not private."""
        return self.filter(public_person_q(f"{self.person_field}__"), self.reviewed_q(), self.own_public_q())

    def of_public_people(self, people: list[Person]):
        """public() for the facts of `people` read through Person.objects.public(): the rule without Person again.

        The person part of the rule is asked of each instance (is_public(), the instance form of
        public_person_q); the facts then need only their own part, reviewed and not private. A
        profile reads ten such lists: joining Person into each cost more than the lists did.
        """
        shown = [person.pk for person in people if person.is_public()]
        return self.filter(**{f"{self.person_field}__in": shown}).filter(self.reviewed_q(), self.own_public_q())

    def public_among(self, people):
        """public() for the facts of `people` (a Person queryset), the person part asked of people.public().

        The same rule as public(), in one semi-join on the people: public() joins Person for its
        part, and narrowing that to `people` joined Person a second time. Name search's candidates
        for a common family name took 27 ms at 100,000 people that way, and 16 ms this way.
        """
        return self.filter(**{f"{self.person_field}__in": people.public().values("pk")}).filter(
            self.reviewed_q(), self.own_public_q()
        )

    def reviewed(self):
        """Facts an Editor has let through (or that never needed it): what derived fields count."""
        return self.filter(self.reviewed_q())

    def reviewed_q(self) -> Q:
        return reviewed_q()

    def own_public_q(self) -> Q:
        """The model's own part of the rule (a private flag); nothing by default."""
        return Q()


class SharedRecordQuerySet(models.QuerySet):
    """A record several people's facts point at (a case, a facility, a release group).

    Public while at least one public fact points at it; pages then show only the public facts.
    """

    member_model = ""  # "app_label.Model" of the facts that point here
    member_field = ""  # their foreign key to this model

    def public(self):
        """Records with at least one public fact pointing at them."""
        from django.apps import apps

        members = apps.get_model(self.member_model).objects.public()
        return self.filter(Exists(members.filter(**{self.member_field: OuterRef("pk")})))


class StatusEventQuerySet(PersonFactQuerySet):
    pass


class CustodyPeriodQuerySet(PersonFactQuerySet):
    pass


class ReleaseQuerySet(PersonFactQuerySet):
    pass


class DefendantQuerySet(PersonFactQuerySet):
    pass


class ChargeQuerySet(PersonFactQuerySet):
    person_field = "defendant__person"

    def reviewed_q(self) -> Q:
        # Under a case role that is itself still waiting, a charge is not yet on the record.
        return reviewed_q() & reviewed_q("defendant__")


class SentenceQuerySet(ChargeQuerySet):
    pass


class ExternalIdentifierQuerySet(PersonFactQuerySet):
    def own_public_q(self) -> Q:
        return ~Q(scheme__in=INTERNAL_IDENTIFIER_SCHEMES)


class CaseQuerySet(SharedRecordQuerySet):
    member_model = "prisoners.Defendant"
    member_field = "case"


class FacilityQuerySet(SharedRecordQuerySet):
    member_model = "prisoners.CustodyPeriod"
    member_field = "facility"


class ReleaseGroupQuerySet(SharedRecordQuerySet):
    member_model = "prisoners.Release"
    member_field = "group"


class KeyWords(models.Func):
    """A name key's words as an array (PostgreSQL): the expression migration 0025 indexes."""

    function = "string_to_array"
    template = "%(function)s(%(expressions)s, ' ')"

    def __init__(self, field: str):
        from django.contrib.postgres.fields import ArrayField

        super().__init__(F(field), output_field=ArrayField(models.TextField()))


class PositionIn(models.Func):
    """Where a row's `field` stands in `values` (0 for the first), as one SQL CASE: an order given by a list.

    One expression with the values as parameters. A models.Case of a When per value is the same
    SQL, but Django resolves and compiles each When on every query: 200 ranked matches made the
    list's search spend more time building its two queries than PostgreSQL spent running them.
    """

    output_field = models.IntegerField()

    def __init__(self, field: str, values: list):
        self.values = list(values)
        super().__init__(F(field))

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        if not self.values:
            return "0", []
        branches = " ".join(f"WHEN %s THEN {position}" for position in range(len(self.values)))
        return f"CASE {column} {branches} ELSE {len(self.values)} END", [*params, *self.values]


class NameVariantQuerySet(PersonFactQuerySet):
    def own_public_q(self) -> Q:
        return Q(is_private=False)

    def candidates_for(self, keys: tuple[str, ...], *, exact: bool = False):
        """Variants that could match these name keys: a loose superset the ranking then scores.

        PostgreSQL narrows by trigram word similarity (GIN index, threshold set per connection
        in settings: TRIGRAM_WORD_SIMILARITY); elsewhere every variant is a candidate, so both
        give the same ranked answers. With `exact`, only variants having one of the keys as a
        word: the same trigram index finds them without comparing every word's similarity.
        """
        if connection.vendor != "postgresql":
            return self
        if exact:
            return self.with_a_word_of(keys)
        condition = Q()
        for key in keys:
            condition |= Q(normalized__trigram_word_similar=key)
        return self.filter(condition)

    def candidate_rows(self):
        """(person id, text, normalized key) of each variant: what the ranking scores."""
        return self.values_list("person_id", "text", "normalized")

    def rows_and_others(self, others, *, unless_people: int) -> tuple[list[tuple], list[tuple] | None]:
        """candidate_rows() of these variants, and in the same statement those of `others` not among
        them, unless these already belong to `unless_people` people or more (then None).

        The search's exact spellings and its fuzzy candidates in one round trip, whether a name is
        rare (both are needed) or common (the exact ones are enough, and PostgreSQL skips the
        fuzzy scan: its condition is evaluated once, before it). PostgreSQL only: a CTE read twice.
        """
        columns = ("pk", "person_id", "text", "normalized")
        these_sql, these_params = self.order_by().values_list(*columns).query.sql_with_params()
        others_sql, others_params = others.order_by().values_list(*columns).query.sql_with_params()
        # Both parts are Django's own compiled SQL with their values as parameters.
        sql = (
            f"WITH these (id, person_id, text, normalized) AS MATERIALIZED ({these_sql}) "  # noqa: S608
            "SELECT true, person_id, text, normalized FROM these UNION ALL "
            "SELECT false, o.person_id, o.text, o.normalized "
            f"FROM ({others_sql}) AS o (id, person_id, text, normalized) "
            "WHERE NOT EXISTS (SELECT 1 FROM (SELECT DISTINCT person_id FROM these) AS people OFFSET %s) "
            "AND o.id NOT IN (SELECT id FROM these)"
        )
        with connections[self.db].cursor() as cursor:
            cursor.execute(sql, [*these_params, *others_params, unless_people - 1])
            rows = cursor.fetchall()
        own = [row[1:] for row in rows if row[0]]
        enough = len({row[0] for row in own}) >= unless_people
        return own, None if enough else [row[1:] for row in rows if not row[0]]

    def with_a_word_of(self, keys):
        """Variants one of whose key words is one of `keys` (a whole word, not a part of one).

        On PostgreSQL as the array of key words overlapping `keys`, which its GIN index (migration
        0025) answers; elsewhere as a regular expression.
        """
        if connection.vendor == "postgresql":
            return self.annotate(key_words=KeyWords("normalized")).filter(key_words__overlap=sorted(keys))
        return self.filter(normalized__regex=rf"(^| )({'|'.join(sorted(map(re.escape, keys)))})( |$)")

    def candidates_starting_with(self, word: identity.QueryWord):
        """Variants with a word that may begin as `word` was typed so far (prefix search), most likely first.

        PostgreSQL finds what identity._prefix_similarity accepts: a word of the text that begins
        with the letters typed (trigram GIN index on lower(text), migration 0013), a key or a
        given name's row that begins as they read (the trigram index on the keys); and it hands
        over the PREFIX_CANDIDATES likeliest, those with the letters typed and shortest first, so
        a three-letter prefix stays fast with 100,000 people. Elsewhere every variant is a
        candidate; the ranking (identity) decides on both.
        """
        if connection.vendor != "postgresql":
            return self
        from django.db.models.functions import Length, Lower

        typed = word.typed_prefix
        text_starts = Q(lower_text__startswith=typed) | Q(lower_text__contains=f" {typed}")
        text_starts |= Q(lower_text__contains=f"-{typed}")
        key_starts = [*word.readings, *identity.given_keys_starting_with(word)]
        condition = text_starts
        if key_starts:
            condition |= Q(normalized__regex=rf"(^| )({'|'.join(sorted(key_starts))})")
        first = models.Case(models.When(text_starts, then=0), default=1)
        return (
            self.annotate(lower_text=Lower("text"))
            .filter(condition)
            .order_by(first, Length("text"), "pk")[: identity.PREFIX_CANDIDATES]
        )

    def of_possible_relatives(self, person):
        """Other people's variants whose family name is this person's in the other gender's form.

        A wife, husband, sister or brother perhaps (Tsikhanouskaya for Tsikhanouski), never the
        same person: matching keeps them apart (identity.related_surname), the admin may show them.
        """
        keys = {
            identity.other_gender_form(key)
            for key_text in person.name_variants.values_list("normalized", flat=True)
            for key in key_text.split()
        } - {""}
        if not keys:
            return self.none()
        return self.with_a_word_of(keys).exclude(person=person)


def cited_record_attach(people: list[Person]) -> None:
    """Read what a profile shows of `people`: each public fact list, then all their public citations in one query.

    The one reading of a cited record, for the page and the API alike (they get it through
    PersonQuerySet.with_cited_record). Each fact's citations are put where
    `fact.citations.all()` finds them, as a prefetch would. The facts are read through their
    public(), so a citation of one is public unless it is private itself: Citation.publishable().
    """
    from django.db.models import Prefetch, prefetch_related_objects

    from sources.models import Citation, Document

    prefetch_related_objects(
        people,
        Prefetch("name_variants", queryset=NameVariant.objects.of_public_people(people)),
        Prefetch("external_identifiers", queryset=ExternalIdentifier.objects.of_public_people(people)),
        Prefetch("status_events", queryset=StatusEvent.objects.of_public_people(people)),
        Prefetch("releases", queryset=Release.objects.of_public_people(people).select_related("group")),
        Prefetch(
            "defendant_roles",
            queryset=Defendant.objects.of_public_people(people)
            .select_related("case")
            .prefetch_related(
                Prefetch("case__defendants", queryset=Person.objects.public(), to_attr="public_defendants"),
                Prefetch("charges", queryset=Charge.objects.of_public_people(people).select_related("article")),
                Prefetch("sentences", queryset=Sentence.objects.of_public_people(people)),
            ),
        ),
        Prefetch("custody_periods", queryset=CustodyPeriod.objects.of_public_people(people).select_related("facility")),
        Prefetch("documents", queryset=Document.objects.public(), to_attr="public_documents"),
    )
    facts: list[models.Model] = []
    for person in people:
        releases = person.releases.all()
        facts += [person, *person.name_variants.all(), *person.status_events.all(), *person.custody_periods.all()]
        facts += [*releases, *(release.group for release in releases if release.group_id)]
        for role in person.defendant_roles.all():
            facts += [role.case, *role.charges.all(), *role.sentences.all()]
    if not facts:
        return
    content_types = ContentType.objects.get_for_models(*{type(fact) for fact in facts})
    ids: dict[int, set[int]] = {}
    for fact in facts:
        ids.setdefault(content_types[type(fact)].pk, set()).add(fact.pk)
    of_facts = Q()
    for content_type_id, object_ids in ids.items():
        of_facts |= Q(content_type_id=content_type_id, object_id__in=sorted(object_ids))
    found: dict[tuple[int, int], list] = {}
    for citation in Citation.objects.publishable().filter(of_facts).select_related("source"):
        found.setdefault((citation.content_type_id, citation.object_id), []).append(citation)
    for fact in facts:
        manager = fact.citations
        citations = manager.get_queryset()  # lazy: filled here instead of by a query
        citations._result_cache = found.get((content_types[type(fact)].pk, fact.pk), [])
        citations._prefetch_done = True
        if not hasattr(fact, "_prefetched_objects_cache"):
            fact._prefetched_objects_cache = {}
        fact._prefetched_objects_cache[manager.prefetch_cache_name] = citations


class _CitedRecordIterable(models.query.ModelIterable):
    """Person rows, each batch with its cited record attached (cited_record_attach) before it is handed out."""

    def __iter__(self):
        from itertools import islice

        rows = super().__iter__()
        while batch := list(islice(rows, self.chunk_size)):
            cited_record_attach(batch)
            yield from batch


class PersonQuerySet(models.QuerySet):
    def public(self):
        """People the public may see: published and not deleted (public_person_q)."""
        return self.filter(public_person_q())

    def alive(self):
        """People not deleted (deleted ones wait in the admin to be restored)."""
        return self.filter(deleted_at__isnull=True)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)

    def visible_to(self, user):
        """Everyone for staff who may view people in the admin; the public set otherwise."""
        from .roles import may_see_unpublished

        return self if may_see_unpublished(user, "prisoners.view_person") else self.public()

    def with_cited_record(self):
        """Everything a profile shows (page or API), each fact with its public citations, in fixed queries.

        The people come with their public fact lists, and the citations of all those facts are
        read in one query (cited_record_attach), however long the record is.
        """
        clone = self._chain()
        clone._iterable_class = _CitedRecordIterable
        return clone

    def recently_updated(self):
        """Latest public change first (public_updated_at moves only with what readers can see).

        People with no public change yet are left out, so the order is the index's (an index can
        hold NULLs last on PostgreSQL only).
        """
        return self.filter(public_updated_at__isnull=False).order_by("-public_updated_at", "-pk")

    def in_custody(self):
        """People whose current status keeps them behind bars."""
        return self.filter(current_status__in=IN_CUSTODY_STATUSES)

    def in_custody_on(self, day: dt.date):
        """People surely in custody on `day` by their stored custody spells (prisoners.custody)."""
        return self.filter(Exists(CustodySpell.objects.certainly_on(day).filter(person=OuterRef("pk"))))

    def possibly_in_custody_on(self, day: dt.date):
        """People whose recorded dates leave open that they were in custody on `day` (or who surely were)."""
        return self.filter(Exists(CustodySpell.objects.possibly_on(day).filter(person=OuterRef("pk"))))

    def with_status(self, *statuses):
        return self.filter(current_status__in=statuses)

    def released_between(self, start: dt.date | None, end: dt.date | None):
        """People with a release whose (possibly partial) date overlaps [start, end]."""
        releases = Release.objects.reviewed().filter(overlaps_q("date", start, end), person=OuterRef("pk"))
        return self.filter(Exists(releases))

    def detained_between(self, start: dt.date | None, end: dt.date | None):
        """People with a detention whose (possibly partial) date overlaps [start, end]."""
        detentions = StatusEvent.objects.reviewed().filter(
            overlaps_q("date", start, end), person=OuterRef("pk"), status__in=CUSTODY_START_STATUSES
        )
        return self.filter(Exists(detentions))

    def charged_under(self, article: str):
        """People charged under an article as it is written: "293" (every part), "ст. 293 ч. 1", "293.1"."""
        from .articles import article_reference

        reference = article_reference(article)
        if reference is None:
            return self.none()
        charges = Charge.objects.reviewed().filter(
            reference.legal_articles_q("article__"), defendant__person=OuterRef("pk")
        )
        return self.filter(Exists(charges))

    def released_by(self, release_type: str):
        releases = Release.objects.reviewed().filter(person=OuterRef("pk"), release_type=release_type)
        return self.filter(Exists(releases))

    def in_release_group(self, group_slug: str):
        return self.filter(Exists(Release.objects.reviewed().filter(person=OuterRef("pk"), group__slug=group_slug)))

    def term_ending_within(self, days: int, today: dt.date):
        """People in custody whose expected end of term may fall in the next `days` days."""
        horizon = today + dt.timedelta(days=days)
        return self.in_custody().filter(expected_end_earliest__lte=horizon, expected_end_latest__gte=today)

    def headline_counts(self, today: dt.date) -> dict[str, int]:
        """In custody now, released in the last 12 months, recognised in total: one query."""
        released_recently = Release.objects.reviewed().filter(
            overlaps_q("date", today - dt.timedelta(days=365), today), person=OuterRef("pk")
        )
        return self.aggregate(
            in_custody=Count("pk", filter=Q(current_status__in=IN_CUSTODY_STATUSES)),
            released_last_12_months=Count("pk", filter=Q(Exists(released_recently))),
            recognised=Count("pk", filter=Q(is_recognised=True)),
        )

    def matching(self, text: str):
        """People whose public names match `text` in any spelling or script, closest first.

        Private names (a birth name, a pseudonym) never find anyone here: this is public search.
        """
        ranked = [match.person_id for match in self.name_matches(text, limit=MATCH_LIMIT, public=True)]
        if not ranked:
            return self.none()
        return self.filter(pk__in=ranked).order_by(PositionIn("pk", ranked), "pk")

    def name_matches(
        self, text: str, *, limit: int | None = None, public: bool = False, prefix: bool = False
    ) -> list[identity.NameMatch]:
        """Ranked matches of `text` against the name variants of these people: all of them, or with
        `public` only the public variants of the public ones among them.

        Staff searches and duplicate checks read all; public search goes through matching(). With
        `prefix`, `text` is read as a reader types it, its last word unfinished (prisoners.suggestions).
        """
        words = identity.prefix_query_words(text) if prefix else identity.query_words(text)
        required = [word for word in words if not word.optional]
        if not required:
            return []
        if public:
            variants = NameVariant.objects.public_among(self)
        else:
            variants = NameVariant.objects.filter(person__in=self.values("pk"))
        variants = variants.order_by()
        unfinished = required[-1] if prefix else None
        complete = [word for word in required if not word.is_prefix]
        if unfinished and len(unfinished.typed_prefix) >= identity.PREFIX_MINIMUM:
            variants = variants.candidates_starting_with(unfinished)
        elif complete:
            # Every match must contain every required word, so the rarest (longest) one alone
            # yields a complete set of candidates, and the smallest.
            rarest = max(complete, key=lambda word: word.length)
            fuzzy = variants.candidates_for(tuple(rarest.readings | rarest.inflected))
            if limit and connection.vendor == "postgresql":
                # A common family name is thousands of variants; those spelling it exactly come
                # first, and when `limit` people of them score above what any other spelling
                # could (identity.score_ceiling_without), they are the answer: no fuzzy scan.
                exact = variants.candidates_for(tuple(rarest.readings), exact=True)
                exact_rows, other_rows = exact.rows_and_others(fuzzy, unless_people=limit)
                ranked = self._ranked(text, exact_rows, limit, prefix)
                if len(ranked) == limit and ranked[-1].score > identity.score_ceiling_without(tuple(words), rarest):
                    return ranked
                if other_rows is None:  # enough people spell it exactly, but too few of them score high
                    return self._ranked(text, fuzzy.candidate_rows(), limit, prefix)
                return self._ranked(text, [*exact_rows, *other_rows], limit, prefix)
            variants = fuzzy
        else:
            return []
        return self._ranked(text, variants.candidate_rows(), limit, prefix)

    @staticmethod
    def _ranked(text: str, rows, limit: int | None, prefix: bool) -> list[identity.NameMatch]:
        candidates = (
            identity.NameCandidate(person_id, variant_text, tuple(key_text.split()))
            for person_id, variant_text, key_text in rows
        )
        return identity.rank_candidates(text, candidates, limit=limit, prefix=prefix)


# The names Person.name_in reads, and so the sort keys are made from.
PERSON_NAME_FIELDS = frozenset({"display_name", "name_latin", "name_be", "name_ru"})


# The dates a person is exported with: each from one fact, as person_status_refresh picks it
# (the last detention, the last release, the fact that set the current status).
EXPORTED_DATES = ("current_status_since", "detained_on", "released_on")
EXPORT_DATE_COLUMNS = tuple(f"export_{name}{part}" for name in EXPORTED_DATES for part in ("", "_earliest", "_latest"))
# Person's columns read in equality filters and sorts (the admin's filters, the list's sort by name).
PERSON_PLAIN_INDEXES = ("sort_key_latin", "sort_key_be", "sort_key_ru", "region", "publication_state", "current_status")


def export_date_values(facts: dict) -> dict[str, str]:
    """Person's export_* columns from the fact behind each date (custody.exported_facts): its EDTF and ISO days."""
    values = {}
    for name in EXPORTED_DATES:
        fact = facts.get(name)
        earliest, latest = (fact.date_earliest, fact.date_latest) if fact else (None, None)
        values[f"export_{name}"] = fact.date if fact else ""
        values[f"export_{name}_earliest"] = earliest.isoformat() if earliest else ""
        values[f"export_{name}_latest"] = latest.isoformat() if latest else ""
    return values


class Person(models.Model):
    display_name = models.CharField(_("display name"), max_length=200)
    name_be = models.CharField(_("name in Belarusian"), max_length=200, blank=True)
    name_ru = models.CharField(_("name in Russian"), max_length=200, blank=True)
    name_latin = models.CharField(_("name in Latin script"), max_length=200, blank=True)
    # The list's name order for each language's readers, family name first (prisoners.collation);
    # made from the names on every save.
    sort_key_latin = models.CharField(_("sort key (Latin)"), max_length=255, blank=True, editable=False)
    sort_key_be = models.CharField(_("sort key (Belarusian)"), max_length=255, blank=True, editable=False)
    sort_key_ru = models.CharField(_("sort key (Russian)"), max_length=255, blank=True, editable=False)
    slug = models.SlugField(_("slug"), max_length=200, unique=True, blank=True)
    # Shown, never filtered by: its bounds are not indexed.
    birth_date, birth_date_earliest, birth_date_latest = partial_date_fields(_("birth date"), indexed=False)
    gender = models.CharField(_("gender"), max_length=16, choices=Gender.choices, blank=True)
    occupation = models.CharField(_("occupation"), max_length=200, blank=True)
    region = models.CharField(_("region"), max_length=32, choices=Region.choices, blank=True)
    biography = models.TextField(_("biography"), blank=True)
    letters_address = models.TextField(
        _("address for letters"), blank=True, help_text=_("Public: shown so readers can write to the person.")
    )
    photo = models.ImageField(_("photo"), upload_to=photo_upload_path, blank=True)
    # The type found in the photo's content when it was re-encoded; served as is, never guessed.
    photo_content_type = models.CharField(_("photo type"), max_length=100, blank=True, editable=False)
    publication_state = models.CharField(
        _("publication state"),
        max_length=16,
        choices=PublicationState.choices,
        default=PublicationState.DRAFT,
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    private_notes = models.TextField(
        _("private notes"), blank=True, help_text=_("Never shown publicly, exported publicly or sent to the API.")
    )
    # Derived from status events and releases by services.person_status_refresh(); stored for filtering.
    current_status = models.CharField(
        _("current status"), max_length=32, choices=Status.choices, blank=True, editable=False
    )
    current_status_since = models.DateField(_("current status since"), null=True, blank=True, editable=False)
    is_recognised = models.BooleanField(_("recognised as political prisoner"), default=False, editable=False)
    # Sort keys for the public list, kept by the same service.
    custody_started_on = models.DateField(_("detained on"), null=True, blank=True, editable=False, db_index=True)
    released_on = models.DateField(_("released on"), null=True, blank=True, editable=False, db_index=True)
    total_term_days = models.PositiveIntegerField(_("total term in days"), default=0, editable=False, db_index=True)
    total_term_code = models.CharField(_("total term"), max_length=16, blank=True, editable=False)
    expected_end_earliest = models.DateField(_("expected end of term, earliest"), null=True, blank=True, editable=False)
    expected_end_latest = models.DateField(_("expected end of term, latest"), null=True, blank=True, editable=False)
    # The same dates as the downloads and the API give them (export_date_values): the EDTF of
    # the fact each comes from and its first and last day as ISO text ("" when unknown), kept by
    # the same service so a download of everyone reads one row per person.
    export_current_status_since = models.CharField(max_length=64, blank=True, editable=False)
    export_current_status_since_earliest = models.CharField(max_length=10, blank=True, editable=False)
    export_current_status_since_latest = models.CharField(max_length=10, blank=True, editable=False)
    export_detained_on = models.CharField(max_length=64, blank=True, editable=False)
    export_detained_on_earliest = models.CharField(max_length=10, blank=True, editable=False)
    export_detained_on_latest = models.CharField(max_length=10, blank=True, editable=False)
    export_released_on = models.CharField(max_length=64, blank=True, editable=False)
    export_released_on_earliest = models.CharField(max_length=10, blank=True, editable=False)
    export_released_on_latest = models.CharField(max_length=10, blank=True, editable=False)
    # Moves only with changes a reader can see (services.record_save): "recently updated" and
    # sitemap lastmod must not reveal that someone edited private notes.
    public_updated_at = models.DateTimeField(_("publicly updated at"), null=True, blank=True, editable=False)
    # Deletion is soft, so an editor can restore a person with everything recorded under them.
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False, db_index=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    citations = GenericRelation("sources.Citation")
    # The sort keys follow the names; history records the names.
    history = RecordHistory(excluded_fields=["sort_key_latin", "sort_key_be", "sort_key_ru", *EXPORT_DATE_COLUMNS])

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["display_name"]
        permissions = [("publish_person", _("Can publish and withdraw people and make their names public"))]
        indexes = [
            # recently_updated(): latest public change first, as the query orders.
            models.Index(fields=["-public_updated_at", "-id"], name="person_public_updated_idx"),
            # The list's and the export's default order (Meta.ordering), with the tie-breaker.
            models.Index(fields=["display_name", "id"], name="person_display_name_idx"),
            # The public people alone, with what the public counts read (migration 0017): the
            # public state, the list's count by status and the people a release filter joins to
            # are read from it alone (index-only) instead of from the whole table.
            models.Index(
                fields=["current_status", "public_updated_at", "id"],
                condition=public_person_q(),
                name="person_public_status_idx",
            ),
            # The public people's ids alone: a fact or name variant asks whether its person is public
            # with one index-only probe, so PostgreSQL joins the few people a search matches
            # instead of hashing every public id (name search at 100,000 people: 23 -> 12 ms).
            models.Index(fields=["id"], condition=public_person_q(), name="person_public_id_idx"),
            # Declared here rather than as db_index: a CharField's db_index also makes PostgreSQL
            # keep a second, varchar_pattern_ops index for LIKE, which nothing asks of these.
            *(models.Index(fields=[field], name=f"person_{field}_idx") for field in PERSON_PLAIN_INDEXES),
        ]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._unique_slug()
        for language, field in collation.SORT_KEY_FIELDS.items():
            setattr(self, field, collation.name_sort_key(self.name_in(language), language)[:255])
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and PERSON_NAME_FIELDS & set(update_fields):
            kwargs["update_fields"] = {*update_fields, *collation.SORT_KEY_FIELDS.values()}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("prisoners:person_detail", kwargs={"slug": self.slug})

    def public_page_url(self) -> str:
        return self.get_absolute_url()

    def _unique_slug(self) -> str:
        base = slugify(self.name_latin or self.display_name)[:180] or "person"
        candidate, counter = base, 2
        while Person.objects.filter(slug=candidate).exclude(pk=self.pk).exists():
            candidate, counter = f"{base}-{counter}", counter + 1
        return candidate

    def is_public(self) -> bool:
        """The instance form of public_person_q, tested against PersonQuerySet.public()."""
        return self.publication_state == PublicationState.PUBLISHED and self.deleted_at is None

    def is_in_custody(self) -> bool:
        return self.current_status in IN_CUSTODY_STATUSES

    def get_current_status_display(self) -> str:
        """The current status in words that agree with the person's gender ("Мария Колесникова осуждена")."""
        from .presentation import status_label  # presentation imports this module

        return status_label(self.current_status, self.gender)

    def name_in(self, language: str | None = None) -> str:
        """The name as readers of `language` write it, falling back to the display name."""
        language = (language or get_language() or "en")[:2]
        localized = {"be": self.name_be, "ru": self.name_ru}.get(language) or self.name_latin
        return localized or self.display_name

    def age_on(self, day: dt.date) -> str:
        """Age in whole years, or a range when only part of the birth date is known."""
        if not (self.birth_date_earliest and self.birth_date_latest):
            return ""
        oldest = relativedelta(day, self.birth_date_earliest).years
        youngest = relativedelta(day, self.birth_date_latest).years
        return str(oldest) if oldest == youngest else f"{youngest}–{oldest}"

    def in_custody_on(self, day: dt.date) -> bool:
        """Surely in custody on `day`: the instance form of PersonQuerySet.in_custody_on, tested beside it."""
        return any(spell.certainly_contains(day) for spell in self.custody_spells.all())

    def possibly_in_custody_on(self, day: dt.date) -> bool:
        return any(spell.possibly_contains(day) for spell in self.custody_spells.all())

    def custody_start(self) -> StatusEvent | None:
        """The detention that began the latest custody spell, judged from status events."""
        starts = [e for e in self.status_events.all() if e.status in CUSTODY_START_STATUSES and e.is_reviewed]
        return starts[-1] if starts else None

    def sentences(self) -> list[Sentence]:
        return sorted(
            (s for d in self.defendant_roles.all() if d.is_reviewed for s in d.sentences.all() if s.is_reviewed),
            key=lambda s: (s.date_earliest or dt.date.min, s.pk or 0),
        )

    def total_term(self) -> Term:
        return Term.total_of(self.sentences())

    @property
    def stored_total_term(self) -> Term:
        """The total term as last derived, read from the row: no queries, for lists."""
        return Term.from_code(self.total_term_code)

    def expected_end_of_term(self, status: str | None = None) -> ExpectedEnd | None:
        """Detention start plus the total term; a range when the detention date is partial.

        None once the person is out of custody (`status`, by default the stored current status):
        a released person's term has no end to await.
        """
        status = self.current_status if status is None else status
        if status and status not in IN_CUSTODY_STATUSES:
            return None
        start, term = self.custody_start(), self.total_term()
        if start is None or not term or start.date_earliest is None or start.date_latest is None:
            return None
        try:
            return ExpectedEnd(DateBounds(start.date_earliest + term.delta, start.date_latest + term.delta))
        except (OverflowError, ValueError):
            return None  # past the year 9999: no date to show


class PublicExit(models.Model):
    """When a person last left public view (withdrawn, deleted, merged away): one row, pk 1.

    A stamp on the person who left would make the public record's fingerprint depend on a row
    readers cannot see (freshness.public_state); this row holds no one's name, only the time
    a public list last lost someone, which every reader of that list could see happen.
    """

    left_at = models.DateTimeField(_("last left public view at"), null=True)

    class Meta:
        verbose_name = _("last exit from public view")
        default_permissions = ()

    def __str__(self):
        return f"{self.left_at}"

    @classmethod
    def stamp(cls) -> None:
        if not cls.objects.filter(pk=1).update(left_at=timezone.now()):
            cls.objects.get_or_create(pk=1, defaults={"left_at": timezone.now()})


@dataclass(frozen=True)
class Term:
    """A prison term in years, months and days, as courts state them."""

    years: int = 0
    months: int = 0
    days: int = 0

    @property
    def code(self) -> str:
        """Compact form used in lists and imports: 18y, 1y6m, 19y6m."""
        parts = [(self.years, "y"), (self.months, "m"), (self.days, "d")]
        return "".join(f"{count}{unit}" for count, unit in parts if count)

    @classmethod
    def from_code(cls, code: str) -> Term:
        match = re.fullmatch(r"(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)d)?", (code or "").strip().lower())
        if not match:
            raise ValueError(f"not a term: {code!r} (use e.g. 18y, 1y6m, 90d)")
        return cls(*(int(group or 0) for group in match.groups()))

    @property
    def approximate_days(self) -> int:
        """For sorting by length only; calendars make exact day counts date-dependent."""
        return round(self.years * 365.25 + self.months * 30.44 + self.days)

    @property
    def delta(self) -> relativedelta:
        return relativedelta(years=self.years, months=self.months, days=self.days)

    def __bool__(self):
        return bool(self.years or self.months or self.days)

    def __add__(self, other: Term) -> Term:
        months = self.months + other.months
        return Term(self.years + other.years + months // 12, months % 12, self.days + other.days)

    def __str__(self):
        parts = []
        if self.years:
            parts.append(_("%(count)d y") % {"count": self.years})
        if self.months:
            parts.append(_("%(count)d m") % {"count": self.months})
        if self.days:
            parts.append(_("%(count)d d") % {"count": self.days})
        return " ".join(str(part) for part in parts) or "—"

    @classmethod
    def total_of(cls, sentences: list[Sentence]) -> Term:
        """Sum of terms in force: additions add; appeal changes and commutations replace."""
        in_force: dict[int, Term] = {}
        last_base: int | None = None
        for sentence in sentences:
            if sentence.kind in (SentenceKind.CHANGED_ON_APPEAL, SentenceKind.COMMUTED):
                replaced = sentence.amends_id or last_base
                in_force.pop(replaced, None)
                last_base = sentence.pk
            elif sentence.kind == SentenceKind.ORIGINAL:
                last_base = sentence.pk
            in_force[sentence.pk] = sentence.term
        return sum(in_force.values(), cls())


@dataclass(frozen=True)
class ExpectedEnd:
    bounds: DateBounds

    def __str__(self):
        earliest, latest = self.bounds.earliest, self.bounds.latest
        if earliest == latest:
            return humanize_edtf(earliest.isoformat())
        month_end = (latest.replace(day=1) + relativedelta(months=1)) - dt.timedelta(days=1)
        if (earliest.year, earliest.month) == (latest.year, latest.month) and earliest.day == 1 and latest == month_end:
            return humanize_edtf(earliest.strftime("%Y-%m"))
        return humanize_edtf(f"{earliest.isoformat()}/{latest.isoformat()}")


class NameScript(models.TextChoices):
    CYRILLIC = "cyrl", _("Cyrillic")
    LATIN = "latn", _("Latin")


class NameKind(models.TextChoices):
    NATIVE = "native", _("native spelling")
    OFFICIAL_ROMANISATION = "official_romanisation", _("official romanisation")
    PRESS_SPELLING = "press_spelling", _("press spelling")
    BIRTH_NAME = "birth_name", _("birth name")
    PSEUDONYM = "pseudonym", _("pseudonym")
    OTHER = "other", _("other")


class NameVariant(Reviewed):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="name_variants")
    text = models.CharField(_("name"), max_length=200)
    script = models.CharField(_("script"), max_length=4, choices=NameScript.choices, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True, help_text=_("e.g. be, ru, en, pl, de"))
    kind = models.CharField(_("kind"), max_length=32, choices=NameKind.choices, default=NameKind.PRESS_SPELLING)
    is_private = models.BooleanField(
        _("private"),
        default=False,
        help_text=_("A birth name, a pseudonym, a name family use: never shown, exported or searched publicly."),
    )
    normalized = models.CharField(
        _("normalised form"),
        max_length=300,
        editable=False,
        help_text=_("Spelling-independent key of the name, used by every name search."),
    )

    citations = GenericRelation("sources.Citation")
    history = RecordHistory()

    objects = NameVariantQuerySet.as_manager()

    class Meta:
        verbose_name = _("name variant")
        verbose_name_plural = _("name variants")
        ordering = ["person", "text"]
        constraints = [models.UniqueConstraint(fields=["person", "text"], name="unique_name_variant_per_person")]

    def __str__(self):
        return self.text

    def save(self, *args, **kwargs):
        # Transliteration lengthens a name ("Щ" is "shch"); the key is cut to its column.
        self.normalized = identity.name_key_text(self.text)[: NameVariant._meta.get_field("normalized").max_length]
        if not self.script:
            self.script = NameScript.CYRILLIC if any("\u0400" <= c <= "\u04ff" for c in self.text) else NameScript.LATIN
        super().save(*args, **kwargs)

    def public_page_url(self) -> str:
        return self.person.get_absolute_url()


class IdentifierScheme(models.TextChoices):
    VIASNA = "viasna", _("Viasna political prisoner page")
    WIKIDATA = "wikidata", _("Wikidata item")
    OTHER = "other", _("other tracker")
    IMPORT = "import", _("import identifier (internal)")


# Identifiers that only make sense inside the organisation; never published.
INTERNAL_IDENTIFIER_SCHEMES = frozenset({IdentifierScheme.IMPORT})


IDENTIFIER_URLS = {
    IdentifierScheme.VIASNA: "https://prisoners.spring96.org/en/person/{value}",
    IdentifierScheme.WIKIDATA: "https://www.wikidata.org/wiki/{value}",
}


class ExternalIdentifier(Reviewed):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="external_identifiers")
    scheme = models.CharField(_("scheme"), max_length=16, choices=IdentifierScheme.choices)
    value = models.CharField(_("identifier"), max_length=200)

    history = RecordHistory()

    objects = ExternalIdentifierQuerySet.as_manager()

    class Meta:
        verbose_name = _("external identifier")
        verbose_name_plural = _("external identifiers")
        constraints = [models.UniqueConstraint(fields=["scheme", "value"], name="unique_external_identifier")]

    def __str__(self):
        return f"{self.get_scheme_display()}: {self.value}"

    @property
    def url(self) -> str:
        template = IDENTIFIER_URLS.get(self.scheme)
        return template.format(value=self.value) if template else ""


class Case(models.Model):
    # Written by researchers, never generated: a title made of a defendant's name would show
    # an unpublished person's name on a published co-defendant's page.
    title = models.CharField(_("title"), max_length=300, blank=True)
    case_number = models.CharField(_("case number"), max_length=100, blank=True)
    court = models.CharField(_("court"), max_length=200, blank=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=100, blank=True, default="Belarus")
    description = models.TextField(_("description"), blank=True)
    defendants = models.ManyToManyField(Person, through="Defendant", related_name="cases")

    citations = GenericRelation("sources.Citation")
    history = RecordHistory()

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["title"]

    def __str__(self):
        title = self.title or gettext("untitled case")
        return f"{title} ({self.case_number})" if self.case_number else title

    def public_page_url(self) -> str:
        return ""


class Defendant(Reviewed):
    """One person in one case; charges and sentences hang here, not on the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="defendant_roles")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="defendant_roles")
    note = models.CharField(_("note"), max_length=300, blank=True)

    history = RecordHistory()

    objects = DefendantQuerySet.as_manager()

    class Meta:
        verbose_name = _("defendant in a case")
        verbose_name_plural = _("defendants in cases")
        ordering = ["case__title", "person__display_name"]
        constraints = [models.UniqueConstraint(fields=["case", "person"], name="unique_defendant_per_case")]

    def __str__(self):
        return f"{self.person} — {self.case}"


class LegalCode(models.TextChoices):
    CRIMINAL = "cc_by", _("Criminal Code of Belarus")
    ADMINISTRATIVE = "cao_by", _("Code of Administrative Offences of Belarus")
    OTHER = "other", _("other")


class LegalArticle(models.Model):
    code = models.CharField(_("code"), max_length=16, choices=LegalCode.choices, default=LegalCode.CRIMINAL)
    article = models.CharField(_("article"), max_length=16)
    part = models.CharField(_("part"), max_length=16, blank=True)
    title = models.CharField(_("title"), max_length=300)
    title_be = models.CharField(_("title in Belarusian"), max_length=300, blank=True)
    title_ru = models.CharField(_("title in Russian"), max_length=300, blank=True)

    history = RecordHistory()

    class Meta:
        verbose_name = _("legal article")
        verbose_name_plural = _("legal articles")
        ordering = ["code", "article", "part"]
        constraints = [models.UniqueConstraint(fields=["code", "article", "part"], name="unique_legal_article")]

    def __str__(self):
        number = _("Art. %(article)s") % {"article": self.article}
        if self.part:
            number = _("%(number)s part %(part)s") % {"number": number, "part": self.part}
        return f"{number} — {self.title_in()}"

    def title_in(self, language: str | None = None) -> str:
        """The title as readers of `language` (the active one by default) read it, else the English one."""
        language = (language or get_language() or "en")[:2]
        return {"be": self.title_be, "ru": self.title_ru}.get(language) or self.title


class Charge(Reviewed):
    defendant = models.ForeignKey(Defendant, on_delete=models.CASCADE, related_name="charges")
    article = models.ForeignKey(LegalArticle, on_delete=models.PROTECT, related_name="charges")
    description = models.CharField(_("description"), max_length=300, blank=True)

    citations = GenericRelation("sources.Citation")
    history = RecordHistory()

    objects = ChargeQuerySet.as_manager()

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")

    def __str__(self):
        return str(self.article)

    def public_page_url(self) -> str:
        return self.defendant.person.get_absolute_url()


class Regime(models.TextChoices):
    GENERAL = "general", _("general-regime penal colony")
    ENHANCED = "enhanced", _("enhanced-regime penal colony")
    STRICT = "strict", _("high-security (strict-regime) penal colony")
    SPECIAL = "special", _("special-regime penal colony")
    PRISON = "prison", _("prison")
    OPEN = "open", _("open-type correctional institution")
    RESTRICTION_OF_FREEDOM = "restriction", _("restriction of freedom")
    OTHER = "other", _("other")


class SentenceKind(models.TextChoices):
    ORIGINAL = "original", _("original sentence")
    ADDITIONAL = "additional", _("additional term")
    CHANGED_ON_APPEAL = "appeal", _("changed on appeal")
    COMMUTED = "commuted", _("commuted")


class Sentence(Reviewed):
    defendant = models.ForeignKey(Defendant, on_delete=models.CASCADE, related_name="sentences")
    date, date_earliest, date_latest = partial_date_fields(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=SentenceKind.choices, default=SentenceKind.ORIGINAL)
    amends = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="amendments",
        verbose_name=_("changes sentence"),
        help_text=_("For appeal changes and commutations: the sentence this one replaces."),
    )
    court = models.CharField(_("court"), max_length=200, blank=True)
    judge = models.CharField(_("judge"), max_length=200, blank=True)
    prosecutor = models.CharField(_("prosecutor"), max_length=200, blank=True)
    term_years = models.PositiveSmallIntegerField(_("years"), default=0)
    term_months = models.PositiveSmallIntegerField(_("months"), default=0)
    term_days = models.PositiveSmallIntegerField(_("days"), default=0)
    regime = models.CharField(_("regime"), max_length=16, choices=Regime.choices, blank=True)
    fine_amount = models.DecimalField(_("fine"), max_digits=12, decimal_places=2, null=True, blank=True)
    fine_unit = models.CharField(_("fine unit"), max_length=32, blank=True, help_text=_("e.g. BYN, base units"))
    note = models.TextField(_("note"), blank=True)

    citations = GenericRelation("sources.Citation")
    history = RecordHistory()

    objects = SentenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("sentence")
        verbose_name_plural = _("sentences")
        ordering = [F("date_earliest").asc(nulls_first=True), "pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.term} ({humanize_edtf(self.date)})"

    def public_page_url(self) -> str:
        return self.defendant.person.get_absolute_url()

    @property
    def term(self) -> Term:
        return Term(self.term_years, self.term_months, self.term_days)


class FacilityKind(models.TextChoices):
    TEMPORARY = "temporary", _("temporary detention centre")
    PRE_TRIAL = "pre_trial", _("pre-trial detention centre (SIZO)")
    KGB = "kgb", _("KGB pre-trial detention centre")
    COLONY = "colony", _("penal colony")
    PRISON = "prison", _("prison")
    OPEN = "open", _("open-type correctional institution")
    MEDICAL = "medical", _("medical facility")
    OTHER = "other", _("other")


class Facility(models.Model):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=FacilityKind.choices, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=32, choices=Region.choices, blank=True)
    address = models.TextField(_("address"), blank=True)

    history = RecordHistory()

    objects = FacilityQuerySet.as_manager()

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name}, {self.city}" if self.city else self.name


class CustodyPeriod(Reviewed):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="custody_periods")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="custody_periods")
    start, start_earliest, start_latest = partial_date_fields(_("from"))
    end, end_earliest, end_latest = partial_date_fields(_("until"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    citations = GenericRelation("sources.Citation")
    history = RecordHistory()

    objects = CustodyPeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("custody period")
        verbose_name_plural = _("custody periods")
        ordering = [F("start_earliest").asc(nulls_first=True), "pk"]

    def __str__(self):
        return f"{self.facility}: {humanize_edtf(self.start)} – {humanize_edtf(self.end)}"

    def public_page_url(self) -> str:
        return self.person.get_absolute_url()


class StatusEvent(Reviewed):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="status_events")
    date, date_earliest, date_latest = partial_date_fields(_("date"))
    status = models.CharField(_("status"), max_length=32, choices=Status.choices)
    note = models.TextField(_("note"), blank=True)

    citations = GenericRelation("sources.Citation")
    history = RecordHistory()

    objects = StatusEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("status event")
        verbose_name_plural = _("status events")
        # The first day an event can have happened orders it ("on or before X" has none, so
        # X stands in, as in person_status_refresh); id breaks ties in entry order.
        ordering = [
            Coalesce("date_earliest", "date_latest").asc(nulls_first=True),
            F("date_latest").asc(nulls_last=True),
            "pk",
        ]

    def __str__(self):
        return f"{humanize_edtf(self.date)}: {self.get_status_display()}"

    def public_page_url(self) -> str:
        return self.person.get_absolute_url()


class ReleaseType(models.TextChoices):
    PARDON = "pardon", _("pardon")
    END_OF_TERM = "end_of_term", _("end of term")
    FORCED_EXILE = "forced_exile", _("forced exile")
    EXCHANGE = "exchange", _("exchange")
    ACQUITTAL = "acquittal", _("acquittal")
    COMMUTED = "commuted", _("sentence commuted")
    DIED = "died", _("died")


class ReleaseGroup(models.Model):
    """A release of several people in one event (e.g. 14 people freed on 21 June 2025)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True, blank=True)
    date, date_earliest, date_latest = partial_date_fields(_("date"))
    mediator = models.CharField(_("mediator"), max_length=200, blank=True)
    destination = models.CharField(
        _("destination"),
        max_length=200,
        blank=True,
        help_text=_("Where the group was taken; a release with its own destination says otherwise for its person."),
    )
    reported_size = models.PositiveIntegerField(
        _("reported size"),
        null=True,
        blank=True,
        help_text=_("How many people the sources say were released; cite it, and a differing count as disputed."),
    )
    description = models.TextField(_("description"), blank=True)

    citations = GenericRelation("sources.Citation")
    history = RecordHistory()

    objects = ReleaseGroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("release group")
        verbose_name_plural = _("release groups")
        ordering = [F("date_earliest").desc(nulls_last=True), "name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:200] or uuid.uuid4().hex[:8]
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("prisoners:release_group_detail", kwargs={"slug": self.slug})

    def public_page_url(self) -> str:
        return self.get_absolute_url()

    def destinations(self, releases) -> list[tuple[str, int]]:
        """Where the given (public) releases of the group took people, most first: [("Lithuania", 114), ...]."""
        counts: dict[str, int] = {}
        for release in releases:
            if release.taken_to:
                counts[release.taken_to] = counts.get(release.taken_to, 0) + 1
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


class Release(Reviewed):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="releases")
    date, date_earliest, date_latest = partial_date_fields(_("date"))
    release_type = models.CharField(_("type"), max_length=16, choices=ReleaseType.choices)
    group = models.ForeignKey(
        ReleaseGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="releases",
        verbose_name=_("release group"),
    )
    destination = models.CharField(
        _("destination"),
        max_length=200,
        blank=True,
        help_text=_("Where this person was taken, if not where the rest of the group was."),
    )
    note = models.TextField(_("note"), blank=True)

    citations = GenericRelation("sources.Citation")
    history = RecordHistory()

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = [F("date_earliest").asc(nulls_first=True), "pk"]

    def __str__(self):
        return f"{self.person}: {self.get_release_type_display()} ({humanize_edtf(self.date)})"

    def public_page_url(self) -> str:
        return self.person.get_absolute_url()

    @property
    def taken_to(self) -> str:
        """Where the person was taken: their own destination, else their group's."""
        return self.destination or (self.group.destination if self.group_id else "")


class _RangeContains(models.Func):
    """`from <= day < until` over two date columns: on PostgreSQL as a daterange, so its GiST index serves it."""

    output_field = models.BooleanField()
    arity = 3

    def as_sql(self, compiler, connection, **extra_context):
        (first, first_params), (until, until_params), (day, day_params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        return f"({first} <= {day} AND {until} > {day})", [*first_params, *day_params, *until_params, *day_params]

    def as_postgresql(self, compiler, connection, **extra_context):
        (first, first_params), (until, until_params), (day, day_params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        return f"daterange({first}, {until}) @> {day}::date", [*first_params, *until_params, *day_params]


class CustodySpellQuerySet(models.QuerySet):
    def public(self):
        """Spells of people the public may see (public_person_q); they are derived from reviewed facts only."""
        return self.filter(public_person_q("person__"))

    def certainly_on(self, day: dt.date):
        """Spells during which the person was surely in custody on `day`."""
        return self.filter(_RangeContains(F("certain_from"), F("certain_until"), models.Value(day)))

    def possibly_on(self, day: dt.date):
        """Spells during which the person may have been in custody on `day` (a superset of certainly_on)."""
        return self.filter(_RangeContains(F("possible_from"), F("possible_until"), models.Value(day)))


class CustodySpell(models.Model):
    """One stored custody spell of a person, derived from their reviewed facts by prisoners.custody.

    Written only by services.person_status_refresh (and its bulk form); every count of people in
    custody on a day reads these rows. Ranges are half-open [from, until) days, with no overlap
    between one person's spells; an empty range is stored as (0001-01-01, 0001-01-01).
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="custody_spells")
    certain_from = models.DateField()
    certain_until = models.DateField()
    possible_from = models.DateField()
    possible_until = models.DateField()
    # The days the detention that began the spell may have happened on; null when it began otherwise.
    detained_earliest = models.DateField(null=True)
    detained_latest = models.DateField(null=True)
    detention_recorded = models.BooleanField(default=False)

    objects = CustodySpellQuerySet.as_manager()

    class Meta:
        verbose_name = _("custody spell")
        verbose_name_plural = _("custody spells")
        ordering = ["person", "possible_from", "pk"]
        indexes = [
            models.Index(fields=["certain_from", "certain_until"], name="spell_certain_idx"),
            models.Index(fields=["possible_from", "possible_until"], name="spell_possible_idx"),
            models.Index(fields=["detained_earliest", "detained_latest"], name="spell_detained_idx"),
        ]

    def __str__(self):
        return f"{self.person_id}: {self.possible_from}–{self.possible_until}"

    def certainly_contains(self, day: dt.date) -> bool:
        """The instance form of CustodySpellQuerySet.certainly_on, tested against it."""
        return self.certain_from <= day < self.certain_until

    def possibly_contains(self, day: dt.date) -> bool:
        return self.possible_from <= day < self.possible_until


class StatsTally(models.Model):
    """One stored term of the public statistics, for one public state (prisoners.stats builds and reads them).

    Every figure the statistics show is a sum of these: how the number of people in custody
    changed on a day or over a month (in all, and by region, gender and article), and how many
    people were newly detained or released. They are derived from the public spells, releases
    and charges the first time statistics are asked for in a public state
    (prisoners.freshness.public_state: it moves with every public change) and read until it
    moves; the rows of older states are deleted then. So a count on any day sums a month's rows
    for each month before it and a day's rows for the days of its own month, a few hundred
    rows whether 1,000 or 100,000 people are recorded.
    """

    state = models.CharField(max_length=80)
    measure = models.CharField(max_length=32)
    dimension = models.CharField(max_length=16, blank=True)
    value = models.CharField(max_length=64, blank=True)
    # "month": the change over the month beginning on `day`; "day": the change on `day` itself.
    span = models.CharField(max_length=5)
    day = models.DateField()
    change = models.IntegerField()

    class Meta:
        verbose_name = _("statistics term")
        verbose_name_plural = _("statistics terms")
        constraints = [
            # Also the index every read uses: a state, its measures, a span, then a day range. The
            # dimension comes after the day because a count on a day sums every dimension: before
            # it, each (measure, dimension) was a range of its own to walk (20 -> 1.2 ms at 100,000).
            models.UniqueConstraint(
                fields=["state", "measure", "span", "day", "dimension", "value"], name="stats_tally_unique"
            ),
        ]

    def __str__(self):
        return f"{self.measure} {self.dimension}={self.value} {self.span} {self.day}: {self.change:+d}"


class DigestKind(models.TextChoices):
    TERM_ENDINGS = "term_endings", _("terms ending in the next 60 days")


class Digest(models.Model):
    """A list a scheduled task prepared for the staff, shown on the admin index."""

    kind = models.CharField(_("kind"), max_length=32, choices=DigestKind.choices)
    created_at = models.DateTimeField(_("prepared at"), auto_now_add=True)
    items = models.JSONField(_("items"), default=list)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        get_latest_by = "created_at"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d})"


class ProposalKind(models.TextChoices):
    ADDITION = "addition", _("new record")
    CHANGE = "change", _("change")


class ProposalState(models.TextChoices):
    PENDING = "pending", _("waiting for review")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class ChangeProposalQuerySet(models.QuerySet):
    def waiting(self):
        return self.filter(state=ProposalState.PENDING)

    def of_record(self, obj: models.Model):
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)


@dataclass(frozen=True)
class ProposedValue:
    label: str
    stored: str  # as the record holds it now
    proposed: str
    changed_since: bool  # the record no longer holds what the proposer saw


class ChangeProposal(models.Model):
    """A Researcher's change to what readers see of a published person, held for an Editor.

    An ADDITION points at a new record kept out of public view (review_state PENDING); a
    CHANGE holds new values for a record readers already see, which keeps its old values until
    an Editor approves (prisoners.services: proposal_approve / proposal_reject).
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ProposalKind.choices)
    state = models.CharField(_("state"), max_length=16, choices=ProposalState.choices, default=ProposalState.PENDING)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    person = models.ForeignKey(
        Person,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="change_proposals",
        verbose_name=_("person"),
    )
    # {field name: [value stored when proposed, proposed value]}, each as Field.value_to_string gives it.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    objects = ChangeProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("change for review")
        verbose_name_plural = _("changes for review")
        ordering = ["proposed_at", "pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id"]),
            # The queue's filter; an Index, not db_index, which would add a LIKE-only index too.
            models.Index(fields=["state"], name="proposal_state_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.content_type.name} {self.object_id}"

    def diff(self) -> list[ProposedValue]:
        """Each proposed value beside what the record holds now, in readable form."""
        target = self.target
        if target is None:
            return []
        if self.kind == ProposalKind.ADDITION:
            return [
                ProposedValue(str(field.verbose_name), "", _readable(field, field.value_from_object(target)), False)
                for field in target._meta.concrete_fields
                if field.editable and not field.primary_key and field.value_from_object(target) not in (None, "")
            ]
        rows = []
        for name, (was, proposed) in self.changes.items():
            field = target._meta.get_field(name)
            now = stored_form(target, field)
            rows.append(
                ProposedValue(
                    str(field.verbose_name),
                    _readable(field, from_stored_form(field, now)),
                    _readable(field, from_stored_form(field, proposed)),
                    now != was,
                )
            )
        return rows


def stored_form(obj: models.Model, field: models.Field):
    """A field's value as JSON can hold it (as Django's python serializer writes it)."""
    value = field.value_from_object(obj)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return field.value_to_string(obj)


def from_stored_form(field: models.Field, value):
    return None if value is None else field.to_python(value)


def _readable(field: models.Field, value) -> str:
    """A stored value as the admin would show it: the label of a choice, the name of a related record."""
    if value in (None, ""):
        return ""
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else str(value)
    return str(value)
