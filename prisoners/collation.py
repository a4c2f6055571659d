"""Sort keys for people's names: family name first, in the order of the reader's alphabet.

A key is a string of two-digit numbers, one per letter (its place in the alphabet of the
language), so the database only ever compares digits. Digits sort alike under every collation,
SQLite's byte order and PostgreSQL's C, en_US or be_BY; letters do not: codepoint order puts the
Belarusian і and ў after я, glibc locales skip spaces, a Czech collation sorts "ch" after "h".
The keys are stored on Person (sort_key_latin, sort_key_be, sort_key_ru) and indexed, so
sorting the list needs no ICU (PyICU would be a compiled dependency for three alphabets) and
gives the same order on both databases.
"""

from __future__ import annotations

import re
import unicodedata

from text_unidecode import unidecode

from .identity import PATRONYMIC

# Between the family name and the rest: lower than any letter or WORD_BREAK, so the family
# name Жук comes before Жукаў, and Швед before Швед-Ханада, whatever the given names.
PART_BREAK = "00"
# A space or hyphen inside one part (a double-barrelled surname, given name and patronymic).
WORD_BREAK = "01"
FIRST_LETTER = 2

LATIN = "abcdefghijklmnopqrstuvwxyz"
# The Belarusian and Russian alphabets, each in its own order. Ё sorts as Е, as dictionaries
# of both languages (and readers looking a name up) treat it.
ALPHABETS = {
    "be": "абвгдежзійклмнопрстуўфхцчшыьэюя",
    "ru": "абвгдежзийклмнопрстуфхцчшщъыьэюя",
}
# Letters of the other East Slavic spelling, read as the nearest letter of this one (a Russian
# name typed into the Belarusian field, or the reverse), and ё as е.
FOLDINGS = {
    "be": {"ё": "е", "и": "і", "щ": "шч", "ъ": ""},
    "ru": {"ё": "е", "і": "и", "ў": "у"},
}
# Person's sort key column for readers of each language; any other language reads the Latin one.
SORT_KEY_FIELDS = {"en": "sort_key_latin", "be": "sort_key_be", "ru": "sort_key_ru"}
_WORD_BREAKS = re.compile(r"[\s\-‐‑–]+")


def family_name_first(name: str) -> tuple[str, str]:
    """(family name, the rest) of a name as the records write it.

    The records write names given name first ("Maryia Kalesnikava", "Сяргей Ціханоўскі",
    "Акіхіра Гаеўскі-Ханада"), and prisoners.identity knows no better than that: so the last
    word is the family name, a hyphenated one staying whole. Two forms say otherwise and are
    read as such: "Family, Given" (a comma), and the official Russian and Belarusian order
    "Колесникова Мария Александровна", recognised by the patronymic at the end of three or
    more words (after "Given Patronymic Family" the last word is still the family name).
    """
    name = " ".join(name.split())
    if "," in name:
        family, _comma, rest = name.partition(",")
        return family.strip(), rest.strip()
    words = name.split(" ")
    if len(words) < 2:
        return name, ""
    if len(words) >= 3 and PATRONYMIC.search(words[-1].lower()):
        return words[0], " ".join(words[1:])
    return words[-1], " ".join(words[:-1])


def _letter_codes(text: str, language: str) -> str:
    """The two-digit codes of the letters of `text`; a run of spaces or hyphens is one WORD_BREAK."""
    text = text.casefold()
    alphabet = ALPHABETS.get(language)
    if alphabet is None:
        # Latin readers: every script transliterated, diacritics dropped (Ціханоўскі, Cichanoŭski
        # and Tsikhanouski all sort under T).
        text, alphabet, foreign = unidecode(text).lower(), LATIN, ""
    else:
        folding = FOLDINGS[language]
        text = "".join(folding.get(c, c) for c in unicodedata.normalize("NFC", text))
        # Latin letters in a Cyrillic field (a foreign name) come after the whole alphabet.
        foreign = LATIN
    order = {letter: FIRST_LETTER + i for i, letter in enumerate(alphabet + foreign)}
    codes = []
    for word in _WORD_BREAKS.split(text):
        letters = "".join(f"{order[c]:02d}" for c in _base_letters(word, order))
        if letters:
            codes.append(letters)
    return WORD_BREAK.join(codes)


def _base_letters(word: str, order: dict[str, int]):
    """The letters of `word` that the alphabet knows, accents stripped from the others (é as e)."""
    for c in word:
        if c in order:
            yield c
            continue
        base = unicodedata.normalize("NFD", c)[:1]
        if base in order:
            yield base


def name_sort_key(name: str, language: str) -> str:
    """The sort key of `name` for readers of `language` ("en", "be" or "ru"): family name first."""
    family, rest = family_name_first(name)
    key = _letter_codes(family, language)
    if rest:
        key += PART_BREAK + _letter_codes(rest, language)
    return key


def sort_key_field(language: str | None) -> str:
    """The Person column that sorts names for readers of `language`."""
    return SORT_KEY_FIELDS.get((language or "en")[:2], SORT_KEY_FIELDS["en"])
