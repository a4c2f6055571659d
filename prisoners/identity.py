"""One person, many spellings: the matching behind every name search, duplicate check and mention.

A name is reduced word by word to a *key* that the spellings of one East Slavic name share:
Belarusian, Russian and Ukrainian Cyrillic are transliterated by text-unidecode, then the data
tables below fold the differences between romanisations (Tsikhanouski / Tikhanovsky /
Cichanoŭski / Tichanowski) and the regular Belarusian–Russian correspondences (ц/т, дз/д, ў/в,
г/h, akanne, я/е, -скі/-ский) into one form. Given names are looked up in the table of
prisoners/data/given_names.csv instead: every form of a name there (Uladzimir, Vladimir,
Włodzimierz, Vova) stands for its row, and two different names never match, however alike
they are spelled (Alina, Alena; Yulia, Ilya).

Keys are compared with rapidfuzz, word by word: every word of the query must match some word of
a name, in any order, closely enough, or the name is not a match at all. That rule is what
keeps "Ivan Petrov" from finding the nearest stranger. A family name in one gender's form
(Tsikhanouski, Kalesnikava) never matches the other gender's (Tsikhanouskaya, Kalesnikau): that
is another person, a possible relative (related_surname). A search may name someone in a
grammatical case (Тихановского, Калеснікавай, Bialackiego): the case endings the intake strips
from mentions are stripped from search words by the same rule (nominative_keys).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from rapidfuzz import fuzz
from text_unidecode import unidecode

GIVEN_NAMES_TABLE = Path(__file__).with_name("data") / "given_names.csv"

# Letters whose romanisation unidecode drops or merges, rewritten before it runs.
PRE_TRANSLITERATION = {
    "č": "ch",
    "ć": "ch",
    "š": "sh",
    "ś": "s",
    "ž": "zh",
    "ź": "z",
    "ż": "zh",
    "ł": "l",
    "ŭ": "u",
    "ü": "u",
    "щ": "sh",
    "ё": "io",
    "ъ": "",
    "ь": "",
}

# Applied in order to lower-case ASCII. Each row is one romanisation habit or one regular
# Belarusian–Russian correspondence; the comment names it. Keys only ever compare to keys.
SPELLING_RULES: list[tuple[str, str]] = [
    (r"szcz|shch", "sh"),  # щ: Polish, English
    (r"tsch|tch|cz", "ch"),  # ч: German (before its sch), English, Polish
    (r"sch|sz", "sh"),  # ш: German, Polish
    (r"rz|zh", "zh"),  # ж: Polish, English
    (r"kh|ch|gh|h|g", "h"),  # х (kh, Polish/German ch) and г (Belarusian h, Russian g) fold together
    (r"x", "ks"),  # Alexander = Aleksandr
    (r"ts|tz|c(?=[eijyk]|$)", "t"),  # ц (ts, German tz, ISO/Łacinka/Polish c) = Russian т: Tsikhanouski/Tikhanovsky
    (r"c", "k"),  # Victor = Viktor
    (r"dz", "d"),  # дз = Russian д: Uladzimir/Vladimir
    (r"w", "v"),  # German/Polish w
    (r"q", "k"),
    (r"(?<=[aeiouy])u(?![aeiouy])", "v"),  # ў after a vowel = Russian в: Balakhanau/Balakhanov
    (r"j", "y"),  # й/я/ю: j in ISO, German, Polish
    (r"(.)\1+", r"\1"),  # double letters: Natallia/Natalia, Kirill/Kiryl
]
_COMPILED_RULES = [(re.compile(pattern), replacement) for pattern, replacement in SPELLING_RULES]
_VOWEL_RUN = re.compile(r"[aeiouy]+")
_FINAL_VOWEL_RUN = re.compile(r"[aeiouy]+$")
_DOUBLE = re.compile(r"(.)\1+")

# Other ways a typed word may have been spelled, tried besides its usual reading. Press in
# other languages transliterates with its own habits; each row is one such habit, tried alone,
# and each language's habits are also tried all at once, since one word often needs several
# (German "Saluschnyj" is Залужный by its s = з and its sch = ж together).
ALTERNATIVE_READINGS: dict[str, list[tuple[str, str]]] = {
    "German": [
        (r"z", "ts"),  # z = ц (Bjaljazki, Waljanzin)
        (r"(?<!s)s(?![chzktp])", "z"),  # s = з (Kara-Mursa, Resnikow), never before a voiceless k, t, p (Selenskyj)
        (r"(?<!t)sch", "zh"),  # sch = ж as well as ш (Schdanow, Walschyna); tsch stays ч
    ],
    "French": [
        (r"ou", "u"),  # ou = у (Koulcha)
        (r"ch", "sh"),  # ch = ш (Koulcha)
        (r"j", "zh"),  # j = ж (Jdanov, Nadejdine)
        (r"(?<=[iy]n)e$", ""),  # -ine, -yne = -ин, -ын (Nadejdine, Soljenitsyne)
    ],
    "Lithuanian": [
        (r"(?<=[kc])is$", "i"),  # -skis is -ski with its ending (Tichanovskis)
        (r"(?<=.{3})(?<![kc])(?:us|is|as)$", ""),  # endings (Sergejus, Aleksandras)
    ],
    "Polish and Łacinka": [
        (r"c(?![hz])", "ts"),  # c = ц before any letter (Sacuk, Bancar, Curkin), not only before e and i
        (r"ć", "ts"),  # ć = ць (Kałyneć), where Serbian and Croatian ć is ч
    ],
    "ISO 9 without diacritics": [
        (r"c$", "ch"),  # č typed without its háček (Labkovic)
    ],
}


def _simultaneous(rules: list[tuple[str, str]]) -> tuple[re.Pattern, list[str]]:
    """One pattern applying every rule of a language in one pass, so no rule rewrites another's output."""
    alternatives = "|".join(f"(?P<r{index}>{pattern})" for index, (pattern, _replacement) in enumerate(rules))
    return re.compile(alternatives), [replacement for _pattern, replacement in rules]


_COMPILED_READINGS = [
    (re.compile(pattern), replacement) for rules in ALTERNATIVE_READINGS.values() for pattern, replacement in rules
]
_COMPILED_LANGUAGES = [_simultaneous(rules) for rules in ALTERNATIVE_READINGS.values() if len(rules) > 1]


def _alternative_spellings(lowered: str) -> set[str]:
    """The word as each habit, and each language's habits together, would have it read."""
    spellings = {pattern.sub(replacement, lowered) for pattern, replacement in _COMPILED_READINGS}
    for pattern, replacements in _COMPILED_LANGUAGES:
        spellings.add(pattern.sub(lambda match, r=replacements: r[int(match.lastgroup[1:])], lowered))
    spellings.discard(lowered)
    return spellings


# A patronymic (Леонидович, Александровна) after a given name may be typed but is never required.
PATRONYMIC = re.compile(r"(ович|евич|овна|евна|ична|авіч|эвіч|евіч|аўна|еўна|ovich|evich|ovna|evna|owitsch)$")

# Close enough to be the same word once both are keys (0–100, rapidfuzz ratio).
WORD_THRESHOLD = 88
# Words this short must match exactly: "Ales" vs "Alan" is not a spelling difference.
SHORT_WORD = 3
# A form that the table gives to two names (Sasha: Aliaksandr or Aliaksandra) matches either,
# but weakly: enough to be found, below DUPLICATE_THRESHOLD (services) as half of a two-word name.
SHARED_FORM_SIMILARITY = 89.0
# A reading that takes the typed word for an inflected form ranks below one that takes it as typed.
INFLECTION_PENALTY = 3.0
# An unlisted spelling is taken for a given name by its key alone only from this length on.
GIVEN_NAME_FALLBACK = 4


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=100_000)
def _spelling(word: str) -> str:
    """The word in lower-case ASCII with the consonant habits of every romanisation folded."""
    lowered = "".join(PRE_TRANSLITERATION.get(c, c) for c in word.lower())
    # "ў" (Belarusian) decomposes into "у" + breve; keep it a "u" before unidecode.
    ascii_word = unidecode(_strip_marks(lowered)).lower()
    ascii_word = re.sub(r"[^a-z]", "", ascii_word)
    for pattern, replacement in _COMPILED_RULES:
        ascii_word = pattern.sub(replacement, ascii_word)
    return ascii_word


def _fine(spelling: str) -> str:
    """A spelling with its vowels kept (y and i as one): what tells Alina from Alena."""
    return _DOUBLE.sub(r"\1", spelling.replace("y", "i"))


def _key_of_spelling(spelling: str) -> str:
    # A final vowel tells -ski from -skaya and Karnei from Karna; inner vowels only blur
    # (akanne, я/е, Maryia/Maria), so every inner vowel run becomes one "a".
    final = _FINAL_VOWEL_RUN.search(spelling)
    ending = ""
    if final:
        ending = "a" if re.search(r"[ao]", final.group()) else "i"
        spelling = spelling[: final.start()]
    return _VOWEL_RUN.sub("a", spelling) + ending


def _key_of_word(word: str) -> str:
    return _key_of_spelling(_spelling(word))


def spelling_of(word: str) -> str:
    """The fine spelling of a word: its letters as read in any script, vowels kept (given-name forms, prefixes)."""
    return _fine(_spelling(word))


# --- Given names ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GivenNames:
    """The given-name table as matching reads it (given_names()).

    `rows_of` answers "which names can this key be": a row's id stands for that row alone; a
    form the table gives to several rows (Sasha) is its own key and stands for all of them.
    """

    gender: dict[str, str]  # row id -> "m" or "f"
    rows_of: dict[str, frozenset[str]]  # given-name key -> the row ids it stands for
    by_spelling: dict[str, str]  # spelling of a form -> its key
    by_key: dict[str, frozenset[str]]  # plain word key of a form -> row ids having such a form
    spellings: dict[str, frozenset[str]]  # row id -> the spellings of its forms


def table_forms(row: dict[str, str]) -> list[str]:
    """Every form one row of the table gives its name: Cyrillic, short, press and romanised."""
    cells = ("be", "ru", "uk", "short", "press", "romanised")
    return [form.strip() for cell in cells for form in (row.get(cell) or "").split("|") if form.strip()]


def read_given_names(path: Path = GIVEN_NAMES_TABLE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


@cache
def given_names() -> GivenNames:
    """The given-name table, read once per process."""
    rows = read_given_names()
    rows_by_spelling: dict[str, set[str]] = {}
    rows_by_key: dict[str, set[str]] = {}
    spellings: dict[str, set[str]] = {}
    for row in rows:
        for form in table_forms(row):
            spelling = _spelling(form)
            rows_by_spelling.setdefault(_fine(spelling), set()).add(row["id"])
            rows_by_key.setdefault(_key_of_spelling(spelling), set()).add(row["id"])
            spellings.setdefault(row["id"], set()).add(_fine(spelling))
    by_spelling = {}
    rows_of: dict[str, frozenset[str]] = {row["id"]: frozenset({row["id"]}) for row in rows}
    for spelling, ids in rows_by_spelling.items():
        if len(ids) == 1:
            by_spelling[spelling] = next(iter(ids))
        else:  # a shared form (given_names_shared.csv): its own key, standing for every row
            by_spelling[spelling] = spelling
            rows_of[spelling] = frozenset(ids)
    return GivenNames(
        gender={row["id"]: row["gender"] for row in rows},
        rows_of=rows_of,
        by_spelling=by_spelling,
        by_key={key: frozenset(ids) for key, ids in rows_by_key.items()},
        spellings={row_id: frozenset(forms) for row_id, forms in spellings.items()},
    )


def split_words(text: str) -> list[str]:
    return [word for word in re.split(r"[^\w']+|_", text or "") if word.strip("'")]


@lru_cache(maxsize=50_000)
def word_key(word: str) -> str:
    """The key of one word: a given name's row id (or its shared form), otherwise the folded spelling."""
    spelling = _spelling(word)
    names = given_names()
    listed = names.by_spelling.get(_fine(spelling))
    if listed:
        return listed
    key = _key_of_spelling(spelling)
    rows = names.by_key.get(key, ())
    if len(rows) == 1 and len(key) >= GIVEN_NAME_FALLBACK:
        return next(iter(rows))  # an unlisted spelling of one name only (Siargiej)
    return key


def name_keys(text: str) -> tuple[str, ...]:
    """Keys of every word of a name, in order."""
    return tuple(key for key in (word_key(word) for word in split_words(text)) if key)


def name_key_text(text: str) -> str:
    """The keys of a name as one string: stored on NameVariant for candidate look-ups."""
    return " ".join(name_keys(text))


def is_given_name_key(key: str) -> bool:
    return key in given_names().rows_of


def _given_readings(key: str) -> set[str]:
    """A plain key read as a given name: the rows whose forms have that key (inflected and unlisted words)."""
    return set(given_names().by_key.get(key, ()))


# --- Family names by gender -----------------------------------------------------------------
# Keys end as the gender of a family name does: -ski/-skaya (-скі/-ская, -ский/-ская, Polish
# -ski/-ska, -cki/-cka) end in "ski"/"ska" (ts, c and dz fold to t and d: "tki", "dki"),
# -ou/-ava and -ov/-ova (-ev/-eva, -aŭ, -ow) in "av"/"ava", -in/-ina in "an"/"ana". Other
# endings (-ich, -ka, -enka, -enko, -uk, -ets) are shared by both.
_FEMININE_SURNAME = re.compile(r"(?:[stdz]ka|ava|ana)$")
_MASCULINE_SURNAME = re.compile(r"(?:[stdz]ki|av|an)$")


def surname_gender(key: str) -> str:
    """ "f" or "m" for a family-name key with a gendered ending, "" for a shared one (or a given name)."""
    if is_given_name_key(key):
        return ""
    if _FEMININE_SURNAME.search(key):
        return "f"
    return "m" if _MASCULINE_SURNAME.search(key) else ""


def _surname_stem(key: str) -> str:
    gender = surname_gender(key)
    return key[:-1] if gender == "f" or (gender == "m" and key.endswith("i")) else key


def related_surname(first: str, second: str) -> bool:
    """Whether two keys are one family name in a man's and a woman's form (Tsikhanouski, Tsikhanouskaya).

    Never the same person (they never match), possibly relatives: what the admin may show.
    """
    genders = {surname_gender(first), surname_gender(second)}
    return genders == {"m", "f"} and _surname_stem(first) == _surname_stem(second)


def other_gender_form(key: str) -> str:
    """The key of the same family name in the other gender's form, or "" if its ending is shared."""
    gender = surname_gender(key)
    if gender == "f":
        return key[:-1] if key.endswith("ava") or key.endswith("ana") else key[:-1] + "i"
    if gender == "m":
        return key[:-1] + "a" if key.endswith("i") else key + "a"
    return ""


def _opposite_genders(first: str, second: str) -> bool:
    genders = {surname_gender(first), surname_gender(second)}
    return genders == {"m", "f"}


# --- Grammatical cases ----------------------------------------------------------------------
# Russian, Belarusian and Ukrainian inflect surnames, and Polish inflects them in Latin letters;
# a mention is "Тихановского", "Ціханоўскага" or "Bialackiego", not the dictionary form. Endings
# are stripped from a word and the stem read with the gender of the ending, so that
# "Тихановская" (his wife) is never taken for "Тихановский". One rule, nominative_keys(), for
# mentions in articles and for searches.
FEMININE_ENDINGS = ("ая", "ой", "ую", "ою", "ей", "аю", "ай", "ої")
MASCULINE_ADJECTIVE_ENDINGS = (
    "ого",
    "его",
    "ому",
    "ему",
    "ым",
    "ім",
    "им",
    "ом",
    "ага",
    "аму",
    "ий",
    "ый",
    "ій",
    "і",
    "и",
)
NOUN_ENDINGS = ("ам", "ем", "ом", "ым", "ові", "еві", "а", "я", "у", "ю", "е", "ы", "і", "и", "о")
CYRILLIC_ENDINGS = tuple(
    sorted(set(FEMININE_ENDINGS + MASCULINE_ADJECTIVE_ENDINGS + NOUN_ENDINGS), key=len, reverse=True)
)
# Polish: Białackiego, Cichanouskiej, Kalesnikawą, Łabkowicza, Karnejem.
POLISH_FEMININE_ENDINGS = ("iej", "ej", "ą")
POLISH_MASCULINE_ADJECTIVE_ENDINGS = ("iego", "ego", "iemu", "emu", "im", "ym")
POLISH_NOUN_ENDINGS = ("owi", "iem", "em", "a", "u")
LATIN_ENDINGS = tuple(
    sorted(
        set(POLISH_FEMININE_ENDINGS + POLISH_MASCULINE_ADJECTIVE_ENDINGS + POLISH_NOUN_ENDINGS), key=len, reverse=True
    )
)
_FEMININE = frozenset(FEMININE_ENDINGS + POLISH_FEMININE_ENDINGS)
_MASCULINE_ADJECTIVE = frozenset(MASCULINE_ADJECTIVE_ENDINGS + POLISH_MASCULINE_ADJECTIVE_ENDINGS)
_NOUN = frozenset(NOUN_ENDINGS + POLISH_NOUN_ENDINGS)
# Surname keys shorter than this are too common to spot alone in running text.
MIN_SURNAME_KEY = 4
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


# A family name's stem is at least three letters long; a given name's may be two (Яну, Яна; Іну, Іна).
MIN_STEM = 3
MIN_GIVEN_NAME_STEM = 2


def _case_stems(word: str, min_stem: int = MIN_STEM) -> list[tuple[str, str]]:
    """(stem, ending) for the longest case ending of the word's script that it ends with, if any.

    The longest only: "Тихановского" is Тихановск-ого, never Тихановског-о.
    """
    lowered = word.lower()
    cyrillic = bool(_CYRILLIC.search(word))
    for ending in CYRILLIC_ENDINGS if cyrillic else LATIN_ENDINGS:
        stem = lowered[: -len(ending)]
        if not lowered.endswith(ending) or len(stem) < min_stem:
            continue
        # A Latin vowel ending follows a consonant (Łabkowicza, Karneju), not a vowel (Kalesnikau).
        if not cyrillic and len(ending) == 1 and stem[-1] in "aeiouy":
            continue
        return [(stem, ending)]
    return []


def nominative_keys(stem: str, ending: str) -> set[str]:
    """The surname keys a word may have in the nominative, given the key of its stem and the case ending stripped.

    A feminine ending (-ой, -ую, -iej) leaves a woman's name (-ava, -skaya: the stem and "a"); a
    masculine adjective ending (-ого, -ага, -iego) a man's (-ski: the stem and "i"); a noun
    ending (-а, -у, -em) the stem itself (Лабковіча) or a name in -a (Бабарыкі). A stem that
    keeps a final vowel (Карне-я) is the key itself.
    """
    if not ending:
        return {stem}
    feminine = ending in _FEMININE
    if stem[-1:] in ("a", "i"):
        return {stem} if not feminine or stem.endswith("a") else set()
    keys = set()
    if ending in _NOUN:
        keys |= {stem, stem + "a"}
    if ending in _MASCULINE_ADJECTIVE:
        keys.add(stem + "i")
    if feminine:
        keys.add(stem + "a")
    return keys


def written_gender(word: str) -> str:
    """The gender a family name is written in: its key's, or "f" after a feminine case ending.

    Тихановскую and Cichanouskiej are hers, though their keys alone read as his.
    """
    lowered = word.lower()
    endings = FEMININE_ENDINGS if _CYRILLIC.search(word) else POLISH_FEMININE_ENDINGS
    if any(lowered.endswith(ending) and len(lowered) - len(ending) >= 3 for ending in endings):
        return "f"
    return surname_gender(word_key(word))


def _fits_gender(key: str, gender: str) -> bool:
    return not gender or surname_gender(key) in ("", gender)


@lru_cache(maxsize=50_000)
def case_readings(word: str) -> frozenset[str]:
    """The surname keys `word` may stand for if it is an inflected form (Тихановского → the key of Тихановский).

    A word in Latin letters keeps the gender it is written in: in an English text "Kalesnikava"
    is a woman, not the Polish genitive of a man's Kalesnikau. (Cyrillic running text does name
    men in the genitive, "дело Колесникова"; a search keeps the typed gender either way.)
    """
    keys: set[str] = set()
    for stem, ending in _case_stems(word):
        keys |= nominative_keys(_key_of_word(stem), ending)
    if not _CYRILLIC.search(word):
        keys = {key for key in keys if _fits_gender(key, written_gender(word))}
    return frozenset(keys)


def _ending_gender(word: str) -> str:
    """The gender of the case ending _case_stems strips from `word`: "f", "m" (an adjective's only), or ""."""
    for _stem, ending in _case_stems(word):
        if ending in _FEMININE:
            return "f"
        if ending in _MASCULINE_ADJECTIVE and ending not in _NOUN:
            return "m"
    return ""


@lru_cache(maxsize=50_000)
def given_case_readings(word: str) -> frozenset[str]:
    """The given names (row ids) `word` may be an inflected form of: Игоря, Марии, Сергея."""
    rows: set[str] = set()
    for stem, _ending in _case_stems(word, MIN_GIVEN_NAME_STEM):
        key = _key_of_word(stem)
        base = key[:-1] if key[-1:] in ("a", "i") else key
        for nominative in (key, base + "a", base + "i"):
            rows |= _given_readings(nominative)
    return frozenset(rows)


# --- Comparing names ------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryWord:
    """A typed word: every key it may stand for, and whether the name must contain it.

    `inflected` are the keys it stands for if it is in a grammatical case; they rank below the
    readings of the word as typed. A search typed so far (prefix search) ends in an unfinished
    word: `typed_prefix` is it as typed (lower case), matched against the start of a name's
    words, and from its fourth letter `prefixes` are its spellings, matched against the forms of
    a given name, and `readings` its keys, matched against the start of a name's keys.
    """

    readings: frozenset[str]
    optional: bool = False
    inflected: frozenset[str] = frozenset()
    typed_prefix: str = ""
    prefixes: frozenset[str] = frozenset()
    # The gender the word's form names a family in ("f", "m", "" for either): no other gender's form matches.
    gender: str = ""

    @property
    def length(self) -> int:
        return max((len(reading) for reading in self.readings), default=len(self.typed_prefix))

    @property
    def is_prefix(self) -> bool:
        return bool(self.typed_prefix)


def _query_word(word: str, optional: bool, named_gender: str = "") -> QueryWord:
    lowered = word.lower()
    typed = word_key(word)
    readings = {typed}
    if not is_given_name_key(typed) and len(typed) >= GIVEN_NAME_FALLBACK:
        readings |= _given_readings(typed)  # an unlisted spelling of one of several names (Alyena)
    for changed in _alternative_spellings(lowered):
        if word_key(changed):
            readings.add(word_key(changed))
    if is_given_name_key(typed):
        # A listed form is read as typed: "Aleksandra" is her, not the genitive of Aleksander.
        # Cyrillic names the genitive in running text, so there "Руслана" may also be his
        # (Руслана Стефанчука), ranked below her as every inflected reading is.
        inflected = given_case_readings(word) if _CYRILLIC.search(word) else frozenset()
        return QueryWord(frozenset(readings), optional, frozenset(inflected - readings))
    # A family name is read in the gender it is written in: "Колесникова" is Maria Kolesnikova,
    # not the genitive of a man's Kolesnikov (a search names the person it wants), unless the
    # given name says otherwise: "Кирилла Балаханова" is his genitive, "Svetlana Tikhanovsky" her.
    gender = named_gender or written_gender(word)
    inflected = {key for key in case_readings(word) if _fits_gender(key, gender)}
    if gender and _ending_gender(word) not in ("", gender):
        inflected = set()  # "Ігар Карней": a man's name, not a woman's Карна in the instrumental
    if named_gender and surname_gender(typed) not in ("", named_gender):
        inflected.add(other_gender_form(typed))
    inflected |= given_case_readings(word)
    # The form a family name is written in rules out the other gender's; a given name alone does
    # not, since some family names do not change (Ukrainian Стасів, Armenian Petrosyan for a woman
    # too), and where the two disagree neither does (Кирилла Балаханова: his genitive).
    written = written_gender(word)
    rules_out = written if not named_gender or named_gender == written else ""
    return QueryWord(frozenset(readings), optional, frozenset(inflected - readings), gender=rules_out)


def _named_gender(keys: Iterable[str]) -> str:
    """The gender the given names of a search agree on ("" if none do, or a shared form leaves it open)."""
    names = given_names()
    genders = {names.gender[row] for key in keys for row in names.rows_of.get(key, ())}
    return genders.pop() if len(genders) == 1 else ""


def query_words(text: str) -> tuple[QueryWord, ...]:
    """The words of a search, each with its alternative readings; patronymics optional."""
    words = [word for word in split_words(text) if word_key(word)]
    keys = [word_key(word) for word in words]
    given = [key for key in keys if is_given_name_key(key)]
    # An inflected given name says the gender too ("Сергея Тихановского"), if only one name fits.
    inflected_given = [
        row
        for word, key in zip(words, keys, strict=True)
        if not is_given_name_key(key)
        for row in given_case_readings(word)
    ]
    named_gender = _named_gender(given) or _named_gender(inflected_given)
    result = []
    for index, word in enumerate(words):
        after_given_name = index > 0 and is_given_name_key(word_key(words[index - 1]))
        optional = len(words) >= 3 and after_given_name and bool(PATRONYMIC.search(word.lower()))
        result.append(_query_word(word, optional, named_gender))
    return tuple(result)


# Prefix search starts from the third letter: a word that begins with the letters typed, in
# the script and spelling typed. From the fourth, it reads them in any spelling too: the start
# of a name's key (Kole- finds Kalesnikava), or a form of its given name (Vlad- finds Uladzimir).
# Each is what an index finds on PostgreSQL (NameVariantQuerySet.candidates_starting_with), so
# SQLite, which ranks every variant, suggests the same.
PREFIX_MINIMUM = 3
PREFIX_ANY_SPELLING = 4
# At most this many variants are ranked for one prefix (models.NameVariantQuerySet.candidates_starting_with).
PREFIX_CANDIDATES = 300
# A partial digraph may end what was typed so far: "Tsik" is on its way to "Tsikh".
_DIGRAPH_STARTS = frozenset("kcszdtrg")
# What a prefix scores when a word begins with it in another spelling, not with its letters.
PREFIX_SPELLING_SIMILARITY = 95.0


def _prefix_key(word: str) -> str:
    # The word goes on, so its last vowels are inner ones.
    return _VOWEL_RUN.sub("a", _spelling(word))


def prefix_query_words(text: str) -> tuple[QueryWord, ...]:
    """A search as a reader types it: every word but the last as in query_words, the last a prefix."""
    words = split_words(text)
    if not words:
        return ()
    complete = query_words(" ".join(words[:-1])) if len(words) > 1 else ()
    last = words[-1]
    readings, spellings = set(), set()
    if sum(letter.isalpha() for letter in last) >= PREFIX_ANY_SPELLING:
        starts = [last, last[:-1]] if last[-1:].lower() in _DIGRAPH_STARTS else [last]
        readings = {key for key in map(_prefix_key, starts) if len(key) >= PREFIX_ANY_SPELLING}
        spellings = {spelling for spelling in map(spelling_of, starts) if len(spelling) >= PREFIX_MINIMUM}
    prefix = QueryWord(frozenset(readings), typed_prefix=last.lower(), prefixes=frozenset(spellings))
    return (*complete, prefix)


def given_keys_starting_with(word: QueryWord) -> list[str]:
    """The given-name keys (row ids, shared forms) with a form that begins as the unfinished `word`."""
    names = given_names()
    prefixes = tuple(word.prefixes)
    if not prefixes:
        return []
    return sorted(
        key
        for key, rows in names.rows_of.items()
        if any(spelling.startswith(prefixes) for row in rows for spelling in names.spellings.get(row, ()))
    )


def score_ceiling_without(query: tuple[QueryWord, ...], word: QueryWord) -> float:
    """The most a name can score for `query` (tie-break included) with no word equal to one of `word`'s readings.

    Such a name's `word` scores at most: a shared given-name form, an inflected reading, or the
    ratio of two different keys, 2·LCS / (la + lb), which is highest when the other key is one
    letter longer and contains the reading: 2n / (2n + 1). Every other word scores at most 100,
    and the coverage bonus at most makes up the 1 that score_name takes off. So when enough
    names that do have such a word score above this, no other name can come before them.
    """
    different_keys = max((200 * len(reading) / (2 * len(reading) + 1) for reading in word.readings), default=0.0)
    best = max(different_keys, SHARED_FORM_SIMILARITY, 100 - INFLECTION_PENALTY)
    counted = len(query)
    # score_name rounds to hundredths; rank_candidates adds a tie-break below 0.1.
    return (100 * (counted - 1) + best) / counted + 0.005 + 0.1


def exact_words(keys: tuple[str, ...]) -> tuple[QueryWord, ...]:
    """Stored keys as query words, for comparing two recorded names."""
    return tuple(QueryWord(frozenset({key})) for key in keys)


def _key_similarity(query_key: str, name_key: str) -> float:
    if query_key == name_key:
        return 100.0
    names = given_names()
    query_rows, name_rows = names.rows_of.get(query_key), names.rows_of.get(name_key)
    if query_rows and name_rows:
        # Two given names: one name (a shared form of it), or two people.
        return SHARED_FORM_SIMILARITY if query_rows & name_rows else 0.0
    if _opposite_genders(query_key, name_key):
        return 0.0  # Tsikhanouskaya is not Tsikhanouski
    if len(query_key) <= SHORT_WORD or len(name_key) <= SHORT_WORD:
        return 0.0
    return fuzz.ratio(query_key, name_key)


@dataclass(frozen=True)
class NameWord:
    """One word of a recorded name as prefix search reads it: its key and its letters in lower case."""

    key: str
    lowered: str


@lru_cache(maxsize=50_000)
def name_words(text: str) -> tuple[NameWord, ...]:
    words = ((word_key(word), word) for word in split_words(text))
    return tuple(NameWord(key, word.lower()) for key, word in words if key)


def _prefix_similarity(word: QueryWord, name_word: NameWord) -> float:
    if name_word.lowered.startswith(word.typed_prefix):
        return 100.0
    if word.prefixes:
        names = given_names()
        for row in names.rows_of.get(name_word.key, ()):
            if any(spelling.startswith(tuple(word.prefixes)) for spelling in names.spellings.get(row, ())):
                return PREFIX_SPELLING_SIMILARITY
    if any(name_word.key.startswith(reading) for reading in word.readings):
        return PREFIX_SPELLING_SIMILARITY
    return 0.0


def _word_similarity(word: QueryWord, name_word: str | NameWord) -> float:
    if word.is_prefix:
        return _prefix_similarity(word, name_word)
    name_key = name_word.key if isinstance(name_word, NameWord) else name_word
    if not _fits_gender(name_key, word.gender):
        return 0.0
    best = max(_key_similarity(reading, name_key) for reading in word.readings)
    if word.inflected and best < 100:
        best = max(best, max(_key_similarity(key, name_key) for key in word.inflected) - INFLECTION_PENALTY)
    return best


def score_name(query: tuple[QueryWord, ...], name: tuple[str, ...] | tuple[NameWord, ...]) -> float:
    """0 unless every required query word matches a distinct word of the name; then their mean.

    A full match of all the name's words ranks above a partial one (surname only).
    """
    required = [word for word in query if not word.optional]
    if not required or not name or len(required) > len(name):
        return 0.0
    remaining = list(name)
    total, counted = 0.0, 0
    # The unfinished word of a prefix search goes last: finished words pick their match first.
    for word in sorted(query, key=lambda w: (w.optional, w.is_prefix, -w.length)):
        if not remaining:
            break
        best_index, best = max(
            ((index, _word_similarity(word, candidate)) for index, candidate in enumerate(remaining)),
            key=lambda pair: pair[1],
        )
        if best < WORD_THRESHOLD:
            if word.optional:
                continue
            return 0.0
        total += best
        counted += 1
        remaining.pop(best_index)
    coverage_bonus = 1.0 if not remaining else 0.0
    return round(total / counted - 1.0 + coverage_bonus, 2)


@dataclass(frozen=True)
class NameCandidate:
    person_id: int
    text: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class NameMatch:
    person_id: int
    score: float
    matched_name: str


def rank_candidates(
    query: str, candidates: Iterable[NameCandidate], *, limit: int | None = None, prefix: bool = False
) -> list[NameMatch]:
    """Best score per person, highest first; people below the threshold are left out.

    With `prefix`, the query is read as typed so far (prefix_query_words).
    """
    query_keys = prefix_query_words(query) if prefix else query_words(query)
    plain_query = " ".join(split_words(_strip_marks(query).casefold()))
    best: dict[int, NameMatch] = {}
    # Many people share a name (a common family name is thousands of variants with a few dozen
    # keys and spellings), so each distinct name is scored once.
    scores: dict[object, float] = {}
    tie_breaks: dict[str, float] = {}
    for candidate in candidates:
        name = candidate.text if prefix else candidate.keys
        score = scores.get(name)
        if score is None:
            score = scores[name] = score_name(query_keys, name_words(candidate.text) if prefix else candidate.keys)
        if not score:
            continue
        # Between equal keys, the spelling closest to what was typed wins ties.
        tie_break = tie_breaks.get(candidate.text)
        if tie_break is None:
            tie_break = tie_breaks[candidate.text] = (
                fuzz.ratio(plain_query, _strip_marks(candidate.text).casefold()) / 1000
            )
        match = NameMatch(candidate.person_id, round(score + tie_break, 3), candidate.text)
        if candidate.person_id not in best or match.score > best[candidate.person_id].score:
            best[candidate.person_id] = match
    ranked = sorted(best.values(), key=lambda m: (-m.score, m.person_id))
    return ranked[:limit] if limit else ranked


# --- Mentions in running text ----------------------------------------------------------------


@dataclass(frozen=True)
class PersonNames:
    person_id: int
    given_keys: frozenset[str]
    surname_keys: frozenset[str]


@dataclass(frozen=True)
class Mention:
    person_id: int
    start: int
    end: int
    text: str
    person: object = None


def person_names(person_id: int, first_given_name: str, variant_texts: Iterable[str]) -> PersonNames:
    """Split a person's name words into given names and surnames for mention spotting."""
    given = {word_key(word) for word in split_words(first_given_name)[:1]}
    surnames = set()
    for text in variant_texts:
        for key in name_keys(text):
            if is_given_name_key(key) or key in given:
                given.add(key)
            elif len(key) >= MIN_SURNAME_KEY:
                surnames.add(key)
    return PersonNames(person_id, frozenset(given), frozenset(surnames - given))


def _readings(word: str) -> frozenset[str]:
    """Every key a word of running text may stand for: as written, and in the nominative of each case reading."""
    written = word_key(word)
    keys = {*case_readings(word), *given_case_readings(word)}
    if _fits_gender(written, written_gender(word)):
        keys.add(written)  # not Тихановскую, whose key alone reads as his
    return frozenset(keys)


class _ReadingsOfText(dict):
    """`_readings` of each distinct word of one text, worked out once: articles repeat their words."""

    def __missing__(self, word: str) -> frozenset[str]:
        self[word] = readings = _readings(word)
        return readings


def mentions_in(text: str, people: Iterable[PersonNames]) -> list[Mention]:
    """Where the people are named in `text` (surname, optionally with a given name), by offsets.

    One pass over the words with a dict from surname keys to people, so the work grows with
    the length of the text; nothing found is compared with everything found before it.
    """
    by_surname: dict[str, list[PersonNames]] = {}
    for names in people:
        for key in names.surname_keys:
            by_surname.setdefault(key, []).append(names)

    readings = _ReadingsOfText()
    surname_of: dict[str, list[PersonNames]] = {}  # each distinct word: whose surname it can be

    def people_named_by(word: str) -> list[PersonNames]:
        if word not in surname_of:
            named = []
            for key in readings[word]:
                for names in by_surname.get(key, []):
                    if names not in named:
                        named.append(names)
            surname_of[word] = named
        return surname_of[word]

    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    found: list[Mention] = []
    seen: set[tuple[int, int]] = set()  # (person, start): one mention however many readings fit
    for index, (_start, _end, word) in enumerate(words):
        for names in people_named_by(word):
            mention = _with_given_name(words, index, names, text, readings=readings)
            if mention and (mention.person_id, mention.start) not in seen:
                seen.add((mention.person_id, mention.start))
                found.append(mention)
    return _joined(sorted(found, key=lambda m: (m.start, m.person_id)), text)


def _joined(mentions: list[Mention], text: str) -> list[Mention]:
    """One mention for the parts of a double surname ("Haievski-Khanada")."""
    joined: list[Mention] = []
    for mention in mentions:
        previous = joined[-1] if joined else None
        if (
            previous
            and previous.person_id == mention.person_id
            and text[previous.end : mention.start] in {"-", " ", "‐", "‑"}
        ):
            joined[-1] = Mention(mention.person_id, previous.start, mention.end, text[previous.start : mention.end])
        else:
            joined.append(mention)
    return joined


def _with_given_name(words, index: int, names: PersonNames, text: str, *, readings: _ReadingsOfText) -> Mention | None:
    """Widen a surname to an adjacent given name; another person's given name means no mention."""
    start, end, _word = words[index]
    for neighbour in (index - 1, index + 1):
        if not 0 <= neighbour < len(words):
            continue
        n_start, n_end, n_word = words[neighbour]
        between = text[min(end, n_end) : max(start, n_start)]
        if between.strip(" \u00a0"):
            continue
        keys = readings[n_word]
        if keys & names.given_keys:
            start, end = min(start, n_start), max(end, n_end)
        elif any(is_given_name_key(key) for key in keys) and n_word[:1].isupper():
            return None
    return Mention(names.person_id, start, end, text[start:end])
