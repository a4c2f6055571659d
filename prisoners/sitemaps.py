from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from sources.models import Source

from .models import Person, ReleaseGroup


class StaticPagesSitemap(Sitemap):
    def items(self):
        return ["prisoners:home", "prisoners:person_list"]

    def location(self, item):
        return reverse(item)


class PersonSitemap(Sitemap):
    def items(self):
        return Person.objects.public().only("slug", "public_updated_at").order_by("pk")

    def lastmod(self, person):
        return person.public_updated_at


class ReleaseGroupSitemap(Sitemap):
    def items(self):
        return ReleaseGroup.objects.public().order_by("pk")


class SourceSitemap(Sitemap):
    def items(self):
        return Source.objects.public().order_by("pk")


SITEMAPS = {
    "pages": StaticPagesSitemap,
    "people": PersonSitemap,
    "releases": ReleaseGroupSitemap,
    "sources": SourceSitemap,
}
