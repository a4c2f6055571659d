"""The sitemap: an index (/sitemap.xml) of pages of at most 10,000 URLs, each served from the cache.

A page is rendered once per public state (prisoners.freshness): any public change renders it
again, and until then every request is one query (the state) and a cache read.
"""

import hashlib
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.contrib.sites.shortcuts import get_current_site
from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Max, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.http import http_date

from sources.models import Citation, Source

from .freshness import code_version, public_record_etag, public_response, public_state
from .models import Person, ReleaseGroup

# Entries of an older public state are never read again; this only bounds how long they stay.
SITEMAP_CACHE_SECONDS = 24 * 60 * 60
# The headers of a rendered page that its cached copy keeps.
KEPT_HEADERS = ("Content-Type", "Last-Modified", "X-Robots-Tag")
# Stands for a record's URL argument while a section's URL pattern is reversed once per language;
# digits, so that an <int:pk> as well as a <slug:slug> pattern accepts it.
URL_ARGUMENT_MARK = "31415926535897932384"
# What a URL argument may hold to be written as it is: quote() leaves these as they are.
URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]*")
URLSET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
)


class EveryLanguage(Sequence):
    """(item, language) for every item and language, read a page at a time.

    Django's i18n sitemaps build that list whole; for 100,000 people that is every row on
    every request. Sliced, this reads only the rows of the page asked for.
    """

    def __init__(self, items, languages: list[str]):
        self.items, self.languages = items, languages

    def __len__(self):
        return self._length

    @cached_property
    def _length(self) -> int:
        return self.items.count() * len(self.languages)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop, _step = index.indices(len(self))
        per_item = len(self.languages)
        first = start // per_item
        rows = list(self.items[first : -(-stop // per_item)])
        pairs = [(item, language) for item in rows for language in self.languages]
        return pairs[start - first * per_item : stop - first * per_item]


@dataclass(frozen=True)
class PageOfRecords:
    object_list: list  # (record, language) pairs, as a Paginator page of EveryLanguage holds


class PagesById:
    """Page n holds the records with ids from (n - 1) * per_page + 1 to n * per_page, in every language.

    The number of pages comes from the highest public id (an index scan from the top, stopping
    at the first public record), so no page ever needs every record counted; a page may hold
    fewer records than it could, or none. Only the parts of a Paginator the sitemap uses.
    """

    def __init__(
        self, items: Callable[[], QuerySet], languages: list[str], per_page: int, highest_id: Callable[[], int]
    ):
        self.items, self.languages, self.per_page, self.highest_id = items, languages, per_page, highest_id

    @cached_property
    def num_pages(self) -> int:
        return max(1, -(-self.highest_id() // self.per_page))

    def page(self, number) -> PageOfRecords:
        try:
            number = int(number)
        except (TypeError, ValueError) as error:
            raise PageNotAnInteger(str(number)) from error
        if not 1 <= number <= self.num_pages:
            raise EmptyPage(str(number))
        first, last = (number - 1) * self.per_page, number * self.per_page
        records = self.items().filter(pk__gt=first, pk__lte=last).order_by("pk")
        return PageOfRecords([(record, language) for record in records for language in self.languages])


class LanguagesSitemap(Sitemap):
    """Every page once per interface language, each entry naming the others (hreflang alternates)."""

    i18n = True
    alternates = True
    # URLs per sitemap page: small enough to render quickly and cache whole (the protocol allows 50,000).
    limit = 10_000
    # No x_default: Django makes it by removing "/en/" from the English URL, which has none
    # (English is unprefixed) but could hold one in a slug. The pages' own <head> names it.

    # A section of records names the URL pattern of a record's page and the field filling its
    # one argument; its pages are then written directly (page_xml), not through Django's template.
    url_name = ""
    url_argument = "slug"

    # The field of a record's last public change (<lastmod>), if the section has one.
    lastmod_field = ""

    # Pages by id range instead of by position: for records too many or too costly to count (a
    # source is public through its citations), so the index need not count them.
    pages_by_id = False

    def highest_id(self) -> int:
        """The highest id of a record in this section (pages_by_id), 0 for none: read from the top of its ids."""
        return self.items().order_by("-pk").values_list("pk", flat=True).first() or 0

    def rows(self):
        """(id, URL argument, day of the last change) of each record, or (id, URL argument): what page_xml
        writes, as plain values.

        Not model instances: making 3,333 deferred instances (and hashing them) was a third of a
        page's time. The day, not the time: the database converts it to the current time zone's
        day (TruncDate), where reading 3,333 aware times into Python cost as much again.
        """
        day = [TruncDate(self.lastmod_field)] if self.lastmod_field else []
        return self.items().values_list("pk", self.url_argument, *day)

    @property
    def paginator(self):
        """Pages of (record, language): Django's views read them (and the index only counts them)."""
        return self._paginator(self.items)

    def _paginator(self, items: Callable):
        """Pages of what `items()` returns."""
        # Whole items per page, so one record's language versions are always on the same page.
        languages = list(self._languages())
        records_per_page = max(1, self.limit // len(languages))
        if self.pages_by_id:
            # The records are only asked for when a page is: the index need not build their query
            # (for sources, the public rule over every kind of fact, a third of the index's time).
            return PagesById(items, languages, records_per_page, self.highest_id)
        items = items()
        if hasattr(items, "count") and hasattr(items, "query"):
            items = EveryLanguage(items, languages)
        else:  # a list of URL names (the static pages): Django's own pairs of them
            items = super()._items()
        return Paginator(items, records_per_page * len(languages))

    def _path_templates(self) -> dict[str, tuple[str, str]]:
        """Per language, the text before and after a record's argument in its page's path.

        One reverse() per language and page instead of one per URL and alternate: Django's own
        rendering of 10,000 URLs with their alternates took seconds, nearly all in reverse() and
        the template.
        """
        templates = {}
        for language in self._languages():
            with translation.override(language):
                path = reverse(self.url_name, kwargs={self.url_argument: URL_ARGUMENT_MARK})
            before, _mark, after = path.partition(URL_ARGUMENT_MARK)
            templates[language] = (before, after)
        return templates

    def _record_template(self, root: str, languages: list[str]) -> str:
        """One record's <url> entries, a %-format with its `argument` and `lastmod` left open.

        Written once per page and filled once per record: building each record's locations and
        alternates anew was most of a page's time.
        """
        locations = {
            code: (root + xml_escape(before)).replace("%", "%%") + "%(argument)s" + xml_escape(after).replace("%", "%%")
            for code, (before, after) in self._path_templates().items()
        }
        alternates = "".join(
            f'<xhtml:link rel="alternate" hreflang={quoteattr(code)} href="{location}"/>'
            for code, location in locations.items()
        )
        entries = [f"<url><loc>{locations[language]}</loc>%(lastmod)s{alternates}</url>\n" for language in languages]
        return "".join(entries)

    def page_xml(self, request, page) -> HttpResponse:
        """Page `page` of this section as Django's sitemap view would write it (same entries and headers)."""
        try:
            pairs = self._paginator(self.rows).page(page).object_list
        except (EmptyPage, PageNotAnInteger) as error:
            raise Http404(f"No page {page!r}") from error
        records = list(dict.fromkeys(row for row, _language in pairs))  # each once, in page order
        languages = [language for row, language in pairs if row is records[0]] if records else []
        root = xml_escape(f"{request.scheme}://{get_current_site(request).domain}")
        entry = self._record_template(root, languages)
        arguments = [str(row[1]) for row in records]
        # Ids and slugs are URL-safe ASCII, checked once for the page; quote() only guards one that is not.
        if not URL_SAFE.fullmatch("".join(arguments)):
            arguments = [xml_escape(quote(argument, safe="-_.~")) for argument in arguments]
        days = [row[2] for row in records] if self.lastmod_field else [None] * len(records)
        body = [
            entry % {"argument": argument, "lastmod": f"<lastmod>{day.isoformat()}</lastmod>" if day else ""}
            for argument, day in zip(arguments, days, strict=True)
        ]
        headers = {}
        if days and all(days):
            # The page's latest change to the second, as Django's view says it: one aggregate over its ids.
            ids = [row[0] for row in records]
            on_page = self.items().filter(pk__gte=min(ids), pk__lte=max(ids))
            headers["Last-Modified"] = http_date(
                on_page.aggregate(latest=Max(self.lastmod_field))["latest"].timestamp()
            )
        headers["X-Robots-Tag"] = "noindex, noodp, noarchive"
        return HttpResponse(
            URLSET_OPEN + "".join(body) + "</urlset>\n", content_type="application/xml", headers=headers
        )


class StaticPagesSitemap(LanguagesSitemap):
    def items(self):
        return ["prisoners:home", "prisoners:person_list"]

    def location(self, item):
        return reverse(item)


class PersonSitemap(LanguagesSitemap):
    url_name = "prisoners:person_detail"
    # Counting every public person was a quarter of the index's time at 100,000 people (14 ms);
    # the highest public id is one index entry read from the top.
    pages_by_id = True

    lastmod_field = "public_updated_at"

    def items(self):
        return Person.objects.public().order_by("pk")

    def lastmod(self, person):
        return getattr(person, self.lastmod_field)

    def get_latest_lastmod(self):
        # For the index: one aggregate, where Django's default would read every person.
        return Person.objects.public().aggregate(latest=Max("public_updated_at"))["latest"]


class ReleaseGroupSitemap(LanguagesSitemap):
    url_name = "prisoners:release_group_detail"

    def items(self):
        return ReleaseGroup.objects.public().order_by("pk")


class SourceSitemap(LanguagesSitemap):
    url_name, url_argument = "sources:source_detail", "pk"
    pages_by_id = True

    def items(self):
        return Source.objects.public().order_by("pk")

    def highest_id(self) -> int:
        return Citation.objects.highest_public_source_id()


SITEMAPS = {
    "pages": StaticPagesSitemap,
    "people": PersonSitemap,
    "releases": ReleaseGroupSitemap,
    "sources": SourceSitemap,
}


@dataclass(frozen=True)
class CachedPage:
    body: bytes  # zlib-compressed: a page of 10,000 URLs with their alternates is a few MB of XML
    headers: dict[str, str]


def _from_cache(request, render) -> HttpResponse:
    """The response `render()` makes for this URL, rendered once per public state and then read from the cache.

    Keyed by the whole URL (host, section, page) and the public state, so a public change or a
    deployment renders it again; only a 200 is kept.
    """
    key = "\n".join([request.build_absolute_uri(), public_state(request).token, code_version()])
    key = "prisoners:sitemap:" + hashlib.sha256(key.encode()).hexdigest()
    page = cache.get(key)
    if page is not None:
        return HttpResponse(zlib.decompress(page.body), headers=page.headers)
    response = render()
    if hasattr(response, "render"):  # Django's own views answer with a TemplateResponse
        response.render()
    if response.status_code != 200:
        return response
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    # Level 1: a few MB of repetitive XML shrinks about as well, in a fraction of the time.
    cache.set(key, CachedPage(zlib.compress(response.content, 1), headers), SITEMAP_CACHE_SECONDS)
    # Answered as the cache will answer it: only the kept headers.
    return HttpResponse(response.content, headers=headers)


@public_response(public_record_etag)
def sitemap_index(request):
    """Every page of every section (/sitemap-people.xml?p=2 ...)."""
    return _from_cache(request, lambda: sitemap_views.index(request, SITEMAPS, sitemap_url_name="sitemap_section"))


@public_response(public_record_etag)
def sitemap_section(request, section):
    """One page of one section, `?p=` (from 1) choosing the page; a page or section that does not exist is a 404."""
    if section not in SITEMAPS:
        raise Http404(f"No sitemap section {section!r}")
    sitemap = SITEMAPS[section]()
    if sitemap.url_name:
        return _from_cache(request, lambda: sitemap.page_xml(request, request.GET.get("p", 1)))
    return _from_cache(request, lambda: sitemap_views.sitemap(request, SITEMAPS, section=section))
