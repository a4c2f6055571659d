from collections.abc import Sequence
from functools import cached_property

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from sources.models import Source

from .models import Person, ReleaseGroup


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
    # No x_default: Django makes it by removing "/en/" from the English URL, which has none
    # (English is unprefixed) but could hold one in a slug. The pages' own <head> names it.

    def _items(self):
        items = self.items()
        if hasattr(items, "count") and hasattr(items, "query"):
            return EveryLanguage(items, list(self._languages()))
        return super()._items()


class StaticPagesSitemap(LanguagesSitemap):
    def items(self):
        return ["prisoners:home", "prisoners:person_list"]

    def location(self, item):
        return reverse(item)


class PersonSitemap(LanguagesSitemap):
    def items(self):
        return Person.objects.public().only("slug", "public_updated_at").order_by("pk")

    def lastmod(self, person):
        return person.public_updated_at


class ReleaseGroupSitemap(LanguagesSitemap):
    def items(self):
        return ReleaseGroup.objects.public().order_by("pk")


class SourceSitemap(LanguagesSitemap):
    def items(self):
        return Source.objects.public().order_by("pk")


SITEMAPS = {
    "pages": StaticPagesSitemap,
    "people": PersonSitemap,
    "releases": ReleaseGroupSitemap,
    "sources": SourceSitemap,
}
