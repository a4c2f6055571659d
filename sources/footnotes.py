"""Numbered footnotes: every public fact carries marks that lead to its sources."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Certainty, Citation


@dataclass
class Footnote:
    number: int
    citation: Citation
    ref_ids: list[str] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"cite-{self.number}"


class Footnotes:
    """Numbers citations in the order a page first shows them; one number per passage.

    Templates ask for marks while rendering, top to bottom, and list `entries` at the end,
    so numbers follow reading order without the view knowing the page's layout.
    """

    def __init__(self):
        self._by_passage: dict[tuple[int, str, str], Footnote] = {}
        self.entries: list[Footnote] = []

    def marks(self, fact, field_name: str | None = None, *, agreeing: bool = True) -> list[tuple[Footnote, str]]:
        """(footnote, unique ref id) for the citations of `fact` (optionally of one field).

        `agreeing` picks the citations that support the record; the others (disputed, or
        stating a different claim) are shown separately as disagreements.
        """
        found = []
        for citation in fact.citations.all():
            if field_name is not None and citation.field_name != field_name:
                continue
            if is_disagreement(citation) == agreeing:
                continue
            key = (citation.source_id, citation.quote, citation.claim)
            footnote = self._by_passage.get(key)
            if footnote is None:
                footnote = Footnote(number=len(self.entries) + 1, citation=citation)
                self._by_passage[key] = footnote
                self.entries.append(footnote)
            ref_id = f"cite-ref-{footnote.number}-{len(footnote.ref_ids) + 1}"
            footnote.ref_ids.append(ref_id)
            found.append((footnote, ref_id))
        return found

    def disagreements(self, fact, field_name: str | None = None) -> list[tuple[str, list[tuple[Footnote, str]]]]:
        """Claims that differ from the record, each with the marks of the sources making it."""
        by_claim: dict[str, list] = {}
        for footnote, ref_id in self.marks(fact, field_name, agreeing=False):
            claim = footnote.citation.claim or footnote.citation.quote
            by_claim.setdefault(claim, []).append((footnote, ref_id))
        return list(by_claim.items())


def is_disagreement(citation: Citation) -> bool:
    return citation.certainty == Certainty.DISPUTED or bool(citation.claim)
