"""A CSV row whose person may be recorded already: the preview offers to link it, and a link adds the row to them."""

import pytest
from django.urls import reverse

from casetracker.celery import app as celery_app
from prisoners.imports import (
    IDENTIFIER_PREFIX,
    LINK_REASON,
    LINKED_PERSON_GONE,
    CasesFileRejected,
    cases_file_check,
    cases_file_import,
    import_job_status,
)
from prisoners.models import (
    ChangeProposal,
    Charge,
    ExternalIdentifier,
    Person,
    ReviewState,
    Sentence,
    StatusEvent,
)
from prisoners.roles import SYSTEM
from prisoners.services import person_delete
from sources.models import Citation
from tests.prisoners.factories import LegalArticleFactory, NameVariantFactory, PersonFactory
from tests.prisoners.test_imports import csv_file, upload

pytestmark = pytest.mark.django_db

TIKHANOVSKY = (
    "p-1,Sergey Tikhanovsky,Сергей Тихановский,,male,homel,imprisoned,29.05.2020,,,342,18y,,Wife abroad,"
    "https://news.example.org/tikhanovsky,Verdict in Homel,sentenced to 18 years"
)
LOSIK = "p-2,Ihar Losik,,1992,male,,pre_trial,2020-06,,,,,,,,,"


@pytest.fixture
def articles(db):
    return LegalArticleFactory(article="342", part="", title="Organisation of grossly disorderly actions")


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def eager_tasks():
    """The import task runs here even where a real worker listens: it could not see this test's rows."""
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = was_eager


@pytest.fixture
def tsikhanouski(db):
    """Recorded and published, under another spelling than the file's."""
    person = PersonFactory(display_name="Siarhei Tsikhanouski", gender="male")
    NameVariantFactory(person=person, text="Sergei Tikhanovsky")
    return person


def preview(client):
    response = upload(client, csv_file(TIKHANOVSKY, LOSIK))
    assert response.status_code == 200
    return response


def confirm(client, response, choices: dict, capture):
    with capture(execute=True):
        return client.post(response.context["confirm_url"], choices)


def choice_of(html: str, line: int) -> str:
    return html.split(f'id="import-link-{line}"', 1)[1].split("</fieldset>", 1)[0]


def test_the_preview_offers_a_flagged_row_a_new_person_or_the_person_recorded(
    editor_client, tsikhanouski, articles, media_root
):
    html = preview(editor_client).content.decode()

    offered = choice_of(html, 2)
    assert "line 2, Sergey Tikhanovsky:" in offered
    assert 'name="link-2" value="new"' in offered
    assert f'name="link-2" value="{tsikhanouski.pk}"' in offered
    assert "Siarhei Tsikhanouski, already recorded: add the row to them" in offered
    assert reverse("admin:prisoners_person_change", args=[tsikhanouski.pk]) in offered
    assert 'id="import-link-3"' not in html  # nobody recorded is called Losik
    # The choice is part of the form that confirms the import.
    form = html.split('id="case-import-confirm"', 1)[1].split("</form>", 1)[0]
    assert 'id="import-link-2"' in form


def test_linking_adds_the_row_to_the_person_recorded_and_creates_no_one(
    editor, editor_client, tsikhanouski, articles, media_root, eager_tasks, django_capture_on_commit_callbacks
):
    response = confirm(
        editor_client,
        preview(editor_client),
        {"link-2": str(tsikhanouski.pk)},
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    assert Person.objects.count() == 2  # Tsikhanouski, and Losik, created
    tsikhanouski.refresh_from_db()
    assert tsikhanouski.display_name == "Siarhei Tsikhanouski"  # the record's name stays
    assert tsikhanouski.region == "homel"  # what the record lacked is filled in
    assert tsikhanouski.private_notes == "Wife abroad"
    names = set(tsikhanouski.name_variants.values_list("text", flat=True))
    assert {"Sergey Tikhanovsky", "Сергей Тихановский", "Sergei Tikhanovsky"} <= names
    assert ExternalIdentifier.objects.get(value=IDENTIFIER_PREFIX + "p-1").person == tsikhanouski
    assert StatusEvent.objects.filter(person=tsikhanouski, status="detained", date="2020-05-29").exists()
    assert Charge.objects.get(defendant__person=tsikhanouski).article == articles
    assert Sentence.objects.get(defendant__person=tsikhanouski).term.code == "18y"
    assert Citation.objects.filter(object_id=tsikhanouski.pk, content_type__model="person").count() == 1
    assert tsikhanouski.total_term_code == "18y" and tsikhanouski.current_status == "imprisoned"
    # An editor's facts need no review.
    assert not StatusEvent.objects.filter(review_state=ReviewState.PENDING).exists()

    # History says who linked the row, and that it was a link.
    identifier_history = ExternalIdentifier.history.get(value=IDENTIFIER_PREFIX + "p-1")
    assert (identifier_history.history_user, identifier_history.history_change_reason) == (editor, LINK_REASON)
    detention = StatusEvent.history.get(person_id=tsikhanouski.pk, date="2020-05-29")
    assert (detention.history_user, detention.history_change_reason) == (editor, "CSV import")
    profile = tsikhanouski.history.filter(history_change_reason="CSV import").latest("history_date")
    assert profile.region == "homel" and profile.history_user == editor

    page = editor_client.get(response.url).content.decode()
    assert "Imported: 1 people created, 0 updated, 1 row added to a person already recorded." in page
    status = import_job_status(response.url.rstrip("/").rsplit("/", 1)[-1].replace("-", ""))
    assert (status["created"], status["updated"], status["linked"]) == (1, 0, 1)


def test_choosing_a_new_person_creates_one(
    editor_client, tsikhanouski, articles, media_root, eager_tasks, django_capture_on_commit_callbacks
):
    confirm(editor_client, preview(editor_client), {"link-2": "new"}, django_capture_on_commit_callbacks)

    assert Person.objects.count() == 3
    created = ExternalIdentifier.objects.get(value=IDENTIFIER_PREFIX + "p-1").person
    assert created != tsikhanouski and created.display_name == "Sergey Tikhanovsky"
    assert not tsikhanouski.status_events.exists()


def test_a_flagged_row_left_without_a_choice_is_asked_again_and_nothing_is_queued(
    editor_client, tsikhanouski, articles, media_root, django_capture_on_commit_callbacks
):
    checked = preview(editor_client)

    with django_capture_on_commit_callbacks(execute=True):
        again = editor_client.post(checked.context["confirm_url"], {})

    assert again.status_code == 200
    html = again.content.decode()
    assert 'id="import-links-missing"' in html and 'id="import-link-2"' in html
    assert Person.objects.count() == 1
    job_id = checked.context["confirm_url"].rstrip("/").rsplit("/", 1)[-1].replace("-", "")
    assert import_job_status(job_id)["state"] == "checked"


def test_a_row_can_only_be_linked_to_a_person_the_preview_offered(
    editor_client, tsikhanouski, articles, media_root, django_capture_on_commit_callbacks
):
    stranger = PersonFactory(display_name="Maria Kalesnikava")
    checked = preview(editor_client)

    with django_capture_on_commit_callbacks(execute=True):
        again = editor_client.post(checked.context["confirm_url"], {"link-2": str(stranger.pk)})

    assert again.status_code == 200 and 'id="import-links-missing"' in again.content.decode()
    assert not stranger.status_events.exists()


def test_a_researchers_link_to_a_published_person_waits_for_an_editor(researcher, tsikhanouski, articles, media_root):
    row = TIKHANOVSKY.replace(",,Wife abroad,", ",,,")
    line = cases_file_check(acting_user=researcher, data=csv_file(row)).rows[0].line

    cases_file_import(acting_user=researcher, data=csv_file(row), links={line: tsikhanouski.pk})

    detention = StatusEvent.objects.get(person=tsikhanouski, status="detained")
    assert detention.review_state == ReviewState.PENDING
    assert ChangeProposal.objects.filter(object_id=detention.pk, kind="addition").exists()
    # Readers see none of it until an Editor approves.
    assert not StatusEvent.objects.public().filter(person=tsikhanouski, status="detained").exists()
    tsikhanouski.refresh_from_db()
    assert tsikhanouski.current_status == ""
    # The region the record lacked is a change a reader would see: held as a proposal too.
    assert tsikhanouski.region == ""
    assert ChangeProposal.objects.filter(object_id=tsikhanouski.pk, kind="change").exists()


def test_importing_a_linked_row_again_updates_the_same_person_and_keeps_their_name(tsikhanouski, articles):
    cases_file_import(acting_user=SYSTEM, data=csv_file(TIKHANOVSKY), links={2: tsikhanouski.pk})

    plan = cases_file_import(acting_user=SYSTEM, data=csv_file(TIKHANOVSKY.replace(",18y,", ",15y,")))

    assert (plan.to_create, plan.to_update, plan.to_link) == (0, 1, 0)
    assert Person.objects.count() == 1
    tsikhanouski.refresh_from_db()
    assert tsikhanouski.display_name == "Siarhei Tsikhanouski"
    assert tsikhanouski.total_term_code == "15y"


def test_a_link_to_someone_deleted_since_the_preview_refuses_the_file(tsikhanouski, articles, editor):
    person_delete(acting_user=editor, person=tsikhanouski)

    with pytest.raises(CasesFileRejected) as rejected:
        cases_file_import(acting_user=SYSTEM, data=csv_file(TIKHANOVSKY), links={2: tsikhanouski.pk})

    assert [(e.line, e.column, e.reason) for e in rejected.value.plan.errors] == [(2, "name", LINKED_PERSON_GONE)]
    assert not ExternalIdentifier.objects.exists()
