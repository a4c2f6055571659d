"""What every public page's template needs: its other language versions, status words, link previews."""

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info

from casetracker.dates import humanize_edtf
from prisoners.models import StatusEvent
from prisoners.presentation import person_description as _person_description
from prisoners.presentation import status_label as _status_label

register = template.Library()

# Open Graph names a language with its country (https://ogp.me/#optional).
OPEN_GRAPH_LOCALES = {"en": "en_GB", "be": "be_BY", "ru": "ru_RU"}


@dataclass(frozen=True)
class LanguageVersion:
    code: str
    name: str  # in its own language: "Беларуская"
    path: str  # this page in that language, query string kept: the switcher's link
    url: str  # the same, absolute: for hreflang, which wants full URLs
    is_current: bool

    @property
    def open_graph_locale(self) -> str:
        return OPEN_GRAPH_LOCALES.get(self.code, self.code)


@dataclass(frozen=True)
class LanguageVersions:
    versions: list[LanguageVersion]

    def __iter__(self):
        return iter(self.versions)

    @property
    def current(self) -> LanguageVersion:
        return next(version for version in self.versions if version.is_current)

    @property
    def others(self) -> list[LanguageVersion]:
        return [version for version in self.versions if not version.is_current]

    @property
    def default(self) -> LanguageVersion:
        """The unprefixed version (English): hreflang's x-default."""
        return next(version for version in self.versions if version.code == settings.LANGUAGE_CODE)


@register.simple_tag(takes_context=True)
def language_versions(context) -> LanguageVersions:
    """This page in every interface language: /prisoners/?q=x, /be/prisoners/?q=x, /ru/prisoners/?q=x."""
    request = context["request"]
    current = (get_language() or settings.LANGUAGE_CODE)[:2]
    here = request.get_full_path()
    versions = []
    for code, _name in settings.LANGUAGES:
        path = translate_url(here, code)
        versions.append(
            LanguageVersion(
                code=code,
                name=get_language_info(code)["name_local"],
                path=path,
                url=request.build_absolute_uri(path),
                is_current=code == current,
            )
        )
    return LanguageVersions(versions)


@register.simple_tag(takes_context=True)
def absolute_url(context, path: str) -> str:
    """`path` as a full URL on this site, for link previews."""
    return context["request"].build_absolute_uri(path) if path else ""


@register.filter
def status_label(status: str, gender: str) -> str:
    """{{ event.status|status_label:person.gender }}: the status in words that agree with the person's gender."""
    return _status_label(status, gender)


@register.filter
def fact_label(fact) -> str:
    """How a public page names a fact: str(fact), but a status event's words agree with its person's gender.

    (StatusEvent.__str__ stays neutral: the admin names events of many people without loading them.)
    """
    if isinstance(fact, StatusEvent):
        return f"{humanize_edtf(fact.date)}: {_status_label(fact.status, fact.person.gender)}"
    return str(fact)


@register.simple_tag
def person_description(person) -> str:
    """The profile's summary for search results and link previews."""
    return _person_description(person)
