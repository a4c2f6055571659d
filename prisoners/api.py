"""Read-only public API (/api/v1/): the public list's filters, public records only."""

import re

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from sources.models import Citation, Source

from .filters import PersonApiFilter
from .freshness import person_state, public_etag, public_response, public_state
from .models import Charge, CustodyPeriod, Defendant, Person, Release, ReleaseGroup, Sentence, StatusEvent


def one_query_value(request, name: str, *, empty_allowed: bool = False) -> str | None:
    """The value of query parameter `name`, None when it is absent; 400 when it is repeated or empty.

    DRF and Django take the last of repeated values and treat an empty one as absent; a client
    that sent either made a mistake that should not come back as an answer to another question.
    """
    values = request.query_params.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise ValidationError({name: [_("%(parameter)s was given more than once.") % {"parameter": name}]})
    if not values[0] and not empty_allowed:
        raise ValidationError({name: [_("%(parameter)s was given without a value.") % {"parameter": name}]})
    return values[0]


# What DRF's cursors are written in: base64, standard or URL-safe.
CURSOR_CHARACTERS = re.compile(r"[A-Za-z0-9+/=_-]+")


class ByIdCursor(CursorPagination):
    """Stable pages for harvesting large lists: ordered by id, whatever the filters."""

    ordering = "pk"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        # DRF falls back to the default for a size it cannot read (page_size=true, -3, 9999);
        # here the client hears that its size was not used.
        text = one_query_value(request, self.page_size_query_param)
        if text is None:
            return self.page_size
        if not (text.isascii() and text.isdecimal() and 1 <= int(text) <= self.max_page_size):
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("page_size is a whole number from 1 to %(most)d.") % {"most": self.max_page_size}
                    ]
                }
            )
        return int(text)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters

    def decode_cursor(self, request):
        # DRF decodes the position without checking it; an id that is no number is an invalid cursor.
        raw = one_query_value(request, self.cursor_query_param, empty_allowed=True)  # empty: the first page
        # DRF's base64 decoding skips characters outside its alphabet, so "=\x00" read as the
        # first page; a cursor this API gave out holds none.
        if raw and not CURSOR_CHARACTERS.fullmatch(raw):
            raise NotFound(self.invalid_cursor_message)
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and not str(cursor.position).isdecimal():
            raise NotFound(self.invalid_cursor_message)
        return cursor


# --- Serializers ------------------------------------------------------------------------------


class CitationSerializer(serializers.ModelSerializer):
    source_id = serializers.IntegerField(read_only=True)
    source_title = serializers.CharField(source="source.title", read_only=True)
    source_url = serializers.CharField(source="source.url", read_only=True)

    class Meta:
        model = Citation
        fields = ["source_id", "source_title", "source_url", "quote", "locator", "certainty", "field_name", "claim"]


def _public_citations(fact):
    # Attached by PersonQuerySet.with_cited_record(): the fact's public citations only (cited_record_attach).
    return fact.citations.all()


class CitedSerializer(serializers.ModelSerializer):
    citations = serializers.SerializerMethodField()

    @extend_schema_field(CitationSerializer(many=True))
    def get_citations(self, fact):
        return CitationSerializer(_public_citations(fact), many=True).data


class StatusEventSerializer(CitedSerializer):
    class Meta:
        model = StatusEvent
        fields = ["date", "date_earliest", "date_latest", "status", "note", "citations"]


class ChargeSerializer(CitedSerializer):
    code = serializers.CharField(source="article.code")
    article = serializers.CharField(source="article.article")
    part = serializers.CharField(source="article.part")
    title = serializers.CharField(source="article.title")

    class Meta:
        model = Charge
        fields = ["code", "article", "part", "title", "description", "citations"]


class SentenceSerializer(CitedSerializer):
    term = serializers.CharField(source="term.code")

    class Meta:
        model = Sentence
        fields = [
            "date",
            "date_earliest",
            "date_latest",
            "kind",
            "term",
            "regime",
            "court",
            "judge",
            "fine_amount",
            "fine_unit",
            "note",
            "citations",
        ]


class CaseRoleSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="case.title")
    case_number = serializers.CharField(source="case.case_number")
    court = serializers.CharField(source="case.court")
    charges = ChargeSerializer(many=True)
    sentences = SentenceSerializer(many=True)

    class Meta:
        model = Defendant
        fields = ["title", "case_number", "court", "charges", "sentences"]


class CustodySerializer(CitedSerializer):
    facility = serializers.CharField(source="facility.name")

    class Meta:
        model = CustodyPeriod
        fields = [
            "facility",
            "start",
            "start_earliest",
            "start_latest",
            "end",
            "end_earliest",
            "end_latest",
            "note",
            "citations",
        ]


class ReleaseSerializer(CitedSerializer):
    group = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    destination = serializers.CharField(source="taken_to", read_only=True)

    class Meta:
        model = Release
        fields = ["date", "date_earliest", "date_latest", "release_type", "group", "destination", "note", "citations"]


class _ExportedDate(serializers.Field):
    """A person's date as the downloads give it: the stored export_<date><part> column (Person)."""

    def __init__(self, date: str, part: str, **kwargs):
        suffix = "" if part == "text" else f"_{part}"
        super().__init__(source=f"export_{date}{suffix}", read_only=True, **kwargs)

    def to_representation(self, value):
        return value or None


@extend_schema_field(serializers.CharField(allow_null=True))
class ExportedDateText(_ExportedDate):
    def __init__(self, date: str):
        super().__init__(date, "text", help_text="EDTF, as recorded: 2020-05 is May 2020, 2020-05/2020-08 between.")


@extend_schema_field(serializers.DateField(allow_null=True))
class ExportedDay(_ExportedDate):
    def __init__(self, date: str, part: str):
        help_text = {"earliest": "The first day the date can mean.", "latest": "The last day the date can mean."}
        super().__init__(date, part, help_text=help_text[part])


class PersonSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    total_term = serializers.CharField(source="total_term_code")
    # Partial dates travel as EDTF with their first and last day; never as one invented day
    # (the person row's custody_started_on is only the first day of "May 2020").
    current_status_since = ExportedDateText("current_status_since")
    current_status_since_earliest = ExportedDay("current_status_since", "earliest")
    current_status_since_latest = ExportedDay("current_status_since", "latest")
    detained_on = ExportedDateText("detained_on")
    detained_on_earliest = ExportedDay("detained_on", "earliest")
    detained_on_latest = ExportedDay("detained_on", "latest")
    released_on = ExportedDateText("released_on")
    released_on_earliest = ExportedDay("released_on", "earliest")
    released_on_latest = ExportedDay("released_on", "latest")

    class Meta:
        model = Person
        fields = [
            "slug",
            "url",
            "display_name",
            "name_latin",
            "name_be",
            "name_ru",
            "current_status",
            "current_status_since",
            "current_status_since_earliest",
            "current_status_since_latest",
            "is_recognised",
            "region",
            "gender",
            "occupation",
            "detained_on",
            "detained_on_earliest",
            "detained_on_latest",
            "released_on",
            "released_on_earliest",
            "released_on_latest",
            "total_term",
        ]

    def get_url(self, person) -> str:
        return self.context["request"].build_absolute_uri(person.get_absolute_url())


class NameVariantSerializer(serializers.Serializer):
    text = serializers.CharField()
    language = serializers.CharField()
    script = serializers.CharField()
    kind = serializers.CharField()


class PersonDetailSerializer(PersonSerializer):
    name_variants = NameVariantSerializer(many=True)
    birth_date = serializers.CharField()
    status_events = StatusEventSerializer(many=True)
    cases = CaseRoleSerializer(many=True, source="defendant_roles")
    custody = CustodySerializer(many=True, source="custody_periods")
    releases = ReleaseSerializer(many=True)
    citations = serializers.SerializerMethodField()

    class Meta(PersonSerializer.Meta):
        fields = [
            *PersonSerializer.Meta.fields,
            "birth_date",
            "birth_date_earliest",
            "birth_date_latest",
            "biography",
            "letters_address",
            "name_variants",
            "status_events",
            "cases",
            "custody",
            "releases",
            "citations",
        ]

    @extend_schema_field(CitationSerializer(many=True))
    def get_citations(self, person):
        return CitationSerializer(_public_citations(person), many=True).data


class ReleaseGroupSerializer(serializers.ModelSerializer):
    people = serializers.SerializerMethodField()
    destinations = serializers.SerializerMethodField()

    class Meta:
        model = ReleaseGroup
        fields = [
            "slug",
            "name",
            "date",
            "date_earliest",
            "date_latest",
            "mediator",
            "destination",
            "destinations",
            "reported_size",
            "people",
        ]

    def get_people(self, group) -> list[str]:
        return [release.person.slug for release in group.public_releases]

    @extend_schema_field(
        {
            "type": "array",
            "items": {"type": "object", "properties": {"place": {"type": "string"}, "people": {"type": "integer"}}},
        }
    )
    def get_destinations(self, group) -> list[dict]:
        return [{"place": place, "people": count} for place, count in group.destinations(group.public_releases)]


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "title", "url", "outlet", "author", "language", "published", "kind"]


# --- Views ------------------------------------------------------------------------------------


class PublicRecordView:
    """A view of the public record: its ETag answers 304 until something public changes (prisoners.freshness).

    The ETag is made after content negotiation, so JSON and the browsable page differ, and
    after throttling, so a revalidation counts like any request. DRF adds `Vary: Accept`.
    """

    def public_state(self, request, **kwargs):
        return public_state(request)

    def etag(self, request, *args, **kwargs) -> str | None:
        state = self.public_state(request, **kwargs)
        return None if state is None else public_etag(request, state, request.accepted_renderer.format)

    def get(self, request, *args, **kwargs):
        return public_response(self.etag)(super().get)(request, *args, **kwargs)


class PersonList(PublicRecordView, generics.ListAPIView):
    """Published people, with exactly the filters and `q` of /prisoners/."""

    serializer_class = PersonSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PersonApiFilter
    pagination_class = ByIdCursor

    def get_queryset(self):
        return Person.objects.public()

    def filter_queryset(self, queryset):
        # The filters may rank by name match or sort; cursor pages need the id order.
        return super().filter_queryset(queryset).order_by("pk")


class PersonDetail(PublicRecordView, generics.RetrieveAPIView):
    serializer_class = PersonDetailSerializer
    lookup_field = "slug"

    def public_state(self, request, **kwargs):
        return person_state(kwargs["slug"])  # None (no ETag) when the person is not public: a 404

    def get_queryset(self):
        return Person.objects.public().with_cited_record()


class ReleaseGroupList(PublicRecordView, generics.ListAPIView):
    serializer_class = ReleaseGroupSerializer
    pagination_class = ByIdCursor

    def get_queryset(self):
        public_releases = Release.objects.public().select_related("person", "group")
        return ReleaseGroup.objects.public().prefetch_related(
            Prefetch("releases", queryset=public_releases, to_attr="public_releases")
        )


class SourceList(PublicRecordView, generics.ListAPIView):
    serializer_class = SourceSerializer
    pagination_class = ByIdCursor

    def get_queryset(self):
        return Source.objects.public()


class StatsView(PublicRecordView, APIView):
    """Counts computed from the records: in custody on a day, monthly series, breakdowns."""

    @extend_schema(
        parameters=[OpenApiParameter("on", OpenApiTypes.DATE, description="Day to count (default: today)")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, *args, **kwargs):
        return public_response(self.etag)(self._stats)(request)

    def _stats(self, request):
        from .freshness import public_state
        from .stats import stats_summary

        text = one_query_value(request, "on")
        day = timezone.localdate() if text is None else serializers.DateField().to_internal_value(text)
        return Response(stats_summary(on=day, state=public_state(request)))
