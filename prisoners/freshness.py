"""How fresh public responses are: their ETags and Cache-Control, and the keys of caches of public data.

Every change a reader can see moves `Person.public_updated_at` of the people whose pages show it
(prisoners.services: a fact, a citation, a case or a release group moves its people), and a
person leaving public view (withdrawn, deleted, merged away) stamps PublicExit as they leave. So
the later of the two, the latest stamp of a public person (one index entry) and the last exit
(public_state), moves whenever anything public does; an ETag or a cache key made of it never
outlives what it describes. Only public changes stamp: nothing in it moves when someone edits a
draft or a private note, and nothing in it is read from a row readers cannot see.

Anonymous readers get `Cache-Control: public, max-age=60` and an ETag, so a browser or a CDN
serves them and then asks again with If-None-Match, answered 304 after that one query and
without running the view. Whoever is logged in gets `private, no-store`: a shared cache must
never keep what a member of staff was sent. (No Last-Modified: a page also changes with a
deployment and with the day, an age or "the last 12 months", which no date of the record says,
so a date alone could call a page fresh that is not.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import cache, cached_property, wraps
from pathlib import Path

import django
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache as shared_cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.views.decorators.http import condition

from sources.models import Document

from .models import Defendant, Person, PublicExit

# How long a browser or a CDN may serve a public response before asking again.
PUBLIC_MAX_AGE = 60
# How long a list's count is kept while nothing public changes (the state's token keys it). Short:
# every distinct search or filter a client sends is a key, and they must not pile up in Redis.
COUNT_CACHE_SECONDS = 10 * 60
# A list's pages hold at most this many people (PublicPaginator); the downloads hold all.
LISTED_AT_MOST = 10_000
# What renders a response, for code_version(): a deployment that changes any of it changes every ETag.
RENDERING_DIRECTORIES = ("casetracker", "prisoners", "sources", "templates", "locale", "static")
RENDERING_SUFFIXES = frozenset({".py", ".html", ".txt", ".xml", ".mo", ".css", ".js", ".svg"})


@dataclass(frozen=True)
class PublicState:
    """A fingerprint of what readers can see: how many public people there are and their latest public change."""

    changed_at: dt.datetime | None
    # For one profile: how many public people its page shows (a co-defendant withdrawn leaves it).
    people: int | None = None

    @property
    def token(self) -> str:
        return f"{self.people}.{self.changed_at.isoformat() if self.changed_at else '-'}"


def public_state(request=None) -> PublicState:
    """The fingerprint of the whole public record, in one query; read once per request when given one.

    The later of the latest public person's stamp and the last exit from public view: a list
    that lost someone changed then, so no count of public people is needed (it would read every row).
    """
    # A DRF Request reads attributes it lacks from its HttpRequest, so the view's and its filters' agree.
    state = getattr(request, "_public_state", None)
    if state is None:
        stamped, left = Max("public_updated_at"), Subquery(PublicExit.objects.filter(pk=1).values("left_at"))
        # Greatest is NULL on SQLite when either side is: each side falls back on the other.
        latest = Greatest(Coalesce(stamped, left), Coalesce(left, stamped))
        state = PublicState(Person.objects.public().aggregate(changed_at=latest)["changed_at"])
        if request is not None:
            request._public_state = state
    return state


def public_last_modified() -> dt.datetime | None:
    """The latest change readers could see, of a person or anything on their pages (a group, a case, a citation)."""
    return public_state().changed_at


def person_state(slug: str) -> PublicState | None:
    """The fingerprint of one person's profile (page and API), in one query; None when they are not public.

    Their page also names the public co-defendants of their cases, and their documents are
    public only while all the documents' people are, so those people count too: one of them
    renamed, withdrawn or published changes it.
    """
    cases = Defendant.objects.filter(person__slug=slug).values("case")
    documents = Document.people.through.objects.filter(person__slug=slug).values("document")
    # A union of small id lists, each read by index (an OR of subqueries would scan everyone).
    shown = (
        Person.objects.filter(slug=slug)
        .order_by()
        .values("pk")
        .union(
            Defendant.objects.filter(case__in=cases).order_by().values("person"),
            Document.people.through.objects.filter(document__in=documents).order_by().values("person"),
        )
    )
    values = (
        Person.objects.public()
        .filter(pk__in=shown)
        .aggregate(found=Count("pk", filter=Q(slug=slug)), people=Count("pk"), changed_at=Max("public_updated_at"))
    )
    return PublicState(values["changed_at"], values["people"]) if values.pop("found") else None


@cache
def code_version() -> str:
    """A digest of the templates, translations, static files and code that render responses, read once per process."""
    digest = hashlib.sha256(django.get_version().encode())
    base = Path(settings.BASE_DIR)
    for directory in RENDERING_DIRECTORIES:
        for path in sorted((base / directory).rglob("*")):
            if path.suffix in RENDERING_SUFFIXES and path.is_file() and "migrations" not in path.parts:
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def public_etag(request, state: PublicState | None, *parts) -> str:
    """A weak ETag for a public response: what it shows (`state`, `parts`), in which form, for which URL and day.

    The URL brings the host, the query string (filters, sort, page) and the language prefix;
    the active language is added for the API and the sitemaps, which follow Accept-Language;
    the day for what counts from today (an age, the last 12 months).
    """
    text = "\n".join(
        [
            code_version(),
            state.token if state is not None else "",
            request.build_absolute_uri(),
            get_language() or "",
            timezone.localdate().isoformat(),
            *(str(part) for part in parts),
        ]
    )
    return f'W/"{hashlib.sha256(text.encode()).hexdigest()[:32]}"'


def public_record_etag(request, *args, **kwargs) -> str:
    """The ETag of a response made from the public record at large (a list, the home page, a sitemap)."""
    return public_etag(request, public_state(request))


class PublicPaginator(Paginator):
    """A paginator over part of the public record that counts and pages through at most `listed_at_most` people.

    An exact count reads every person a filter selects: 46,000 index entries through charges for
    one article at 100,000 people (54 ms), where the page itself took 1 ms. So a list counts no
    further than it lets a reader page (as Elasticsearch's total hits stop at 10,000 by default):
    up to that the count is exact, beyond it the page says "more than" and points to narrower
    filters and the downloads, which hold everyone. The count is also kept, keyed by the query
    and the public state, until anything public changes; the page is always read from the database.
    """

    listed_at_most = LISTED_AT_MOST

    def __init__(self, object_list, per_page, *, state: PublicState, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.state = state

    @cached_property
    def count(self) -> int:
        """How many people the pages hold: all that match, or `listed_at_most` when more do."""
        return min(self._matching_up_to_one_more, self.listed_at_most)

    @property
    def more_than_listed(self) -> bool:
        """Whether more people match than the pages hold."""
        return self._matching_up_to_one_more > self.listed_at_most

    @cached_property
    def _matching_up_to_one_more(self) -> int:
        counted = self.object_list.order_by()[: self.listed_at_most + 1]
        try:
            sql, params = counted.query.sql_with_params()
        except EmptyResultSet:  # a filter that can select no one: counted without a query
            return 0
        query = "\n".join([code_version(), self.state.token, self.object_list.db, sql, repr(params)])
        key = f"prisoners:count:{hashlib.sha256(query.encode()).hexdigest()}"
        count = shared_cache.get(key)
        if count is None:
            count = counted.count()
            shared_cache.set(key, count, COUNT_CACHE_SECONDS)
        return count


def is_signed_in(request) -> bool:
    """Whether the request's session holds a logged-in user; reading it makes the response vary by cookie.

    The session, not request.user: a DRF view replaces its request's user with its own, always
    anonymous here. A reader without a cookie has an empty session, read without a query.
    """
    session = getattr(getattr(request, "_request", request), "session", None)
    return session is not None and SESSION_KEY in session


def public_response(etag_func=None):
    """Decorate a public view: cacheable for anonymous readers, answered 304 while `etag_func` says unchanged.

    `etag_func(request, *args, **kwargs)` returns the response's ETag (public_etag) or None for
    none (a page that will be a 404). A logged-in user's response is `private, no-store`, with
    no ETag, whatever the view shows them.
    """

    def decorator(view):
        conditional = condition(etag_func=etag_func)(view) if etag_func else view

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if is_signed_in(request):
                return private_response(view(request, *args, **kwargs))
            return _publicly_cacheable(conditional(request, *args, **kwargs))

        return wrapper

    return decorator


def private_response(response):
    """Mark `response` as for its one recipient: never kept by a shared cache or stored by the browser."""
    if response.has_header("ETag"):
        del response["ETag"]
    patch_cache_control(response, private=True, no_store=True)
    return response


def _publicly_cacheable(response):
    if response.cookies:  # a cookie is for one client (no reader is ever sent one)
        return private_response(response)
    if response.status_code in (200, 304):
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    elif response.has_header("ETag"):
        del response["ETag"]  # an error page is not a representation to revalidate
    return response
