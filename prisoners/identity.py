"""One person, many spellings: the matching behind every name search, duplicate check and mention.

A name is reduced word by word to a *key* that the spellings of one East Slavic name share:
Belarusian and Russian Cyrillic are transliterated by text-unidecode, then the data tables
below fold the differences between romanisations (Tsikhanouski / Tikhanovsky / Cichanoŭski /
Tichanowski) and the regular Belarusian–Russian correspondences (ц/т, дз/д, ў/в, г/h, akanne,
я/е, -скі/-ский) into one form. Keys are compared with rapidfuzz, word by word: every word of
the query must match some word of a name, in any order, closely enough, or the name is not
a match at all. That rule is what keeps "Ivan Petrov" from finding the nearest stranger.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz
from text_unidecode import unidecode

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
    (r"szcz|shch|sch|sz", "sh"),  # щ/ш: Polish, English, German
    (r"tsch|tch|cz", "ch"),  # ч: German, English, Polish
    (r"rz|zh", "zh"),  # ж: Polish, English
    (r"kh|ch|gh|h|g", "h"),  # х (kh, Polish/German ch) and г (Belarusian h, Russian g) fold together
    (r"x", "ks"),  # Alexander = Aleksandr
    (r"ts|tz|c(?=[eiyk]|$)", "t"),  # ц (ts, German tz, ISO/Łacinka/Polish c) = Russian т: Tsikhanouski/Tikhanovsky
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

# Given names that differ beyond spelling (prothetic У-, Polish and Ukrainian forms).
# Each group folds to the key of its first name.
GIVEN_NAME_EQUIVALENTS: list[list[str]] = [
    ["Uladzimir", "Vladimir", "Wladimir", "Volodymyr", "Włodzimierz", "Uladzimier"],
    ["Aliaksandr", "Alexander", "Aleksandr", "Oleksandr", "Alexandre", "Aleksander", "Alyaksandr", "Sasha"],
    ["Siarhei", "Sergei", "Sergey", "Serhiy", "Serhii", "Sergiy", "Serge", "Siergiej", "Sergueï", "Sergiusz"],
    ["Ihar", "Igor", "Ihor"],
    ["Mikalai", "Nikolai", "Nikolay", "Mykola", "Mikola", "Nicolas", "Mikołaj"],
    ["Yauhen", "Yevgeny", "Evgeny", "Evgeni", "Eugene", "Jauhien", "Jewgeni"],
    ["Yury", "Yuri", "Iouri", "Jurij", "Jerzy"],
    ["Dzmitry", "Dmitry", "Dmitri", "Dmytro"],
    ["Paval", "Pavel", "Paul", "Pawel", "Pavlo"],
    ["Mikhail", "Mikhas", "Michal", "Michail", "Mykhailo", "Michael"],
    ["Ales", "Alies", "Aleś", "Alesj"],
    ["Maryia", "Maria", "Mariya", "Marya", "Marija", "Mariia", "Marie"],
    ["Viktoria", "Viktoryia", "Victoria", "Wiktoria", "Viktoriya"],
    ["Kiryl", "Kirill", "Cyril", "Kyrylo"],
    ["Natallia", "Natalia", "Natalya", "Natalja", "Nataliya", "Natalie"],
    ["Sviatlana", "Svetlana", "Swietlana", "Svitlana"],
    ["Valiantsin", "Valentin", "Walentin", "Valentyn"],
    ["Viktar", "Viktor", "Victor", "Wiktor"],
    ["Halina", "Galina", "Halyna"],
    ["Yauheniya", "Evgeniya", "Yevgenia", "Eugenia"],
    ["Andrei", "Andrey", "Andrew", "Andrzej", "Andrii"],
]

# Other ways a typed word may have been spelled, tried besides its usual reading. Press in
# other languages transliterates with its own habits; each row is one such habit.
ALTERNATIVE_READINGS: list[tuple[str, str]] = [
    (r"z", "ts"),  # German: z = ц (Bjaljazki, Waljanzin)
    (r"ou", "u"),  # French: ou = у (Koulcha)
    (r"ch", "sh"),  # French: ch = ш (Koulcha)
    (r"(?<=.{3})(us|is|as)$", ""),  # Lithuanian endings (Sergejus Tichanovskis)
    (r"c$", "ch"),  # ISO/Czech č typed without its háček (Labkovic)
]
_COMPILED_READINGS = [(re.compile(pattern), replacement) for pattern, replacement in ALTERNATIVE_READINGS]
# A patronymic (Леонидович, Александровна) after a given name may be typed but is never required.
PATRONYMIC = re.compile(r"(ович|евич|овна|евна|ична|авіч|эвіч|евіч|аўна|еўна|ovich|evich|ovna|evna|owitsch)$")

# Close enough to be the same word once both are keys (0–100, rapidfuzz ratio).
WORD_THRESHOLD = 88
# Words this short must match exactly: "Ales" vs "Alan" is not a spelling difference.
SHORT_WORD = 3


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _key_of_word(word: str) -> str:
    lowered = "".join(PRE_TRANSLITERATION.get(c, c) for c in word.lower())
    # "ў" (Belarusian) decomposes into "у" + breve; keep it a "u" before unidecode.
    ascii_word = unidecode(_strip_marks(lowered)).lower()
    ascii_word = re.sub(r"[^a-z]", "", ascii_word)
    for pattern, replacement in _COMPILED_RULES:
        ascii_word = pattern.sub(replacement, ascii_word)
    # A final vowel tells -ski from -skaya and Karnei from Karna; inner vowels only blur
    # (akanne, я/е, Maryia/Maria), so every inner vowel run becomes one "a".
    final = _FINAL_VOWEL_RUN.search(ascii_word)
    ending = ""
    if final:
        ending = "a" if re.search(r"[ao]", final.group()) else "i"
        ascii_word = ascii_word[: final.start()]
    return _VOWEL_RUN.sub("a", ascii_word) + ending


@lru_cache(maxsize=1)
def _given_name_keys() -> dict[str, str]:
    folded = {}
    for group in GIVEN_NAME_EQUIVALENTS:
        canonical = _key_of_word(group[0])
        for name in group:
            folded[_key_of_word(name)] = canonical
    return folded


def split_words(text: str) -> list[str]:
    return [word for word in re.split(r"[^\w']+|_", text or "") if word.strip("'")]


@lru_cache(maxsize=50_000)
def word_key(word: str) -> str:
    """The key of one word; given names fold to one form per equivalence group."""
    key = _key_of_word(word)
    return _given_name_keys().get(key, key)


def name_keys(text: str) -> tuple[str, ...]:
    """Keys of every word of a name, in order."""
    return tuple(key for key in (word_key(word) for word in split_words(text)) if key)


def name_key_text(text: str) -> str:
    """The keys of a name as one string: stored on NameVariant for candidate look-ups."""
    return " ".join(name_keys(text))


def is_given_name_key(key: str) -> bool:
    return key in _given_name_keys().values()


@dataclass(frozen=True)
class QueryWord:
    """A typed word: every key it may stand for, and whether the name must contain it."""

    readings: frozenset[str]
    optional: bool = False

    @property
    def length(self) -> int:
        return max(len(reading) for reading in self.readings)


def query_words(text: str) -> tuple[QueryWord, ...]:
    """The words of a search, each with its alternative readings; patronymics optional."""
    words = [word for word in split_words(text) if word_key(word)]
    result = []
    for index, word in enumerate(words):
        lowered = word.lower()
        readings = {word_key(word)}
        for pattern, replacement in _COMPILED_READINGS:
            changed = pattern.sub(replacement, lowered)
            if changed != lowered and word_key(changed):
                readings.add(word_key(changed))
        after_given_name = index > 0 and is_given_name_key(word_key(words[index - 1]))
        optional = len(words) >= 3 and after_given_name and bool(PATRONYMIC.search(lowered))
        result.append(QueryWord(frozenset(readings), optional))
    return tuple(result)


def exact_words(keys: tuple[str, ...]) -> tuple[QueryWord, ...]:
    """Stored keys as query words, for comparing two recorded names."""
    return tuple(QueryWord(frozenset({key})) for key in keys)


def _word_similarity(word: QueryWord, name_key: str) -> float:
    return max(_key_similarity(reading, name_key) for reading in word.readings)


def _key_similarity(query_key: str, name_key: str) -> float:
    if query_key == name_key:
        return 100.0
    if len(query_key) <= SHORT_WORD or len(name_key) <= SHORT_WORD:
        return 0.0
    return fuzz.ratio(query_key, name_key)


def score_name(query: tuple[QueryWord, ...], name: tuple[str, ...]) -> float:
    """0 unless every required query word matches a distinct word of the name; then their mean.

    A full match of all the name's words ranks above a partial one (surname only).
    """
    required = [word for word in query if not word.optional]
    if not required or not name or len(required) > len(name):
        return 0.0
    remaining = list(name)
    total, counted = 0.0, 0
    for word in sorted(query, key=lambda w: (w.optional, -w.length)):
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


def rank_candidates(query: str, candidates: Iterable[NameCandidate], *, limit: int | None = None) -> list[NameMatch]:
    """Best score per person, highest first; people below the threshold are left out."""
    query_keys = query_words(query)
    plain_query = " ".join(split_words(_strip_marks(query).casefold()))
    best: dict[int, NameMatch] = {}
    for candidate in candidates:
        score = score_name(query_keys, candidate.keys)
        if not score:
            continue
        # Between equal keys, the spelling closest to what was typed wins ties.
        tie_break = fuzz.ratio(plain_query, _strip_marks(candidate.text).casefold()) / 1000
        match = NameMatch(candidate.person_id, round(score + tie_break, 3), candidate.text)
        if candidate.person_id not in best or match.score > best[candidate.person_id].score:
            best[candidate.person_id] = match
    ranked = sorted(best.values(), key=lambda m: (-m.score, m.person_id))
    return ranked[:limit] if limit else ranked


# --- Mentions in running text ----------------------------------------------------------------
# Russian and Belarusian inflect surnames; a mention in an article is "Тихановского" or
# "Ціханоўскага", not the dictionary form. Endings are stripped from Cyrillic words and the
# stem compared with the surname's key, with the gender of the ending respected so that
# "Тихановская" (his wife) is not taken for "Тихановский".
FEMININE_ENDINGS = ("ая", "ой", "ую", "ою", "ей", "аю")
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
NOUN_ENDINGS = ("ам", "ем", "ом", "ым", "а", "я", "у", "ю", "е", "ы", "і", "и", "о")
CYRILLIC_ENDINGS = tuple(
    sorted(set(FEMININE_ENDINGS + MASCULINE_ADJECTIVE_ENDINGS + NOUN_ENDINGS), key=len, reverse=True)
)
# Surname keys shorter than this are too common to spot alone in running text.
MIN_SURNAME_KEY = 4
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


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


def _stems(word: str) -> list[tuple[str, str]]:
    """(stem key, stripped ending) readings of a word: as written, and without each case ending."""
    readings = [(word_key(word), "")]
    if _CYRILLIC.search(word):
        lowered = word.lower()
        for ending in CYRILLIC_ENDINGS:
            if lowered.endswith(ending) and len(lowered) - len(ending) >= 3:
                readings.append((_key_of_word(lowered[: -len(ending)]), ending))
    return readings


class _StemsOfText(dict):
    """`_stems` of each distinct word of one text, worked out once: articles repeat their words."""

    def __missing__(self, word: str) -> list[tuple[str, str]]:
        self[word] = readings = _stems(word)
        return readings


def _surname_reading_fits(stem: str, ending: str, surname: str) -> bool:
    if stem == surname:
        return not ending or ending not in FEMININE_ENDINGS or surname.endswith("a")
    if not ending or surname[-1] not in "ai" or stem != surname[:-1]:
        return False
    if surname.endswith("i"):  # -скі/-ский, Карней: masculine
        return ending not in FEMININE_ENDINGS
    return ending in FEMININE_ENDINGS + NOUN_ENDINGS  # -ава/-ова/-ина/-ская: feminine


def mentions_in(text: str, people: Iterable[PersonNames]) -> list[Mention]:
    """Where the people are named in `text` (surname, optionally with a given name), by offsets.

    One pass over the words with a dict from surname keys to people, so the work grows with
    the length of the text; nothing found is compared with everything found before it.
    """
    by_surname: dict[str, list[PersonNames]] = {}
    for names in people:
        for key in names.surname_keys:
            by_surname.setdefault(key, []).append(names)
    candidate_keys = {key[:-1] for key in by_surname if key[-1] in "ai"} | set(by_surname)

    stems = _StemsOfText()
    surname_of: dict[str, list[PersonNames]] = {}  # each distinct word: whose surname it can be

    def people_named_by(word: str) -> list[PersonNames]:
        if word not in surname_of:
            named = []
            for stem, ending in stems[word]:
                if stem not in candidate_keys:
                    continue
                for surname in [stem, stem + "a", stem + "i"]:
                    for names in by_surname.get(surname, []):
                        if _surname_reading_fits(stem, ending, surname) and names not in named:
                            named.append(names)
            surname_of[word] = named
        return surname_of[word]

    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    found: list[Mention] = []
    seen: set[tuple[int, int]] = set()  # (person, start): one mention however many readings fit
    for index, (_start, _end, word) in enumerate(words):
        for names in people_named_by(word):
            mention = _with_given_name(words, index, names, text, stems=stems)
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


def _with_given_name(words, index: int, names: PersonNames, text: str, *, stems: _StemsOfText) -> Mention | None:
    """Widen a surname to an adjacent given name; another person's given name means no mention."""
    start, end, _word = words[index]
    for neighbour in (index - 1, index + 1):
        if not 0 <= neighbour < len(words):
            continue
        n_start, n_end, n_word = words[neighbour]
        between = text[min(end, n_end) : max(start, n_start)]
        if between.strip(" \u00a0"):
            continue
        keys = {stem for stem, _ending in stems[n_word]}
        if (
            keys & names.given_keys
            or {k + "a" for k in keys} & names.given_keys
            or {k + "i" for k in keys} & names.given_keys
        ):
            start, end = min(start, n_start), max(end, n_end)
        elif any(is_given_name_key(key) for key in keys) and n_word[:1].isupper():
            return None
    return Mention(names.person_id, start, end, text[start:end])
