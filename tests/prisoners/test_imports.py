"""CSV import of people and cases: every bad row named, all or nothing, re-import updates, admin upload with preview."""

import datetime as dt
import io
import re

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from casetracker.celery import app as celery_app
from casetracker.dates import edtf_bounds
from prisoners.imports import (
    IDENTIFIER_PREFIX,
    MISSING_COLUMN,
    NOT_A_TERM,
    NOT_UTF8,
    NUL_BYTES,
    PUBLIC_WITHOUT_SOURCE,
    QUOTE_WITHOUT_SOURCE,
    RELEASE_WITHOUT_TYPE,
    REPEATED_EXTERNAL_ID,
    SEMICOLON_SEPARATED,
    SEVERAL_CASES,
    UNCLOSED_QUOTE,
    UNKNOWN_ARTICLE,
    UNKNOWN_COLUMN,
    UTF16,
    WRONG_CELL_COUNT,
    CasesFileRejected,
    JobState,
    _date_bounds,
    _job_write,
    cases_file_check,
    cases_file_import,
    import_job_create,
    import_job_run,
    import_job_status,
)
from prisoners.models import (
    Charge,
    ExternalIdentifier,
    IdentifierScheme,
    Person,
    PublicationState,
    Release,
    Sentence,
    Status,
    StatusEvent,
)
from prisoners.roles import SYSTEM
from prisoners.services import NOT_ALLOWED_TO_PUBLISH
from sources.models import Citation
from tests.prisoners.factories import DefendantFactory, LegalArticleFactory, NameVariantFactory, PersonFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "external_id,name,name_variants,birth_date,gender,region,status,detained_on,released_on,release_type,"
    "articles,sentence,public,private_notes,source_url,source_title,quote"
)
GOOD_ROWS = [
    "v-101,Ales Bialiatski,Алесь Бяляцкі;Ales Byalyatski,1962-09-25,male,abroad,imprisoned,2021-07-14,,,"
    "342;130,10y,yes,Lawyer visits monthly,https://news.example.org/bialiatski,Verdict in the Viasna case,"
    "sentenced to 10 years",
    "v-102,Maria Kalesnikava,Марыя Калеснікава,1982-04-24,female,minsk,,2020-09-07,2025-12-13,pardon,"
    "293.1,11y,yes,,https://news.example.org/kalesnikava,Kalesnikava released,was released",
    'v-103,"Ihar Losik, blogger",,1992,male,,pre_trial,2020-06,,,,,no,"Family asks: no ""publicity"" yet",,,',
]


@pytest.fixture
def articles(db):
    return {
        key: LegalArticleFactory(article=article, part=part, title=f"Offence {key}")
        for key, article, part in [("342", "342", ""), ("130", "130", ""), ("293.1", "293", "1")]
    }


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def csv_file(*rows, header=HEADER, encoding="utf-8", newline="\n") -> bytes:
    return newline.join([header, *rows, ""]).encode(encoding)


def database_state():
    """Row counts of every table of both apps, history included: what "unchanged" means here."""
    models = [
        model
        for label in ("prisoners", "sources")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    return {model._meta.label: model._base_manager.count() for model in models}


def problems(data: bytes, acting_user=SYSTEM, **kwargs) -> list[tuple[int, str, str]]:
    with pytest.raises(CasesFileRejected) as rejected:
        cases_file_import(acting_user=acting_user, data=data, **kwargs)
    return [(error.line, error.column, error.reason) for error in rejected.value.plan.errors_by_line()]


def imported(external_id: str) -> Person:
    return ExternalIdentifier.objects.get(scheme=IdentifierScheme.IMPORT, value=IDENTIFIER_PREFIX + external_id).person


# --- A good file ---------------------------------------------------------------------------------


def test_a_good_file_creates_people_with_their_names_facts_cases_sources_and_publication(articles):
    plan = cases_file_import(acting_user=SYSTEM, data=csv_file(*GOOD_ROWS))

    assert (plan.to_create, plan.to_update, plan.applied) == (3, 0, True)
    bialiatski = imported("v-101")
    assert bialiatski.display_name == "Ales Bialiatski"
    assert (bialiatski.birth_date, bialiatski.birth_date_earliest) == ("1962-09-25", dt.date(1962, 9, 25))
    assert (bialiatski.gender, bialiatski.region) == ("male", "abroad")
    assert bialiatski.private_notes == "Lawyer visits monthly"
    assert {"Алесь Бяляцкі", "Ales Byalyatski", "Ales Bialiatski"} <= set(
        bialiatski.name_variants.values_list("text", flat=True)
    )
    assert bialiatski.is_public() and bialiatski.published_at
    assert bialiatski.current_status == Status.IMPRISONED
    assert bialiatski.custody_started_on == dt.date(2021, 7, 14)
    assert bialiatski.total_term_code == "10y"
    assert bialiatski.expected_end_earliest == dt.date(2031, 7, 14)
    charges = Charge.objects.filter(defendant__person=bialiatski)
    assert sorted(c.article.article for c in charges) == ["130", "342"]
    citation = Citation.objects.get(object_id=bialiatski.pk, content_type__model="person")
    assert (citation.source.url, citation.source.title, citation.quote) == (
        "https://news.example.org/bialiatski",
        "Verdict in the Viasna case",
        "sentenced to 10 years",
    )

    kalesnikava = imported("v-102")
    assert kalesnikava.current_status == Status.RELEASED
    assert kalesnikava.released_on == dt.date(2025, 12, 13)
    assert Release.objects.get(person=kalesnikava).release_type == "pardon"
    assert Charge.objects.get(defendant__person=kalesnikava).article == articles["293.1"]

    losik = imported("v-103")
    assert losik.display_name == "Ihar Losik, blogger"
    assert losik.private_notes == 'Family asks: no "publicity" yet'
    assert losik.publication_state == PublicationState.DRAFT
    assert losik.current_status == Status.PRE_TRIAL
    assert list(losik.status_events.order_by("pk").values_list("status", "date")) == [
        ("detained", "2020-06"),
        ("pre_trial", "2020-06-01/.."),
    ]


def test_a_file_with_a_byte_order_mark_and_crlf_line_ends_imports(articles):
    data = b"\xef\xbb\xbf" + csv_file(*GOOD_ROWS, newline="\r\n")

    assert cases_file_import(acting_user=SYSTEM, data=data).to_create == 3
    assert imported("v-101").private_notes == "Lawyer visits monthly"


def test_the_example_in_the_documentation_imports(articles):
    doc = (settings.BASE_DIR / "docs" / "import-format.md").read_text(encoding="utf-8")
    example = re.search(r"```csv\n(.*?)```", doc, re.S).group(1)

    plan = cases_file_import(acting_user=SYSTEM, data=example.encode())

    assert plan.to_create == 3
    header = example.splitlines()[0].split(",")
    assert header == HEADER.split(",")
    assert imported("v-103").display_name == "Losik, Ihar"


def test_only_external_id_and_name_are_required():
    cases_file_import(acting_user=SYSTEM, data=b"name,external_id\nAnna Ivanova,x-1\n")

    assert imported("x-1").display_name == "Anna Ivanova"
    assert not StatusEvent.objects.exists()


# --- Re-import -----------------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(articles):
    cases_file_import(acting_user=SYSTEM, data=csv_file(*GOOD_ROWS))
    before = database_state()

    plan = cases_file_import(acting_user=SYSTEM, data=csv_file(*GOOD_ROWS))

    assert (plan.to_create, plan.to_update) == (0, 3)
    # History included: nothing that did not change was saved again.
    assert database_state() == before


def test_reimport_updates_the_same_person_instead_of_duplicating(articles):
    cases_file_import(acting_user=SYSTEM, data=csv_file(*GOOD_ROWS))
    person = imported("v-103")
    changed = "v-103,Ihar Losik,Igor Losik,1992-05-17,male,vitsebsk,imprisoned,2020-06,,,342,15y,yes,,,Losik verdict,"

    plan = cases_file_import(acting_user=SYSTEM, data=csv_file(changed))

    assert (plan.to_create, plan.to_update) == (0, 1)
    assert Person.objects.count() == 3
    person.refresh_from_db()
    assert (person.display_name, person.birth_date, person.region) == ("Ihar Losik", "1992-05-17", "vitsebsk")
    assert person.is_public()
    assert person.current_status == Status.IMPRISONED
    assert person.total_term_code == "15y"
    assert "Igor Losik" in set(person.name_variants.values_list("text", flat=True))
    # An empty cell leaves what is there.
    assert person.private_notes == 'Family asks: no "publicity" yet'


def test_reimport_with_another_term_replaces_the_imported_sentence(articles):
    cases_file_import(acting_user=SYSTEM, data=csv_file(GOOD_ROWS[0]))
    cases_file_import(acting_user=SYSTEM, data=csv_file(GOOD_ROWS[0].replace(",10y,", ",1y6m,")))

    person = imported("v-101")
    assert [s.term.code for s in Sentence.objects.filter(defendant__person=person)] == ["1y6m"]
    assert person.total_term_code == "1y6m"


def test_public_no_withdraws_a_published_person_on_reimport(articles):
    cases_file_import(acting_user=SYSTEM, data=csv_file(GOOD_ROWS[0]))
    cases_file_import(acting_user=SYSTEM, data=csv_file(GOOD_ROWS[0].replace(",yes,", ",no,")))

    assert imported("v-101").publication_state == PublicationState.WITHDRAWN


# --- Bad files leave the database unchanged and name every bad row ------------------------------


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(
            [
                "a-1,Anna,,1990-13-45,,,,,,,,,,,,,",
                "a-2,Boris,,,,,,2021-02-30,,,,,,,,,",
                "a-3,Vera,,,,,,summerish 2020,,,,,,,,,",
            ],
            [
                (2, "birth_date", "“1990-13-45” is not a date"),
                (3, "detained_on", "“2021-02-30”"),
                (4, "detained_on", "“summerish 2020”"),
            ],
            id="malformed dates",
        ),
        pytest.param(
            ["a-1,Anna,,,,,jailed,,,,,,,,,,", "a-2,Boris,,,,,Released,,,,,,,,,,"],
            [(2, "status", "unknown status “jailed”; use one of: convicted, detained")],
            id="unknown status",
        ),
        pytest.param(
            ["a-1,Anna,,,,,,,,,,,,,,,", "a-2,Boris,,,,,,,,,,,,,,,", "a-1,Anna Again,,,,,,,,,,,,,,,"],
            [(4, "external_id", REPEATED_EXTERNAL_ID.format(value="a-1", line=2))],
            id="duplicate external_id in one file",
        ),
        pytest.param(
            ["a-1,Anna,,,,,,,,,999;342.7,,,,,,", "a-2,Boris,,,,,,,,,293-a,,,,,,"],
            [
                (2, "articles", UNKNOWN_ARTICLE.format(value="999")),
                (2, "articles", UNKNOWN_ARTICLE.format(value="342.7")),
                (3, "articles", "“293-a” is not an article"),
            ],
            id="articles",
        ),
        pytest.param(
            ["a-1,Anna,,,,,,,,,,18 years,,,,,", "a-2,Boris,,,,,,,,,,0y,maybe,,,,"],
            [
                (2, "sentence", NOT_A_TERM.format(value="18 years")),
                (3, "sentence", NOT_A_TERM.format(value="0y")),
                (3, "public", "“maybe” is neither yes nor no"),
            ],
            id="sentence and public",
        ),
        pytest.param(
            [
                "a-1,Anna,,,,,,,2025-06-21,,,,,,,,",
                "a-2,Boris,,,,,,,,,,,,,not a url,,quoted",
                "a-3,Vera,,,,,,,,,,,,,,,said so",
            ],
            [
                (2, "release_type", RELEASE_WITHOUT_TYPE),
                (3, "source_url", "“not a url” is not a web address"),
                (4, "quote", QUOTE_WITHOUT_SOURCE),
            ],
            id="release, url and quote",
        ),
        pytest.param(
            ["a-1,Anna,,,,,,,,,,,,,,,", "a-2,Boris,,,", ",,,,,,,,,,,,,,,,"],
            [
                (3, "", WRONG_CELL_COUNT.format(found=5, expected=17)),
                (4, "external_id", "required"),
                (4, "name", "required"),
            ],
            id="short rows and empty required cells",
        ),
        pytest.param(
            ['a-1,"Anna ""the" first,,,,,,,,,,,,,,,', 'a-2,"Boris,,,,,,,,,,,,,,,', "a-3,Vera,,,,,,,,,,,,,,,"],
            [(2, "", "cannot read this row"), (3, "", UNCLOSED_QUOTE)],
            id="broken quotes",
        ),
    ],
)
def test_every_bad_row_is_named_and_nothing_is_imported(articles, rows, expected):
    PersonFactory(display_name="Someone already here")
    before = database_state()

    found = problems(csv_file(*rows))

    assert database_state() == before
    assert len(found) == len(expected), found
    for (line, column, reason), (want_line, want_column, want_reason) in zip(found, expected, strict=True):
        assert (line, column) == (want_line, want_column)
        assert reason.startswith(want_reason), reason


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("external_id,name,detained", [(1, "detained", UNKNOWN_COLUMN)]),
        ("external_id,external_id,name", [(1, "external_id", "this column appears twice")]),
        ("id,name", [(1, "id", UNKNOWN_COLUMN), (1, "external_id", MISSING_COLUMN)]),
        ("external_id;name;status", [(1, "", SEMICOLON_SEPARATED)]),
    ],
)
def test_a_bad_header_is_reported_on_line_one(header, expected):
    assert problems(csv_file("a,b,c", header=header)) == expected


def test_empty_header_cells_are_ignored_unless_a_row_has_a_value_under_them():
    cases_file_import(acting_user=SYSTEM, data=b"external_id,name,,\nu-1,Anna,,\n")
    assert imported("u-1").display_name == "Anna"

    assert problems(b"external_id,name,,\nu-2,Boris,,oops\n") == [
        (2, "column 4", "a value under a column with no name")
    ]


def test_an_empty_file_is_refused():
    assert problems(b"") == [(1, "", "the file is empty; its first line must name the columns")]


def test_a_windows_1251_file_is_reported_line_by_line_not_guessed():
    rows = ["a-1,Anna Ivanova,,,,,,,,,,,,,,,", "a-2,Сяргей Ціханоўскі,,,,,,,,,,,,,,,", "a-3,Maria,,,,,,,,,,,,,,,Марыя"]
    data = "\n".join([HEADER, *rows, ""]).encode("cp1251", errors="replace")
    before = database_state()

    found = problems(data)

    assert found == [(3, "name", NOT_UTF8), (4, "quote", NOT_UTF8)]
    assert database_state() == before


def test_a_utf16_file_is_refused_with_a_clear_message():
    data = "\n".join([HEADER, "a-1,Anna,,,,,,,,,,,,,,,"]).encode("utf-16")

    assert problems(data) == [(1, "", UTF16)]
    assert problems(data[2:]) == [(1, "", NUL_BYTES)]  # without its byte-order mark


def test_a_spreadsheet_file_is_refused_with_a_clear_message():
    xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00b\xee\x9dh^\x01\x00\x00\x90\x04"

    assert problems(xlsx) == [(1, "", NUL_BYTES)]


def test_a_valid_update_is_not_applied_when_another_row_is_bad(articles):
    cases_file_import(acting_user=SYSTEM, data=csv_file(GOOD_ROWS[0]))
    before = database_state()

    found = problems(csv_file(GOOD_ROWS[0].replace("Ales Bialiatski,", "Renamed,"), "b-1,Bad,,1990-13-45,,,,,,,,,,,,,"))

    assert [line for line, _column, _reason in found] == [3]
    assert database_state() == before
    assert imported("v-101").display_name == "Ales Bialiatski"


def test_charges_for_a_person_in_several_cases_are_refused(articles):
    cases_file_import(acting_user=SYSTEM, data=csv_file("s-1,Anna,,,,,,,,,,,,,,,"))
    person = imported("s-1")
    DefendantFactory(person=person)
    DefendantFactory(person=person)

    assert problems(csv_file("s-1,Anna,,,,,,,,,342,,,,,,")) == [(2, "articles", SEVERAL_CASES)]


def test_only_those_who_may_publish_can_import_rows_that_change_what_is_public(researcher, editor):
    data = csv_file("p-1,Anna,,,,,,,,,,,yes,,,Anna's verdict,", "p-2,Boris,,,,,,,,,,,no,,,,")

    assert problems(data, acting_user=researcher) == [(2, "public", NOT_ALLOWED_TO_PUBLISH)]
    assert cases_file_import(acting_user=editor, data=data).to_create == 2
    assert imported("p-1").is_public()


def test_a_row_that_would_publish_an_uncited_person_is_refused(editor):
    data = csv_file("p-1,Anna,,,,,,,,,,,yes,,,,")
    assert problems(data, acting_user=editor) == [(2, "public", PUBLIC_WITHOUT_SOURCE)]


def test_ten_thousand_rows_with_one_bad_line_report_exactly_that_line(tmp_path):
    bad_line = 7_778
    rows = []
    for number in range(2, 10_002):
        day = dt.date(2020, 1, 1) + dt.timedelta(days=number % 1500)
        detained = "2021-02-30" if number == bad_line else day.isoformat()
        rows.append(f"bulk-{number},Person {number},,{1950 + number % 50},,,detained,{detained},,,,,,,,,")
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file(*rows))
    before = database_state()
    stderr = io.StringIO()

    with pytest.raises(CommandError, match=r"^1 problem\(s\) in people.csv; nothing was imported.$"):
        call_command("import_cases", path, "--no-progress", stderr=stderr, stdout=io.StringIO())

    reported = [line for line in stderr.getvalue().splitlines() if line.startswith("people.csv:")]
    assert len(reported) == 1
    assert reported[0].startswith(f"people.csv:{bad_line}: detained_on: “2021-02-30” is not a date")
    assert database_state() == before


def test_plain_dates_are_read_as_the_edtf_parser_reads_them():
    for text in ["2021", "2021-02", "2024-02", "2021-12", "2021-07-14", "2000-02-29"]:
        assert _date_bounds(text) == edtf_bounds(text), text


# --- The command -----------------------------------------------------------------------------------


def test_dry_run_reports_what_would_happen_and_changes_nothing(articles, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_file(*GOOD_ROWS))
    before = database_state()
    stdout = io.StringIO()

    call_command("import_cases", path, "--dry-run", "--no-progress", stdout=stdout)

    assert "it would create 3 and update 0 people" in stdout.getvalue()
    assert database_state() == before


def test_the_command_imports_with_a_progress_bar_on_stderr(articles, tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_file(*GOOD_ROWS))
    stdout, stderr = io.StringIO(), io.StringIO()

    call_command("import_cases", path, stdout=stdout, stderr=stderr)

    assert "created 3, updated 0 people" in stdout.getvalue()
    assert "importing: 100%" in stderr.getvalue()
    assert "3/3" in stderr.getvalue()
    assert Person.objects.count() == 3


def test_the_command_lists_each_problem_as_file_line_column_reason(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_file("a-1,Anna,,,,,jailed,,,,,,,,,,", "a-1,Anna,,,,,,,,,,,,,,,"))
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_cases", path, "--no-progress", stderr=stderr)

    lines = stderr.getvalue().splitlines()
    assert lines[0].startswith("cases.csv:2: status: unknown status “jailed”")
    assert lines[1] == "cases.csv:3: external_id: " + REPEATED_EXTERNAL_ID.format(value="a-1", line=2)


def test_the_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_cases", tmp_path / "absent.csv")


# --- The admin upload ----------------------------------------------------------------------------


@pytest.fixture
def eager_tasks():
    """The import task runs here even where a real worker listens: it could not see this test's rows."""
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = was_eager


def upload(client, data: bytes, name="cases.csv"):
    return client.post(reverse("admin:prisoners_person_import"), {"file": SimpleUploadedFile(name, data, "text/csv")})


def test_the_upload_page_renders(editor_client):
    response = editor_client.get(reverse("admin:prisoners_person_import"))

    assert response.status_code == 200
    assert b'id="case-import-upload"' in response.content


def test_upload_previews_then_confirm_imports_and_the_page_shows_the_outcome(
    editor_client, articles, media_root, eager_tasks, django_capture_on_commit_callbacks
):
    cases_file_import(acting_user=SYSTEM, data=csv_file(GOOD_ROWS[2]))

    preview = upload(editor_client, csv_file(*GOOD_ROWS))

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "it would create 2 and update 1 people" in html
    assert html.count('class="import-create"') == 2 and html.count('class="import-update"') == 1
    assert Person.objects.count() == 1
    confirm_url = preview.context["confirm_url"]

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(confirm_url)

    assert response.status_code == 302
    assert Person.objects.count() == 3
    page = editor_client.get(confirm_url)
    assert 'id="import-done"' in page.content.decode()
    assert "2 people created, 1 updated" in page.content.decode()
    status = editor_client.get(confirm_url + "status/").json()
    assert (status["state"], status["done"], status["total"], status["created"]) == ("done", 3, 3, 2)
    # The upload held private notes; it is not kept once imported.
    assert not list((media_root / "imports").glob("*.csv"))


def test_a_bad_upload_lists_every_problem_and_offers_no_import(editor_client, media_root):
    response = upload(editor_client, csv_file("a-1,Anna,,1990-13-45,,,jailed,,,,,,,,,,", "a-1,Anna,,,,,,,,,,,,,,,"))

    html = response.content.decode()
    assert "has 3 problems" in html
    assert html.count("<tr><td>") == 3
    assert "<td>2</td><td>birth_date</td>" in html and "<td>3</td><td>external_id</td>" in html
    assert 'id="case-import-confirm"' not in html
    assert not (media_root / "imports").exists()
    assert not Person.objects.exists()


def test_a_job_shows_progress_while_it_runs(editor_client, media_root):
    preview = upload(editor_client, csv_file(*GOOD_ROWS[2:]))
    job_url = preview.context["confirm_url"]
    job_id = job_url.rstrip("/").rsplit("/", 1)[-1].replace("-", "")
    # As the worker leaves it halfway (the task itself is not run here).
    _job_write(job_id, state=JobState.RUNNING, stage="import", done=40, total=100)

    page = editor_client.get(job_url).content.decode()
    assert '<progress id="import-progress" max="100" value="40">' in page
    # The page follows the job's status feed (static/casetracker/import_progress.js polls it).
    assert f'data-status-url="{job_url}status/"' in page and "casetracker/import_progress.js" in page
    assert editor_client.get(job_url + "status/").json() == {
        "state": "running",
        "stage": "import",
        "done": 40,
        "total": 100,
    }


def test_another_editors_job_is_not_found(editor_client, media_root, client):
    job_url = upload(editor_client, csv_file(GOOD_ROWS[2])).context["confirm_url"]
    other = User.objects.create_user("other-editor", password="x", is_staff=True, is_superuser=True)
    client.force_login(other)

    assert client.get(job_url).status_code == 404
    assert client.post(job_url).status_code == 404
    assert client.get(job_url + "status/").status_code == 404


def test_staff_who_may_not_add_people_cannot_import(client):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(viewer)

    assert client.get(reverse("admin:prisoners_person_import")).status_code == 403


def test_a_researcher_sees_which_rows_need_an_editor_to_publish(researcher_client, media_root):
    html = upload(researcher_client, csv_file("p-1,Anna,,,,,,,,,,,yes,,,,")).content.decode()

    assert "<td>2</td><td>public</td><td>" + NOT_ALLOWED_TO_PUBLISH in html


def test_an_upload_never_confirmed_is_deleted_a_day_later(editor, media_root):
    data = csv_file(GOOD_ROWS[2])
    plan = cases_file_check(acting_user=editor, data=data)
    abandoned = import_job_create(data=data, file_name="old.csv", user=editor, plan=plan)

    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=2)):
        fresh = import_job_create(data=data, file_name="new.csv", user=editor, plan=plan)

    assert import_job_status(abandoned)["state"] == JobState.FAILED
    assert not (media_root / "imports" / f"{abandoned}.csv").exists()
    assert (media_root / "imports" / f"{fresh}.csv").exists()


def test_a_job_whose_uploader_left_is_not_imported(editor, media_root):
    data = csv_file(GOOD_ROWS[2])
    job_id = import_job_create(
        data=data, file_name="x.csv", user=editor, plan=cases_file_check(acting_user=editor, data=data)
    )
    editor.is_active = False
    editor.save()

    status = import_job_run(job_id=job_id)

    assert status["state"] == JobState.FAILED
    assert import_job_status(job_id)["state"] == JobState.FAILED
    assert not Person.objects.exists()


def test_the_preview_warns_of_a_new_row_whose_person_may_already_be_recorded(researcher_client, media_root):
    recorded = PersonFactory(display_name="Siarhei Tsikhanouski")
    NameVariantFactory(person=recorded, text="Sergei Tikhanovsky")
    data = csv_file("p-1,Sergey Tikhanovsky,,,,,,,,,,,,,,,", "p-2,Ihar Losik,,,,,,,,,,,,,,,")
    html = upload(researcher_client, data).content.decode()
    warning = html[html.index('id="import-likely-recorded"') :]
    assert "line 2, Sergey Tikhanovsky:" in warning
    assert reverse("admin:prisoners_person_change", args=[recorded.pk]) in warning
    assert "Ihar Losik" not in warning.split("</div>")[0]
