"""The sitemap: an index (/sitemap.xml) of pages of at most 10,000 URLs, each served from the cache.

A page is rendered once per public state (prisoners.freshness): any public change renders it
again, and until then every request is one query (the state) and a cache read.
"""

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpResponse
from django.urls import reverse

from sources.models import Source

from .freshness import code_version, public_record_etag, public_response, public_state
from .models import Person, ReleaseGroup

# Entries of an older public state are never read again; this only bounds how long they stay.
SITEMAP_CACHE_SECONDS = 24 * 60 * 60
# The headers of a rendered page that its cached copy keeps.
KEPT_HEADERS = ("Content-Type", "Last-Modified", "X-Robots-Tag")


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


class LanguagesSitemap(Sitemap):
    """Every page once per interface language, each entry naming the others (hreflang alternates)."""

    i18n = True
    alternates = True
    # URLs per sitemap page: small enough to render quickly and cache whole (the protocol allows 50,000).
    limit = 10_000
    # No x_default: Django makes it by removing "/en/" from the English URL, which has none
    # (English is unprefixed) but could hold one in a slug. The pages' own <head> names it.

    def _items(self):
        items = self.items()
        if hasattr(items, "count") and hasattr(items, "query"):
            return EveryLanguage(items, list(self._languages()))
        return super()._items()

    @property
    def paginator(self):
        # Whole items per page, so one record's language versions are always on the same page.
        languages = len(self._languages())
        return Paginator(self._items(), max(1, self.limit // languages) * languages)


class StaticPagesSitemap(LanguagesSitemap):
    def items(self):
        return ["prisoners:home", "prisoners:person_list"]

    def location(self, item):
        return reverse(item)


class PersonSitemap(LanguagesSitemap):
    def items(self):
        # Only what the entries need: a page of people is thousands of rows.
        return Person.objects.public().only("slug", "public_updated_at").order_by("pk")

    def lastmod(self, person):
        return person.public_updated_at

    def get_latest_lastmod(self):
        # For the index: one aggregate, where Django's default would read every person.
        return Person.objects.public().aggregate(latest=Max("public_updated_at"))["latest"]


class ReleaseGroupSitemap(LanguagesSitemap):
    def items(self):
        return ReleaseGroup.objects.public().only("slug").order_by("pk")


class SourceSitemap(LanguagesSitemap):
    def items(self):
        # The id makes the URL; a source's row also holds the text of its article.
        return Source.objects.public().only("pk").order_by("pk")


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
    if page is None:
        response = render()
        response.render()
        if response.status_code != 200:
            return response
        headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
        page = CachedPage(zlib.compress(response.content), headers)
        cache.set(key, page, SITEMAP_CACHE_SECONDS)
    return HttpResponse(zlib.decompress(page.body), headers=page.headers)


@public_response(public_record_etag)
def sitemap_index(request):
    """Every page of every section (/sitemap-people.xml?p=2 ...)."""
    return _from_cache(request, lambda: sitemap_views.index(request, SITEMAPS, sitemap_url_name="sitemap_section"))


@public_response(public_record_etag)
def sitemap_section(request, section):
    """One page of one section, `?p=` (from 1) choosing the page; a page or section that does not exist is a 404."""
    return _from_cache(request, lambda: sitemap_views.sitemap(request, SITEMAPS, section=section))
