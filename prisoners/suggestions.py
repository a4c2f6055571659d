"""Name suggestions as a reader types in the list's search box: public people only, best first.

From the third letter, the search typed so far is read with its last word unfinished
(identity.prefix_query_words) and ranked by the same matching as the list's q, from the
candidates an index finds (NameVariantQuerySet.candidates_starting_with). The endpoint answers
JSON, `{"suggestions": [{"name": ..., "url": ...}]}`, at most SUGGESTION_LIMIT of them, in the
reader's language (the URL's prefix), cacheable like every public page and without a cookie.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.http import JsonResponse
from django.utils.translation import get_language, gettext, gettext_noop
from django.views.decorators.http import require_safe

from . import identity
from .freshness import public_record_etag, public_response
from .models import Person

SUGGESTION_LIMIT = 10
# Longer than any name; a longer q is refused rather than searched.
MAX_QUERY_LENGTH = 100
# Tests match them.
QUERY_TOO_LONG = gettext_noop("The search is too long: at most %(limit)d characters.")
QUERY_UNREADABLE = gettext_noop("The search contains a character that cannot be searched for.")


@dataclass(frozen=True)
class Suggestion:
    name: str
    url: str


def letters_in(text: str) -> int:
    return sum(character.isalpha() for character in text)


def name_suggestions(text: str, *, limit: int = SUGGESTION_LIMIT) -> list[Suggestion]:
    """Public people whose names begin as `text` was typed so far, best first; none before its third letter."""
    if letters_in(text) < identity.PREFIX_MINIMUM:
        return []
    public = Person.objects.public()
    matches = public.name_matches(text, limit=limit, public=True, prefix=True)
    people = public.only("pk", "slug", "display_name", "name_latin", "name_be", "name_ru").in_bulk(
        [match.person_id for match in matches]
    )
    language = get_language()
    return [
        Suggestion(people[match.person_id].name_in(language), people[match.person_id].get_absolute_url())
        for match in matches
        if match.person_id in people
    ]


@require_safe
@public_response(public_record_etag)
def person_suggestions(request):
    """GET ?q=: the suggestions for what was typed so far, as JSON; 400 for an unsearchable q."""
    text = request.GET.get("q", "")
    if len(text) > MAX_QUERY_LENGTH:
        return JsonResponse({"error": gettext(QUERY_TOO_LONG) % {"limit": MAX_QUERY_LENGTH}}, status=400)
    if "\x00" in text:
        return JsonResponse({"error": gettext(QUERY_UNREADABLE)}, status=400)
    return JsonResponse({"suggestions": [asdict(suggestion) for suggestion in name_suggestions(text)]})
