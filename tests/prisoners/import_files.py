"""Generated import files of a realistic shape, for query-count tests and the import's speed measurements.

A row looks like a row of a human-rights group's list: a Latin name with Belarusian and Russian
spellings, a birth date (sometimes the year only), a detention written as sources write it, one
to three charges, a sentence, a release for 30% of them, and for most a source with a quote.
Everything follows from `seed`, so two runs import the same people.

    data = cases_csv(2_000)
    for article, part in ARTICLES: LegalArticle.objects.get_or_create(article=article, part=part, ...)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

from prisoners.imports import COLUMNS

# The articles the rows charge: they must be on record for the file to check clean.
ARTICLES = (("342", ""), ("130", ""), ("293", "1"), ("361", "1"), ("369", ""), ("411", ""))
GIVEN = (
    ("Ales", "Алесь", "Алесь"),
    ("Maryia", "Марыя", "Мария"),
    ("Ihar", "Ігар", "Игорь"),
    ("Volha", "Вольга", "Ольга"),
    ("Siarhei", "Сяргей", "Сергей"),
    ("Katsiaryna", "Кацярына", "Екатерина"),
    ("Mikalai", "Мікалай", "Николай"),
    ("Nasta", "Наста", "Анастасия"),
)
# Syllables make distinct surnames (about 4,000) that no test's recorded person shares.
ONSETS = ("Bar", "Vel", "Zah", "Kul", "Mar", "Pras", "Sten", "Hrab", "Lut", "Dzem", "Raz", "Shyl")
MIDDLES = ("a", "o", "u", "e", "ia", "y")
CODAS = ("vich", "nka", "shka", "lau", "kou", "tsou", "rski", "nik", "chyk", "niuk")
STATUSES = ("imprisoned", "convicted", "pre_trial", "detained", "")
RELEASE_TYPES = ("pardon", "end_of_term", "forced_exile")
REGIONS = ("minsk", "minsk-region", "brest", "homel", "hrodna", "mahiliou", "vitsebsk", "abroad", "")
SENTENCES = ("1y6m", "2y", "3y", "5y", "8y", "10y", "14y", "")
TRANSLITERATION = {"a": "а", "o": "о", "u": "у", "e": "е", "y": "ы", "i": "і"}


def _surname(rng: random.Random) -> str:
    return rng.choice(ONSETS) + rng.choice(MIDDLES) + rng.choice(CODAS)


def _cyrillic(surname: str) -> str:
    """A rough Cyrillic spelling: enough for a second name variant per row."""
    table = {
        "sh": "ш",
        "ch": "ч",
        "ts": "ц",
        "dz": "дз",
        "zh": "ж",
        "kh": "х",
        "ia": "я",
        "b": "б",
        "v": "в",
        "z": "з",
        "k": "к",
        "m": "м",
        "r": "р",
        "p": "п",
        "s": "с",
        "t": "т",
        "n": "н",
        "h": "г",
        "l": "л",
        "d": "д",
        "c": "ц",
        **TRANSLITERATION,
    }
    out, text, index = [], surname.lower(), 0
    while index < len(text):
        pair = text[index : index + 2]
        if pair in table:
            out.append(table[pair])
            index += 2
        else:
            out.append(table.get(text[index], text[index]))
            index += 1
    return "".join(out).capitalize()


def _date_as_written(rng: random.Random, day: dt.date) -> str:
    """The same day as sources write it: ISO, day first with dots, or only the month."""
    form = rng.random()
    if form < 0.6:
        return day.isoformat()
    if form < 0.85:
        return day.strftime("%d.%m.%Y")
    return day.strftime("%Y-%m")


def case_rows(rows: int, *, seed: int = 0, prefix: str = "gen") -> list[dict[str, str]]:
    """`rows` rows of the import format, as dicts by column."""
    rng = random.Random(seed)
    result = []
    for number in range(1, rows + 1):
        latin, be, ru = rng.choice(GIVEN)
        surname = _surname(rng)
        detained = dt.date(2020, 5, 1) + dt.timedelta(days=rng.randrange(1500))
        row = {
            "external_id": f"{prefix}-{number:06d}",
            "name": f"{latin} {surname} {number}",
            "name_variants": f"{be} {_cyrillic(surname)} {number};{ru} {_cyrillic(surname)} {number}",
            "birth_date": str(rng.randrange(1950, 2004))
            if rng.random() < 0.3
            else dt.date(rng.randrange(1950, 2004), rng.randrange(1, 13), rng.randrange(1, 29)).isoformat(),
            "gender": "female" if latin in ("Maryia", "Volha", "Katsiaryna", "Nasta") else "male",
            "region": rng.choice(REGIONS),
            "status": rng.choice(STATUSES),
            "detained_on": _date_as_written(rng, detained),
            "articles": ";".join(
                f"{article}.{part}" if part else article for article, part in rng.sample(ARTICLES, rng.randrange(1, 4))
            ),
            "sentence": rng.choice(SENTENCES),
            "private_notes": "Lawyer visits monthly" if rng.random() < 0.2 else "",
        }
        if rng.random() < 0.3:
            row["released_on"] = (detained + dt.timedelta(days=rng.randrange(200, 1200))).isoformat()
            row["release_type"] = rng.choice(RELEASE_TYPES)
            row["status"] = ""
        if rng.random() < 0.8:
            # Sources report on several people: about ten rows per article.
            article = number // 10
            row["source_url"] = f"https://news.example.org/{prefix}/{article}"
            row["source_title"] = f"Verdicts of week {article}"
            row["quote"] = f"{latin} {surname} was sentenced"
            row["public"] = "yes" if rng.random() < 0.6 else "no"
        result.append(row)
    return result


def cases_csv(rows: int, *, seed: int = 0, prefix: str = "gen") -> bytes:
    """A UTF-8 import file of `rows` generated rows with every column of the format."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in case_rows(rows, seed=seed, prefix=prefix):
        writer.writerow([row.get(column, "") for column in COLUMNS])
    return out.getvalue().encode("utf-8")
