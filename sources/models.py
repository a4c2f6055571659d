"""Where facts come from: sources, citations that tie a source to a fact, documents."""

from __future__ import annotations

import uuid

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import BigIntegerField, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from casetracker.dates import humanize_edtf, partial_date_fields
from prisoners.models import Person, RecordHistory, Reviewed, public_person_q, random_upload_path, reviewed_q


class SourceKind(models.TextChoices):
    NEWS = "news", _("news")
    NGO_REPORT = "ngo_report", _("NGO report")
    COURT_DOCUMENT = "court_document", _("court document")
    OFFICIAL_STATEMENT = "official_statement", _("official statement")
    SOCIAL_MEDIA = "social_media", _("social media")
    OTHER = "other", _("other")


class SourceQuerySet(models.QuerySet):
    def public(self):
        """Sources that support at least one public fact; the rest are research in progress."""
        return self.filter(Exists(Citation.objects.public().filter(source=OuterRef("pk"))))


class FetchState(models.TextChoices):
    NOT_FETCHED = "", _("not fetched")
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class Source(models.Model):
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    title = models.CharField(_("title"), max_length=500)
    outlet = models.CharField(_("outlet"), max_length=200, blank=True)
    author = models.CharField(_("author"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True, help_text=_("e.g. en, be, ru"))
    published, published_earliest, published_latest = partial_date_fields(_("published"))
    kind = models.CharField(_("kind"), max_length=32, choices=SourceKind.choices, default=SourceKind.NEWS)
    internal_notes = models.TextField(_("internal notes"), blank=True, help_text=_("Never shown publicly."))
    text = models.TextField(
        _("text"), blank=True, help_text=_("The article's text, pasted or extracted; for researchers only.")
    )
    fetch_state = models.CharField(
        _("fetch state"), max_length=16, choices=FetchState.choices, blank=True, default="", editable=False
    )
    fetch_error = models.TextField(_("fetch error"), blank=True, editable=False)
    fetch_attempts = models.PositiveSmallIntegerField(_("fetch attempts"), default=0, editable=False)
    link_status = models.PositiveSmallIntegerField(_("link status"), null=True, blank=True, editable=False)
    link_checked_at = models.DateTimeField(_("link checked at"), null=True, blank=True, editable=False)
    link_is_dead = models.BooleanField(_("dead link"), default=False, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = RecordHistory(excluded_fields=["text"])

    objects = SourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = [F("published_earliest").desc(nulls_last=True), "title"]
        constraints = [
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="unique_source_url"),
        ]

    def __str__(self):
        parts = [self.title]
        if self.outlet:
            parts.append(self.outlet)
        if self.published:
            parts.append(humanize_edtf(self.published))
        return " — ".join(parts)

    def get_absolute_url(self):
        return reverse("sources:source_detail", kwargs={"pk": self.pk})


class Snapshot(models.Model):
    """An archived copy of a source as fetched: raw HTML, extracted text and their hash."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="snapshots")
    url = models.URLField(_("URL"), max_length=1000)
    fetched_at = models.DateTimeField(_("fetched at"))
    http_status = models.PositiveSmallIntegerField(_("HTTP status"))
    content_type = models.CharField(_("content type"), max_length=200, blank=True)
    raw_html = models.TextField(_("raw HTML"))
    text = models.TextField(_("extracted text"), blank=True)
    sha256 = models.CharField(_("SHA-256 of the raw HTML"), max_length=64, db_index=True)

    class Meta:
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        ordering = ["-fetched_at"]
        get_latest_by = "fetched_at"

    def __str__(self):
        return f"{self.url} @ {self.fetched_at:%Y-%m-%d %H:%M} ({self.sha256[:12]})"


class Certainty(models.TextChoices):
    CONFIRMED = "confirmed", _("confirmed")
    REPORTED = "reported", _("reported")
    DISPUTED = "disputed", _("disputed")


CITABLE_MODEL_NAMES = (
    "person",
    "namevariant",
    "case",
    "charge",
    "sentence",
    "custodyperiod",
    "statusevent",
    "release",
    "releasegroup",
)

# The facts a citation may support; anything else is rejected at the form level.
CITABLE_MODELS = Q(app_label="prisoners") & Q(model__in=list(CITABLE_MODEL_NAMES))


# A citation of a field with one of these words in its name supports something private.
PRIVATE_FIELD_WORDS = ("private", "contact", "family")


def is_private_field_name(field_name: str) -> bool:
    """Whether a cited field name, as a researcher typed it ("private notes"), names a private field."""
    folded = field_name.lower().replace("_", " ")
    return any(word in folded for word in PRIVATE_FIELD_WORDS)


class CitationQuerySet(models.QuerySet):
    def public(self):
        """Citations the public may see: not private, of a fact that is public by its own public()."""
        condition = Q(pk__in=[])
        for of_public_facts in self._of_public_facts():
            condition |= of_public_facts
        return self.publishable().filter(condition)

    def public_each_kind(self):
        """public() of these citations, read one kind of fact at a time: a UNION ALL, ordered by id.

        The same rule as public(), for a narrow set (one source's citations). In public()'s OR,
        PostgreSQL cannot join each kind's public facts, so it tests every citation against
        subplans, and where a kind's public ids did not fit in memory it searched them row by
        row: one source's 3,345 citations at 100,000 people took 10 s. Here each kind is its own
        join: 45 ms. A union is only read (sliced, counted), never filtered further.
        """
        kinds = [self.publishable().filter(of_public_facts).order_by() for of_public_facts in self._of_public_facts()]
        return kinds[0].union(*kinds[1:], all=True).order_by("pk")

    def highest_public_source_id(self) -> int:
        """The highest id of a source that supports a public fact (the top of Source.objects.public()), or 0.

        Asked of each kind of fact apart, each read from the top of the (kind, source) index and
        stopping at its first public citation. Source.objects.public() read from the top first
        gathered every kind's public ids: the sitemap index's costliest statement (31 ms at 10,000
        people, 47 ms at 100,000; this takes 14 ms at both, most of it building the statement).
        """
        highest_of_each_kind = [
            Coalesce(
                Subquery(self.publishable().filter(of_public_facts).order_by("-source_id").values("source_id")[:1]),
                Value(0),
                output_field=BigIntegerField(),
            )
            for of_public_facts in self._of_public_facts()
        ]
        # Computed beside one source row, as a SELECT needs one: no source, no highest.
        highest = Source.objects.order_by().annotate(
            highest=Greatest(*highest_of_each_kind, output_field=BigIntegerField())
        )
        return highest.values_list("highest", flat=True).first() or 0

    @staticmethod
    def _of_public_facts() -> list[Q]:
        """Per citable model: citations of a fact that is public by that model's own public()."""
        conditions = []
        for model_name in CITABLE_MODEL_NAMES:
            model = apps.get_model("prisoners", model_name)
            public_ids = model.objects.public().values("pk")
            conditions.append(Q(content_type=ContentType.objects.get_for_model(model), object_id__in=public_ids))
        return conditions

    def publishable(self):
        """Citations reviewed and not marked private: public exactly when the fact they support is public.

        Only for prefetching the citations of facts already read through their public().
        """
        return self.filter(reviewed_q(), is_private=False)

    def reviewed(self):
        return self.filter(reviewed_q())

    def about(self, person: Person):
        """Citations of the person's record or of one of their reviewed facts."""
        condition = Q(content_type=ContentType.objects.get_for_model(Person), object_id=person.pk)
        for model_name in CITABLE_MODEL_NAMES:
            model = apps.get_model("prisoners", model_name)
            path = getattr(model.objects.none(), "person_field", None)
            if path:
                facts = model.objects.reviewed().filter(**{path: person}).values("pk")
                condition |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=facts)
        return self.filter(condition)


class Citation(Reviewed):
    """A source's support for one fact, with the passage that says it."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    quote = models.TextField(_("quote"), max_length=2000, blank=True, help_text=_("A short passage, not the article."))
    locator = models.CharField(_("locator"), max_length=200, blank=True, help_text=_("paragraph, page, timestamp"))
    certainty = models.CharField(_("certainty"), max_length=16, choices=Certainty.choices, default=Certainty.REPORTED)
    field_name = models.CharField(
        _("field"),
        max_length=64,
        blank=True,
        help_text=_("Which field of the record this supports (e.g. occupation); empty for the whole record."),
    )
    claim = models.CharField(
        _("claim"),
        max_length=300,
        blank=True,
        help_text=_("What the source says where it differs from the record, e.g. “16 released”."),
    )
    is_private = models.BooleanField(
        _("private"),
        default=False,
        help_text=_("Supports a private note or a family contact: never shown, exported or sent to the API."),
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, limit_choices_to=CITABLE_MODELS)
    object_id = models.PositiveBigIntegerField()
    content_object = GenericForeignKey("content_type", "object_id")

    history = RecordHistory()

    objects = CitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        ordering = ["pk"]
        permissions = [("publish_citation", _("Can make a private citation public"))]
        indexes = [
            models.Index(fields=["content_type", "object_id"]),
            # The highest public source, one kind of fact at a time (highest_public_source_id).
            models.Index(fields=["content_type", "source"], name="citation_kind_source_idx"),
        ]

    def __str__(self):
        return f"{self.source.title}: “{self.quote[:80]}”"

    def save(self, *args, **kwargs):
        # However a citation is written, one of a private field can never be public.
        if is_private_field_name(self.field_name):
            self.is_private = True
        super().save(*args, **kwargs)

    def field_label(self) -> str:
        """The cited field as readers call it (its verbose name, in the active language); else as typed.

        field_name is free text a researcher types ("mediator", "birth_date", "date of birth"),
        so what names no field of the cited record's model is shown as it is.
        """
        # get_for_id reads Django's content type cache, which loading content_object filled.
        model = ContentType.objects.get_for_id(self.content_type_id).model_class()
        name = "_".join(self.field_name.lower().split())  # "birth date" is birth_date
        try:
            field = model._meta.get_field(name)
        except (AttributeError, FieldDoesNotExist):
            return self.field_name
        return str(getattr(field, "verbose_name", self.field_name))


def document_upload_path(instance, filename: str) -> str:
    return random_upload_path("documents", filename)


def thumbnail_upload_path(instance, filename: str) -> str:
    return f"thumbnails/{uuid.uuid4().hex}.jpg"


class DocumentKind(models.TextChoices):
    VERDICT = "verdict", _("verdict")
    INDICTMENT = "indictment", _("indictment")
    APPEAL_RULING = "appeal_ruling", _("appeal ruling")
    LETTER = "letter", _("letter")
    PHOTO = "photo", _("photo")
    STATEMENT = "statement", _("statement")
    OTHER = "other", _("other")


class DocumentQuerySet(models.QuerySet):
    def public(self):
        """Documents marked public that concern at least one public person and no one else."""
        links = Document.people.through.objects.filter(document=OuterRef("pk"))
        return self.filter(
            Exists(links.filter(public_person_q("person__"))),
            ~Exists(links.exclude(public_person_q("person__"))),
            is_public=True,
        )

    def visible_to(self, user):
        """Every document for staff who may view documents (see roles.may_see_unpublished); public ones otherwise."""
        from prisoners.roles import may_see_unpublished

        return self if may_see_unpublished(user, "sources.view_document") else self.public()


class Document(models.Model):
    file = models.FileField(_("file"), upload_to=document_upload_path)
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    date, date_earliest, date_latest = partial_date_fields(_("date"))
    is_public = models.BooleanField(
        _("public"), default=False, help_text=_("Restricted (the default) files are only served to logged-in staff.")
    )
    people = models.ManyToManyField(Person, related_name="documents", blank=True, verbose_name=_("people"))
    source = models.ForeignKey(
        Source, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents", verbose_name=_("source")
    )
    description = models.TextField(_("description"), blank=True)
    original_name = models.CharField(_("original file name"), max_length=255, blank=True, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, editable=False)
    text = models.TextField(_("extracted text"), blank=True, editable=False)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=thumbnail_upload_path, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    history = RecordHistory(excluded_fields=["text"])

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        permissions = [("publish_document", _("Can make a document public"))]
        ordering = [F("date_earliest").desc(nulls_last=True), "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("sources:document_file", kwargs={"pk": self.pk})
