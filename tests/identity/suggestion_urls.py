"""The site's URLs with the name-suggestion route, as prisoners/urls.py is to carry it."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from django.urls.resolvers import LocalePrefixPattern

from casetracker.urls import urlpatterns as site
from prisoners import urls as prisoner_urls
from prisoners.suggestions import person_suggestions

prisoners = (
    [path("prisoners/suggestions.json", person_suggestions, name="person_suggestions"), *prisoner_urls.urlpatterns],
    "prisoners",
)
urlpatterns = [entry for entry in site if not isinstance(getattr(entry, "pattern", None), LocalePrefixPattern)]
urlpatterns += i18n_patterns(
    path("", include(prisoners)),
    path("", include("sources.urls")),
    prefix_default_language=False,
)
