"""The language of a request: the URL's on public pages, the browser's on the staff's pages and the API."""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.urls import LocalePrefixPattern, Resolver404, URLResolver, get_resolver
from django.utils import translation


def is_language_page(path: str, urlconf=None) -> bool:
    """Whether `path` is a page of i18n_patterns, whose language its URL names (none: English)."""
    for entry in get_resolver(urlconf).url_patterns:
        if isinstance(entry, URLResolver) and isinstance(entry.pattern, LocalePrefixPattern):
            try:
                entry.resolve(path.removeprefix("/"))
            except Resolver404:
                continue
            return True
    return False


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's LocaleMiddleware, except on pages outside i18n_patterns.

    With prefix_default_language=False Django reads every URL without a language prefix as
    English, the admin and the API included. Those have no language in their URL, so there the
    browser's Accept-Language decides, as it did before public pages had prefixes (and so does
    the language cookie an older version of the site set; nothing sets one now).
    """

    def process_request(self, request):
        super().process_request(request)
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        path = request.path_info
        if translation.get_language_from_path(path) is None and not is_language_page(path, urlconf):
            translation.activate(translation.get_language_from_request(request, check_path=False))
            request.LANGUAGE_CODE = translation.get_language()
