import io
import re
import sqlite3

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prisoners import benchmark
from prisoners.benchmark import Answer, page_scenarios, subjects
from prisoners.models import Person
from prisoners.synthetic import synthetic_people_create
from sources.models import Citation, Source

SCENARIOS = [
    "home",
    "list_default",
    "list_status_filter",
    "list_release_range",
    "search_q",
    "list_article_sort",
    "profile",
    "api_list",
    "api_detail",
    "source_page",
    "stats_page",
    "stats_api_on_day",
    "stats_after_change",
    "sitemap",
    "export_csv",
    "import_rows",
]
NUMBER = r"\d+\.\d\d"
LINE = re.compile(
    rf"^bench (?P<scenario>\w+): people=(?P<people>\d+) app_ms={NUMBER} sql_ms={NUMBER} "
    rf"ratio=(?:{NUMBER}|inf) queries=(?P<queries>\d+)(?P<extra>(?: peak_mb=\d+\.\d)?(?: rows_per_s=\d+\.\d)?)$"
)
DATASETTE_LINE = re.compile(
    rf"^bench datasette_(?P<scenario>\w+): people=(?P<people>\d+) ours_ms={NUMBER} theirs_ms={NUMBER} ratio={NUMBER}$"
)
PEOPLE = 12


@pytest.fixture
def people(db):
    synthetic_people_create(people=PEOPLE, seed=5)


def _bench(*args) -> list[str]:
    out = io.StringIO()
    call_command("bench", "--runs", "1", "--import-rows", "3", *args, stdout=out)
    return out.getvalue().splitlines()


def _queries_of(scenario, client) -> int:
    """What the app runs for a scenario's requests, counted by Django's own context on the test client."""

    def get(path, keep_body=True):
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return Answer(response.status_code, body, len(body), 0.0)

    # As the bench does: a warm-up run first (it stores what a public state keeps, such as the
    # statistics tallies), then the counted one.
    cache.clear()
    scenario.prepare()
    scenario.run(get)
    cache.clear()
    scenario.prepare()
    with CaptureQueriesContext(connection) as captured:
        scenario.run(get)
    return len(captured)


def test_bench_prints_one_line_per_scenario_in_the_issue_format(people, client):
    lines = _bench()

    matches = [LINE.match(line) for line in lines]
    assert all(matches), lines
    assert [match["scenario"] for match in matches] == SCENARIOS
    assert {match["people"] for match in matches} == {str(PEOPLE)}
    extras = {match["scenario"]: match["extra"] for match in matches}
    assert extras.pop("export_csv").startswith(" peak_mb=")
    assert extras.pop("import_rows").startswith(" rows_per_s=")
    assert set(extras.values()) == {""}
    # queries= is what the app ran for the scenario's requests.
    counted = {match["scenario"]: int(match["queries"]) for match in matches}
    for scenario in page_scenarios(subjects()):
        assert counted[scenario.name] == _queries_of(scenario, client), scenario.name
    assert counted["import_rows"] > 0


def test_bench_leaves_the_database_as_it_was(people):
    before = (Person.objects.count(), Citation.objects.count(), Source.objects.count())
    _bench()
    assert (Person.objects.count(), Citation.objects.count(), Source.objects.count()) == before
    assert not Person.objects.filter(slug__startswith="bench-import").exists()


def test_bench_on_an_empty_database_says_what_to_do(db):
    with pytest.raises(CommandError, match="generate_synthetic"):
        _bench()


def test_statements_replayed_alone_take_measurable_time(people):
    with benchmark.statements_recorded() as statements:
        list(Person.objects.public().values_list("slug", flat=True))
    assert len(statements) == 1
    assert benchmark.replay_seconds(statements) > 0


def test_without_datasette_the_comparison_names_the_install_command(people, monkeypatch):
    monkeypatch.setattr(benchmark, "datasette_available", lambda: False)
    monkeypatch.setattr("prisoners.management.commands.bench.datasette_available", lambda: False)
    with pytest.raises(CommandError) as missing:
        _bench("--vs-datasette")
    assert "pip install -e '.[bench]'" in str(missing.value)


@pytest.mark.skipif(
    not benchmark.datasette_available(),
    reason="Datasette is not installed (optional `bench` extra: pip install -e '.[bench]')",
)
def test_vs_datasette_prints_the_shared_scenarios(people):
    lines = _bench("--vs-datasette")

    compared = [DATASETTE_LINE.match(line) for line in lines if line.startswith("bench datasette_")]
    assert all(compared), lines
    assert [match["scenario"] for match in compared] == [
        "status_filter",
        "release_range",
        "name_search",
        "json_list",
        "export_csv",
    ]
    assert {match["people"] for match in compared} == {str(PEOPLE)}


def test_the_sqlite_copy_holds_only_the_public_list_with_its_names_searchable(people, tmp_path):
    hidden = Person.objects.order_by("pk").first()
    Person.objects.filter(pk=hidden.pk).update(publication_state="draft", private_notes="PRIVATE-BENCH-NOTE")
    shown = Person.objects.public().order_by("pk").first()
    path = tmp_path / "copy.db"

    rows = benchmark.public_list_sqlite(path, url_prefix="http://127.0.0.1/prisoners/")

    database = sqlite3.connect(path)
    try:
        urls = {url for (url,) in database.execute("SELECT url FROM prisoners")}
        search = (
            "SELECT url FROM prisoners WHERE rowid IN (SELECT rowid FROM prisoners_fts WHERE prisoners_fts MATCH ?)"
        )
        found = {url for (url,) in database.execute(search, [f'"{shown.name_ru.split()[-1]}"'])}
        dumped = "\n".join(database.iterdump())
    finally:
        database.close()
    assert rows == PEOPLE - 1 == len(urls)
    assert f"http://127.0.0.1/prisoners/{hidden.slug}/" not in urls
    assert f"http://127.0.0.1/prisoners/{shown.slug}/" in found
    assert "PRIVATE-BENCH-NOTE" not in dumped
