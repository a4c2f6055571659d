from django.conf import settings
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from sources.footnotes import Footnotes
from sources.models import Certainty, Citation

from .filters import PersonFilter
from .freshness import (
    PublicPaginator,
    person_state,
    public_etag,
    public_record_etag,
    public_response,
    public_state,
)
from .models import Person, Release, ReleaseGroup
from .presentation import csv_lines, json_chunks, list_row_details, person_json_ld, profile_url_prefix
from .stats import headline_counts
from .throttling import downloads_throttled

PAGE_SIZES = (10, 25, 50, 100)
# Tests match it.
FILTERS_REFUSED = gettext_noop("This list cannot be downloaded: a filter value cannot be read.")


@public_response(public_record_etag)
def home(request):
    people = Person.objects.public()
    return render(
        request,
        "prisoners/home.html",
        {
            "counts": headline_counts(timezone.localdate(), state=public_state(request)),
            "recent": people.recently_updated()[:10],
        },
    )


def _about_etag(request) -> str:
    # Nothing here is read from the records; the address comes from the settings.
    return public_etag(request, None, settings.CORRECTIONS_EMAIL)


@public_response(_about_etag)
def about(request):
    return render(
        request,
        "prisoners/about.html",
        {"corrections_email": settings.CORRECTIONS_EMAIL, "Certainty": Certainty},
    )


@public_response(public_record_etag)
def person_list(request):
    filterset = PersonFilter(request.GET, queryset=Person.objects.public(), request=request)
    requested = request.GET.get("per_page", "")
    # isdecimal() alone admits digits like "²" that int() refuses; ASCII digits only.
    per_page = int(requested) if requested.isascii() and requested.isdecimal() else 25
    # The latest release's own (possibly partial) date: the row's sort key is only its first day.
    people = filterset.results().prefetch_related(
        Prefetch("releases", queryset=Release.objects.public(), to_attr="public_releases")
    )
    paginator = PublicPaginator(people, per_page if per_page in PAGE_SIZES else 25, state=public_state(request))
    page = paginator.get_page(request.GET.get("page"))
    rows = [(person, list_row_details(person)) for person in page.object_list]
    return render(
        request,
        "prisoners/person_list.html",
        {"filter": filterset, "page": page, "rows": rows, "page_sizes": PAGE_SIZES},
    )


def _filters_refused(filterset) -> HttpResponseBadRequest:
    """A download's 400 for filter values it cannot read: one plain line per parameter, naming it."""
    lines = [gettext(FILTERS_REFUSED)] + [
        f"{parameter}: {' '.join(reasons)}" for parameter, reasons in filterset.invalid_parameters.items()
    ]
    return HttpResponseBadRequest("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@downloads_throttled
def person_list_csv(request):
    """The filtered public list as CSV, streamed row by row so memory stays flat."""
    filterset = PersonFilter(request.GET, queryset=Person.objects.public(), request=request)
    if not filterset.is_valid():
        return _filters_refused(filterset)
    lines = csv_lines(filterset.qs, profile_url_prefix(request))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="prisoners.csv"'
    return response


@downloads_throttled
def person_list_json(request):
    """The filtered public list as a JSON array, streamed row by row so memory stays flat."""
    filterset = PersonFilter(request.GET, queryset=Person.objects.public(), request=request)
    if not filterset.is_valid():
        return _filters_refused(filterset)
    chunks = json_chunks(filterset.qs, profile_url_prefix(request))
    response = StreamingHttpResponse(chunks, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="prisoners.json"'
    return response


def _cited(lookup: str) -> Prefetch:
    # For facts read through their public(): a citation of a public fact is public unless private.
    return Prefetch(lookup, queryset=Citation.objects.publishable().select_related("source"))


def _person_etag(request, slug) -> str | None:
    state = person_state(slug)
    return None if state is None else public_etag(request, state)


@public_response(_person_etag)
def person_detail(request, slug):
    people = Person.objects.public().with_cited_record()
    person = get_object_or_404(people, slug=slug)
    return render(
        request,
        "prisoners/person_detail.html",
        {
            "person": person,
            "footnotes": Footnotes(),
            "age": person.age_on(timezone.localdate()),
            "json_ld": person_json_ld(person, request),
        },
    )


@public_response()
def person_photo(request, slug):
    """Photos are served only for people the requester may see, never from a public directory."""
    person = get_object_or_404(Person.objects.visible_to(request.user), slug=slug)
    if not person.photo:
        raise Http404
    # The type the upload pipeline found in the content, never one guessed from the file name.
    response = FileResponse(
        person.photo.open("rb"), content_type=person.photo_content_type or "application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


@public_response(public_record_etag)
def release_group_detail(request, slug):
    group = get_object_or_404(ReleaseGroup.objects.public().prefetch_related(_cited("citations")), slug=slug)
    releases = list(
        Release.objects.public()
        .filter(group=group)
        .select_related("person", "group")
        .prefetch_related(_cited("citations"))
        .order_by("person__display_name")
    )
    context = {"group": group, "releases": releases, "destinations": group.destinations(releases)}
    return render(request, "prisoners/release_group_detail.html", {**context, "footnotes": Footnotes()})
