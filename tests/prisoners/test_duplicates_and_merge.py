"""Researchers are warned of likely duplicates; editors merge them without losing anything."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from prisoners.models import Person, Status
from prisoners.services import likely_duplicate_pairs, person_likely_duplicates, person_merge, person_status_refresh
from sources.models import Citation
from tests.admin.test_person_admin import form_data
from tests.prisoners import factories as pf
from tests.sources.factories import CitationFactory, DocumentFactory

pytestmark = pytest.mark.django_db
ADD_URL = reverse("admin:prisoners_person_add")
CHANGELIST_URL = reverse("admin:prisoners_person_changelist")


def test_saving_a_person_who_is_already_recorded_warns_with_score_and_link(researcher_client):
    existing = pf.PersonFactory(display_name="Siarhei Tsikhanouski")
    # Asked before saving (tests/admin/test_person_admin.py); told "a different person", it still warns after.
    data = form_data(researcher_client, ADD_URL, display_name="Sergei Tikhanovsky", not_a_duplicate="on")
    response = researcher_client.post(ADD_URL, data, follow=True)
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1
    assert "Siarhei Tsikhanouski" in warnings[0] and "score: 100" in warnings[0]
    assert reverse("admin:prisoners_person_change", args=[existing.pk]) in warnings[0]


def test_no_warning_for_a_new_name(researcher_client):
    pf.PersonFactory(display_name="Siarhei Tsikhanouski")
    response = researcher_client.post(
        ADD_URL, form_data(researcher_client, ADD_URL, display_name="Sviatlana Tsikhanouskaya"), follow=True
    )
    assert not [m for m in response.context["messages"] if m.level_tag == "warning"]


def test_likely_duplicates_of_a_person():
    person = pf.PersonFactory(display_name="Ihar Karnei")
    twin = pf.PersonFactory(display_name="Igor Kornei")
    pf.PersonFactory(display_name="Igor Karpenko")
    assert [d.person for d in person_likely_duplicates(person=person)] == [twin]


def test_find_duplicates_lists_likely_pairs():
    first = pf.PersonFactory(display_name="Maryia Kalesnikava")
    second = pf.PersonFactory(display_name="Мария Колесникова")
    pf.PersonFactory(display_name="Viktar Babaryka")
    assert [(p.first, p.second) for p in likely_duplicate_pairs()] == [(first, second)]
    out = io.StringIO()
    call_command("find_duplicates", stdout=out)
    assert "Maryia Kalesnikava" in out.getvalue() and "1 likely duplicate pair(s)" in out.getvalue()


def test_merge_moves_every_fact_to_the_kept_person_and_keeps_history(editor):
    kept = pf.PersonFactory(display_name="Siarhei Tsikhanouski")
    merged = pf.PersonFactory(display_name="Sergei Tikhanovsky", private_notes="met his lawyer")
    pf.StatusEventFactory(person=kept, date="2020-05", status=Status.DETAINED)
    event = pf.StatusEventFactory(person=merged, date="2025-06-21", status=Status.RELEASED)
    release = pf.ReleaseFactory(person=merged)
    custody = pf.CustodyPeriodFactory(person=merged)
    shared_case = pf.CaseFactory()
    pf.DefendantFactory(person=kept, case=shared_case)
    merged_role = pf.DefendantFactory(person=merged, case=shared_case)
    sentence = pf.SentenceFactory(defendant=merged_role, term_years=18)
    other_role = pf.DefendantFactory(person=merged)
    identifier = pf.ExternalIdentifierFactory(person=merged)
    person_citation = CitationFactory(content_object=merged)
    document = DocumentFactory()
    document.people.add(merged)
    merged_pk = merged.pk

    person_merge(acting_user=editor, kept=kept, merged=merged)

    gone = Person.objects.get(pk=merged_pk)
    assert gone.merged_into == kept and gone.deleted_at is not None
    assert not Person.objects.public().filter(pk=merged_pk).exists()
    for fact in (event, release, custody, identifier):
        fact.refresh_from_db()
        assert fact.person == kept
    sentence.refresh_from_db()
    assert sentence.defendant.person == kept and sentence.defendant.case == shared_case
    other_role.refresh_from_db()
    assert other_role.person == kept
    assert Citation.objects.get(pk=person_citation.pk).content_object == kept
    assert list(document.people.all()) == [kept]
    assert "Sergei Tikhanovsky" in kept.name_variants.values_list("text", flat=True)
    kept.refresh_from_db()
    assert kept.current_status == Status.RELEASED and "met his lawyer" in kept.private_notes
    assert kept.history.filter(history_change_reason__startswith="merged with Sergei Tikhanovsky").exists()
    assert Person.history.filter(id=merged_pk, history_change_reason=f"merged into person {kept.pk}").exists()
    assert event.history.first().history_change_reason == f"merged from person {merged_pk}"


def test_merge_is_all_or_nothing(editor, monkeypatch):
    kept, merged = pf.PersonFactory(), pf.PersonFactory()
    pf.StatusEventFactory(person=merged)
    merged_pk = merged.pk

    def fail(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("prisoners.services.person_status_refresh", fail)
    with pytest.raises(RuntimeError):
        person_merge(acting_user=editor, kept=kept, merged=merged)
    assert Person.objects.get(pk=merged_pk).deleted_at is None
    assert Person.objects.get(pk=merged_pk).status_events.count() == 1


def test_a_researcher_may_not_merge(researcher, researcher_client):
    kept, merged = pf.PersonFactory(), pf.PersonFactory()
    with pytest.raises(PermissionDenied):
        person_merge(acting_user=researcher, kept=kept, merged=merged)
    assert 'value="merge"' not in researcher_client.get(CHANGELIST_URL).content.decode()


def test_an_editor_merges_from_the_list_after_choosing_the_record_to_keep(editor_client):
    kept = pf.PersonFactory(display_name="Ihar Karnei")
    merged = pf.PersonFactory(display_name="Igor Kornei")
    selected = {"action": "merge", "_selected_action": [kept.pk, merged.pk]}
    confirmation = editor_client.post(CHANGELIST_URL, selected)
    assert "Keep which record?" in confirmation.content.decode()
    editor_client.post(CHANGELIST_URL, {**selected, "kept": kept.pk})
    assert list(Person.objects.alive()) == [kept]
    person_status_refresh(person=kept)
