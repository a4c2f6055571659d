"""Articles of a code as people write them: "293", "Art. 293", "ст. 293 ч. 1", "ч.1 ст.293", "293.1".

One reader, `article_reference()`, for the public list's article filter (through
`PersonQuerySet.charged_under`) and the CSV import's `articles` cell, so both accept the same
spellings. It only reads the text; which LegalArticle rows a reference names is
`ArticleReference.legal_articles_q()` (a database condition) or `.resolved()` (for code that
holds the known articles already, as the import does).

A hyphen is ambiguous. The Criminal Code of Belarus numbers some articles with one (361-1,
"creation of an extremist formation", is not part 1 of article 361), while people also write
"293-1" for part 1 of article 293. So "N-M" with no part named is article N-M where such an
article is on record, and otherwise part M of article N.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Exists, Q

# Longer text is not an article reference; the limit keeps the pattern's work small.
MAX_LENGTH = 100
_ARTICLE_WORD = r"(?:article|art|статья|статьи|статье|ст|артыкул|артыкула|арт)\.?"
_PART_WORD = r"(?:part|pt|часть|части|частью|ч|частка|часткі|частку)\.?"
_NUMBER = r"(?P<article>[0-9]{1,4}(?:-[0-9]{1,3})?)"
_PART = r"(?P<part>[0-9]{1,3})"
# "УК", "УК РБ", "КК" (the Criminal Code in Russian and Belarusian), as references often end.
_CODE = r"(?:\s*(?:ук|кк)(?:\s*рб)?)?"
_FORMS = (
    # 293 · Art. 293 · ст.293 · 293.1 · 293 part 1 · ст. 293, ч. 1 · 293-1
    re.compile(rf"(?:{_ARTICLE_WORD}\s*)?{_NUMBER}(?:\s*(?:\.|,?\s*{_PART_WORD})\s*{_PART})?{_CODE}"),
    # ч. 1 ст. 293 · part 1 of article 293 · ч.1 ст.293 УК
    re.compile(rf"{_PART_WORD}\s*{_PART}\s*,?\s*(?:of\s+(?:the\s+)?)?{_ARTICLE_WORD}\s*{_NUMBER}{_CODE}"),
)
# Dashes a word processor puts where a hyphen was typed.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))


@dataclass(frozen=True)
class ArticleReference:
    """An article number and, optionally, one of its parts: ("293", "1"), or ("293", "") for every part."""

    article: str
    part: str = ""

    def __str__(self):
        return f"{self.article}.{self.part}" if self.part else self.article

    def hyphen_as_part(self) -> ArticleReference | None:
        """The other reading of "293-1" (no part named): part 1 of article 293; None for other references."""
        number, hyphen, part = self.article.partition("-")
        return ArticleReference(number, part) if hyphen and not self.part else None

    def resolved(self, article_numbers: Collection[str]) -> ArticleReference:
        """This reference as the records read it, given the article numbers on record (see the module)."""
        other = self.hyphen_as_part()
        return other if other is not None and self.article not in article_numbers else self

    def legal_articles_q(self, prefix: str = "") -> Q:
        """LegalArticle rows this reference names, reached through `prefix` (e.g. "article__" from Charge)."""
        from .models import LegalArticle

        condition = self._exact_q(prefix)
        other = self.hyphen_as_part()
        if other is not None:
            on_record = Exists(LegalArticle.objects.filter(article=self.article))
            condition |= other._exact_q(prefix) & ~Q(on_record)
        return condition

    def _exact_q(self, prefix: str) -> Q:
        condition = Q(**{f"{prefix}article": self.article})
        return condition & Q(**{f"{prefix}part": self.part}) if self.part else condition


def article_reference(text: str) -> ArticleReference | None:
    """The article (and part) `text` names, written any of the usual ways; None if it names none."""
    text = " ".join(text.translate(_DASHES).casefold().split()).rstrip(". ")
    if len(text) > MAX_LENGTH:
        return None
    for form in _FORMS:
        match = form.fullmatch(text)
        if match:
            return ArticleReference(match["article"], match["part"] or "")
    return None
