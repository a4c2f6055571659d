"""Name normalisation for search and duplicate checks."""

import re
import unicodedata

_NON_LETTERS = re.compile(r"[^\w\s]|_", re.UNICODE)
_SPACES = re.compile(r"\s+")


def normalize_name(text: str) -> str:
    """Lower-case, accent-free, punctuation-free form of a name for matching."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = _NON_LETTERS.sub(" ", without_marks.casefold())
    return _SPACES.sub(" ", words).strip()
