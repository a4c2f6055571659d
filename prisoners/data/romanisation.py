"""The romanisations of a Cyrillic given name that the name table records, system by system.

`given_names.csv` keeps, for every name, its forms as the press and the official systems write
them. The systematic ones are made here from the row's Cyrillic, so that a correction to a
Cyrillic form carries into every romanisation and none is mistyped by hand; the table's
`romanised` column is this module's output (tests/identity/test_given_names.py checks that it
is up to date). Run `python -m prisoners.data.romanisation` after editing the Cyrillic columns.

Each system below is written from its published table, simplified where only the name key
reads the result (diacritics are kept where the system has them; matching strips them):

- be_official: Instruction on the transliteration of Belarusian geographical names in Latin
  letters (State Committee on Land Resources, 2007; adopted by UNGEGN, 2007).
- be_passport: Belarusian passports (Ministry of Internal Affairs practice since 2008, close
  to BGN/PCGN without apostrophes): Siarhei, Yauhen, Natallia, Maryia, Tsikhanouski.
- be_bgn: BGN/PCGN 1979 romanisation of Belarusian (Syarhey, Tsikhanowski).
- be_iso9, ru_iso9, uk_iso9: ISO 9:1995 (GOST 7.79 system A).
- be_lacinka: Belarusian Łacinka as in Taraškievič's grammar (Siarhiej, Kirył, Natalla).
- ru_bgn, uk_bgn: BGN/PCGN 1947 Russian, 1965 Ukrainian.
- ru_passport: Russian passports since 2010 (ICAO Doc 9303: Natalia, Iuliia, Dmitrii).
- ru_scholarly: the scholarly transliteration of Slavists (Sergej, Jurij, Tichanovskij).
- uk_national: Ukrainian national system (Cabinet of Ministers resolution 55, 2010), used in
  Ukrainian passports (Serhii, Oleksandr, Yuliia).
- en_press, pl_press, de_press, fr_press, lt_press: how English (AP/Reuters habits), Polish
  (Polish phonetic transcription), German (Duden), French (Le Monde, AFP) and Lithuanian
  (LRT, with Lithuanian endings) newsrooms write East Slavic names.
"""

from __future__ import annotations

import csv
import itertools
import sys
from dataclasses import dataclass, field
from pathlib import Path

TABLE = Path(__file__).with_name("given_names.csv")
VOWELS = frozenset("аеёиоуыэюяіїє")
# An iotated vowel after these is read as after a vowel: "je", not "ie".
IOTATING = VOWELS | frozenset("ўйьъ'’ʼ")
SOFT_VOWELS = frozenset("еёюяіїєиь")
IOTATED = "еёюяєї"


@dataclass(frozen=True)
class System:
    """One transliteration table. Values may be tuples: each alternative yields a form."""

    name: str
    letters: dict[str, str | tuple[str, ...]]
    # Iotated vowels: (at the start or after a vowel, after a consonant).
    iotated: dict[str, tuple[str | tuple[str, ...], str | tuple[str, ...]]]
    # Word endings read as a whole (-ий, -ей), longest first.
    endings: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    # Łacinka and Polish: л is ł unless a soft vowel or ь follows; after l an iotated vowel loses its i.
    hard_l: str = ""
    after_l: dict[str, str] = field(default_factory=dict)
    # Duden and French write с between vowels as ss (Wassili, Vassili).
    double_s: bool = False
    # Lithuanian adds its own endings to men's names (Sergejus, Aleksandras).
    lithuanian_endings: bool = False
    # What makes л soft: Ukrainian е and и are hard (Ołeksandr, Mykoła).
    soft_vowels: frozenset[str] = SOFT_VOWELS


def _alternatives(value) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


def _pieces(word: str, system: System) -> list[tuple[str, ...]]:
    """The word as a sequence of choices, one per letter (or letter group)."""
    pieces: list[tuple[str, ...]] = []
    ending = next((e for e in sorted(system.endings, key=len, reverse=True) if word.endswith(e)), "")
    body = word[: len(word) - len(ending)] if ending and len(word) > len(ending) else word
    if body == word:
        ending = ""
    index = 0
    while index < len(body):
        previous = body[index - 1] if index else ""
        following = body[index + 1] if index + 1 < len(body) else ""
        pair = body[index : index + 2]
        if len(pair) == 2 and pair in system.letters:
            pieces.append(_alternatives(system.letters[pair]))
            index += 2
            continue
        letter = body[index]
        if letter in IOTATED and letter in system.iotated:
            if previous == "л" and letter in system.after_l:
                pieces.append((system.after_l[letter],))
            else:
                initial, after_consonant = system.iotated[letter]
                pieces.append(_alternatives(initial if not previous or previous in IOTATING else after_consonant))
        elif letter == "л" and system.hard_l:
            # A doubled л is soft when the second one is (Наталля: Natalla).
            after = body[index + 2 : index + 3] if following == "л" else following
            pieces.append(("l",) if after in system.soft_vowels else (system.hard_l,))
        elif letter == "с" and system.double_s and previous in VOWELS and following in VOWELS:
            pieces.append(("ss",))
        else:
            pieces.append(_alternatives(system.letters.get(letter, letter)))
        index += 1
    if ending:
        pieces.append(_alternatives(system.endings[ending]))
    return pieces


def _lithuanian(form: str, gender: str) -> str:
    """Lithuanian press adds its case endings to men's names: Sergejus, Aleksandras, Igoris."""
    if gender != "m" or form[-1:] in "aeiouy" and not form.endswith("ij"):
        return form
    if form.endswith("ij"):
        return form + "us"
    if form.endswith("j"):
        return form + "us"
    if form.endswith("'"):
        return form[:-1] + "is"
    return form + "as"


def romanise(cyrillic: str, system: System, gender: str = "") -> list[str]:
    """Every form `system` gives the one-word name `cyrillic` (lower-case Cyrillic in, capitalised Latin out)."""
    word = cyrillic.strip().lower().replace("’", "'").replace("ʼ", "'")
    forms = []
    for choice in itertools.product(*_pieces(word, system)):
        form = "".join(choice)
        if system.lithuanian_endings:
            form = _lithuanian(form, gender)
        form = form.replace("'", "")
        if any("\u0400" <= letter <= "\u04ff" for letter in form):
            raise ValueError(f"{system.name} leaves Cyrillic in {form!r} (from {cyrillic!r})")
        if form and form not in forms:
            forms.append(form)
    return [form[:1].upper() + form[1:] for form in forms]


COMMON = {
    "а": "a",
    "б": "b",
    "в": "v",
    "д": "d",
    "з": "z",
    "і": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "ы": "y",
    "э": "e",
    "ь": "",
    "ъ": "",
    "'": "",
}


def _system(name: str, letters: dict, iotated: dict, **options) -> System:
    return System(name, {**COMMON, **letters}, iotated, **options)


def _ukrainian(name: str, letters: dict, iotated: dict, **options) -> System:
    # Ukrainian е is a plain e (its iotated vowel is є).
    return _system(name, {"е": "e", **letters}, iotated, soft_vowels=frozenset("єїюяіь"), **options)


BELARUSIAN = [
    _system(
        "be_official",
        {"г": "h", "ґ": "g", "ж": "ž", "й": "j", "ў": "ŭ", "х": "ch", "ц": "c", "ч": "č", "ш": "š", "ь": "'"},
        {"е": ("je", "ie"), "ё": ("jo", "io"), "ю": ("ju", "iu"), "я": ("ja", "ia")},
        endings={"ый": "yj", "ій": "ij"},
    ),
    _system(
        "be_passport",
        {"г": "h", "ж": "zh", "й": "i", "ў": "u", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh"},
        {
            "е": (("ye", "e"), "e"),
            "ё": (("yo", "io"), "io"),
            "ю": (("yu", "iu"), "iu"),
            "я": (("ya", "ia"), "ia"),
        },
        endings={"ый": ("y", "yi"), "ій": ("i", "ii")},
    ),
    _system(
        "be_bgn",
        {"г": "h", "ж": "zh", "й": "y", "ў": "w", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh"},
        {"е": ("ye", "e"), "ё": ("yo", "yo"), "ю": ("yu", "yu"), "я": ("ya", "ya")},
        endings={"ый": "y", "ій": "iy"},
    ),
    _system(
        "be_iso9",
        {"г": "g", "ж": "ž", "й": "j", "ў": "ǔ", "х": "h", "ц": "c", "ч": "č", "ш": "š", "і": "ì", "э": "è"},
        {"е": ("e", "e"), "ё": ("ë", "ë"), "ю": ("û", "û"), "я": ("â", "â")},
    ),
    _system(
        "be_lacinka",
        {
            "г": "h",
            "ж": "ž",
            "й": "j",
            "ў": "ŭ",
            "х": "ch",
            "ц": "c",
            "ч": "č",
            "ш": "š",
            "зь": "ź",
            "сь": "ś",
            "нь": "ń",
            "ць": "ć",
        },
        {"е": ("je", "ie"), "ё": ("jo", "io"), "ю": ("ju", "iu"), "я": ("ja", "ia")},
        endings={"ый": "y", "ій": "i"},
        hard_l="ł",
        after_l={"е": "e", "ё": "o", "ю": "u", "я": "a"},
    ),
    _system(
        "pl_press",
        {
            "в": "w",
            "г": "h",
            "ж": "ż",
            "й": "j",
            "ў": ("u", "w"),
            "х": "ch",
            "ц": "c",
            "ч": "cz",
            "ш": "sz",
            "сь": "ś",
            "зь": "ź",
            "нь": "ń",
            "ць": "ć",
        },
        {"е": ("je", "ie"), "ё": ("jo", "io"), "ю": ("ju", "iu"), "я": ("ja", "ia")},
        endings={"ый": "y", "ій": "ij"},
        hard_l="ł",
        after_l={"е": "e", "ё": "o", "ю": "u", "я": "a"},
    ),
    _system(
        "de_press",
        {"в": "w", "г": "h", "ж": "sch", "з": "s", "й": "j", "ў": "u", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch"},
        {"е": ("je", "e"), "ё": ("jo", "jo"), "ю": ("ju", "ju"), "я": ("ja", "ja")},
        endings={"ый": "y", "ій": "i"},
        double_s=True,
    ),
    _system(
        "fr_press",
        {"г": "h", "ж": "j", "й": "ï", "ў": "u", "у": "ou", "х": "kh", "ц": "ts", "ч": "tch", "ш": "ch"},
        {"е": ("ie", "e"), "ё": ("io", "io"), "ю": ("iou", "iou"), "я": ("ia", "ia")},
        endings={"ый": "y", "ій": "i"},
        double_s=True,
    ),
    _system(
        "lt_press",
        {"г": "h", "ж": "ž", "й": "j", "ў": "u", "х": "ch", "ц": "c", "ч": "č", "ш": "š", "ь": "'"},
        {"е": ("je", "e"), "ё": ("jo", "jo"), "ю": ("ju", "iu"), "я": ("ja", "ia")},
        endings={"ый": "ij", "ій": "ij"},
        lithuanian_endings=True,
    ),
]

RUSSIAN = [
    _system(
        "ru_bgn",
        {"г": "g", "ж": "zh", "й": "y", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "и": "i"},
        {"е": ("ye", "e"), "ё": ("yo", "yo"), "ю": ("yu", "yu"), "я": ("ya", "ya")},
        endings={"ий": "iy", "ый": "yy"},
    ),
    _system(
        "ru_passport",
        {"г": "g", "ж": "zh", "й": "i", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "и": "i", "ъ": "ie"},
        {"е": ("e", "e"), "ё": ("e", "e"), "ю": ("iu", "iu"), "я": ("ia", "ia")},
    ),
    _system(
        "en_press",
        {"г": "g", "ж": "zh", "й": ("i", "y"), "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "и": "i"},
        {"е": (("ye", "e"), "e"), "ё": ("yo", "yo"), "ю": ("yu", "yu"), "я": (("ya", "ia"), ("ya", "ia"))},
        endings={"ий": ("y", "i", "iy"), "ей": ("ei", "ey"), "ай": ("ai", "ay")},
    ),
    _system(
        "ru_iso9",
        {"г": "g", "ж": "ž", "й": "j", "х": "h", "ц": "c", "ч": "č", "ш": "š", "щ": "ŝ", "и": "i", "э": "è"},
        {"е": ("e", "e"), "ё": ("ë", "ë"), "ю": ("û", "û"), "я": ("â", "â")},
    ),
    _system(
        "ru_scholarly",
        {"г": "g", "ж": "ž", "й": "j", "х": "ch", "ц": "c", "ч": "č", "ш": "š", "щ": "šč", "и": "i"},
        {"е": ("e", "e"), "ё": ("ë", "ë"), "ю": ("ju", "ju"), "я": ("ja", "ja")},
    ),
    _system(
        "pl_press",
        {"в": "w", "г": "g", "ж": "ż", "й": "j", "х": "ch", "ц": "c", "ч": "cz", "ш": "sz", "щ": "szcz", "и": "i"},
        {"е": ("je", "ie"), "ё": ("jo", "io"), "ю": ("ju", "iu"), "я": ("ja", "ia")},
        endings={"ий": "ij"},
        hard_l="ł",
        after_l={"е": "e", "ё": "o", "ю": "u", "я": "a"},
    ),
    _system(
        "de_press",
        {
            "в": "w",
            "г": "g",
            "ж": "sch",
            "з": "s",
            "й": "j",
            "х": "ch",
            "ц": "z",
            "ч": "tsch",
            "ш": "sch",
            "щ": "schtsch",
            "и": "i",
            "кс": "x",
        },
        {"е": ("je", "e"), "ё": ("jo", "jo"), "ю": ("ju", "ju"), "я": ("ja", "ja")},
        endings={"ий": ("i", "ij")},
        double_s=True,
    ),
    _system(
        "fr_press",
        {
            "г": "g",
            "ге": "gue",
            "ги": "gui",
            "ж": "j",
            "й": "ï",
            "у": "ou",
            "х": "kh",
            "ц": "ts",
            "ч": "tch",
            "ш": "ch",
            "щ": "chtch",
            "и": "i",
        },
        {"е": ("ie", "e"), "ё": ("io", "io"), "ю": ("iou", "iou"), "я": ("ia", "ia")},
        endings={"ий": "i"},
        double_s=True,
    ),
    _system(
        "lt_press",
        {"г": "g", "ж": "ž", "й": "j", "х": "ch", "ц": "c", "ч": "č", "ш": "š", "щ": "šč", "и": "i", "ь": "'"},
        {"е": ("je", "e"), "ё": ("jo", "jo"), "ю": ("ju", "iu"), "я": ("ja", "ia")},
        endings={"ий": "ij"},
        lithuanian_endings=True,
    ),
]

UKRAINIAN = [
    _ukrainian(
        "uk_national",
        {"г": "h", "ґ": "g", "ж": "zh", "и": "y", "й": "i", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch"},
        {"є": ("ye", "ie"), "ї": ("yi", "i"), "ю": ("yu", "iu"), "я": ("ya", "ia")},
        endings={"ій": ("ii", "iy")},
    ),
    _ukrainian(
        "uk_bgn",
        {"г": "h", "ґ": "g", "ж": "zh", "и": "y", "й": "y", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch"},
        {"є": ("ye", "ye"), "ї": ("yi", "yi"), "ю": ("yu", "yu"), "я": ("ya", "ya")},
    ),
    _ukrainian(
        "uk_iso9",
        {"г": "g", "ґ": "g", "ж": "ž", "и": "i", "і": "ì", "й": "j", "х": "h", "ц": "c", "ч": "č", "ш": "š", "щ": "ŝ"},
        {"є": ("ê", "ê"), "ї": ("ï", "ï"), "ю": ("û", "û"), "я": ("â", "â")},
    ),
    _ukrainian(
        "pl_press",
        {"в": "w", "г": "h", "ж": "ż", "и": "y", "й": "j", "х": "ch", "ц": "c", "ч": "cz", "ш": "sz", "щ": "szcz"},
        {"є": ("je", "ie"), "ї": ("ji", "i"), "ю": ("ju", "iu"), "я": ("ja", "ia")},
        endings={"ій": "ij"},
        hard_l="ł",
        after_l={"є": "e", "ю": "u", "я": "a"},
    ),
    _ukrainian(
        "de_press",
        {"в": "w", "г": "h", "ж": "sch", "з": "s", "и": "y", "й": "j", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch"},
        {"є": ("je", "je"), "ї": ("ji", "ji"), "ю": ("ju", "ju"), "я": ("ja", "ja")},
        endings={"ій": "ij"},
    ),
]
SYSTEMS = {"be": BELARUSIAN, "ru": RUSSIAN, "uk": UKRAINIAN}


def romanisations(cyrillic_forms: dict[str, list[str]], gender: str) -> list[str]:
    """Every systematic romanisation of a row's Cyrillic forms, by language, in a stable order."""
    forms: list[str] = []
    seen: set[str] = set()
    for language, words in cyrillic_forms.items():
        for word in words:
            for system in SYSTEMS[language]:
                for form in romanise(word, system, gender):
                    if form.casefold() not in seen:
                        seen.add(form.casefold())
                        forms.append(form)
    return forms


def split_forms(cell: str) -> list[str]:
    return [form.strip() for form in (cell or "").split("|") if form.strip()]


def row_romanisations(row: dict[str, str]) -> list[str]:
    """The `romanised` cell of a table row: its be/ru/uk forms and its short forms, in every system."""
    cyrillic = {language: split_forms(row[language]) for language in SYSTEMS}
    # Short forms are read as the language they are written in: і/ў mark Belarusian, ї/є Ukrainian.
    for short in split_forms(row["short"]):
        language = "be" if set(short.lower()) & set("іў") else "uk" if set(short.lower()) & set("їє") else "ru"
        cyrillic[language] = [*cyrillic[language], short]
    excluded = {form.casefold() for form in split_forms(row.get("not", ""))}
    return [form for form in romanisations(cyrillic, row["gender"]) if form.casefold() not in excluded]


def read_table(path: Path = TABLE) -> tuple[list[str], list[str], list[dict[str, str]]]:
    """(comment lines, column names, rows) of the table."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    comments = [line for line in lines if line.startswith("#")]
    reader = csv.DictReader(line for line in lines if not line.startswith("#"))
    rows = list(reader)
    return comments, list(reader.fieldnames or []), rows


def write_table(path: Path = TABLE) -> None:
    """Refill the `romanised` column of every row from its Cyrillic forms."""
    comments, columns, rows = read_table(path)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.writelines(comments)
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            row["romanised"] = "|".join(row_romanisations(row))
            writer.writerow(row)


if __name__ == "__main__":
    write_table(Path(sys.argv[1]) if len(sys.argv) > 1 else TABLE)
