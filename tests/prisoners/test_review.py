"""Review: a Researcher's changes to a published person wait for an Editor; readers see only reviewed facts."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from prisoners.models import (
    ChangeProposal,
    Charge,
    Person,
    ProposalKind,
    ProposalState,
    PublicationState,
    Release,
    ReleaseType,
    ReviewState,
    Status,
    StatusEvent,
)
from prisoners.roles import SYSTEM
from prisoners.services import (
    ALREADY_DECIDED,
    NOT_CITED,
    person_publish,
    person_status_refresh,
    proposal_approve,
    proposal_reject,
    record_save,
)
from sources.models import Citation
from tests.prisoners import factories as pf
from tests.sources.factories import CitationFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    person = pf.PersonFactory(display_name="Maria Kalesnikava", occupation="musician")
    pf.StatusEventFactory(person=person, date="2020-09-07", status=Status.DETAINED)
    return person_status_refresh(person=person, acting_user=SYSTEM)


def public_profile(client, person) -> str:
    return client.get(person.get_absolute_url()).content.decode()


def test_a_researchers_new_fact_on_a_published_person_waits_and_is_invisible(client, researcher, person):
    release = record_save(
        acting_user=researcher,
        obj=Release(person=person, date="2025-12-13", release_type=ReleaseType.PARDON, note="Pardoned in December"),
    )
    assert release.review_state == ReviewState.PENDING
    assert not Release.objects.public().filter(pk=release.pk).exists()
    assert 'id="release"' not in public_profile(client, person)
    assert not Person.objects.public().released_by(ReleaseType.PARDON).exists()
    # The status readers see is derived from reviewed facts only.
    person.refresh_from_db()
    assert person.current_status == Status.DETAINED
    proposal = ChangeProposal.objects.waiting().get()
    assert (proposal.kind, proposal.target, proposal.person, proposal.proposed_by) == (
        ProposalKind.ADDITION,
        release,
        person,
        researcher,
    )


def test_an_editor_approves_it_and_readers_see_it(client, researcher, editor, person):
    release = record_save(
        acting_user=researcher,
        obj=Release(person=person, date="2025-12-13", release_type=ReleaseType.PARDON, note="Pardoned in December"),
    )
    proposal_approve(acting_user=editor, proposal=ChangeProposal.objects.get())
    release.refresh_from_db()
    person.refresh_from_db()
    assert release.review_state == ReviewState.APPROVED
    assert 'id="release"' in public_profile(client, person)
    assert person.current_status == Status.RELEASED
    assert ChangeProposal.objects.get().state == ProposalState.APPROVED
    latest = release.history.first()
    assert latest.history_user == editor and "researcher" in latest.history_change_reason


def test_a_rejected_new_fact_is_deleted_and_kept_in_history(researcher, editor, person):
    event = record_save(acting_user=researcher, obj=StatusEvent(person=person, date="2021", status=Status.CONVICTED))
    proposal_reject(acting_user=editor, proposal=ChangeProposal.objects.get())
    assert not StatusEvent.objects.filter(pk=event.pk).exists()
    assert StatusEvent.history.filter(id=event.pk, history_type="-").exists()
    assert ChangeProposal.objects.get().state == ProposalState.REJECTED


def test_a_researchers_edit_of_a_published_person_is_held_and_the_old_value_stays(client, researcher, person):
    person.occupation = "flautist"
    person.private_notes = "lawyer: call on Mondays"
    record_save(acting_user=researcher, obj=person, reason="from the article")
    stored = Person.objects.get(pk=person.pk)
    # What readers see waits; what only staff see is written at once.
    assert (stored.occupation, stored.private_notes) == ("musician", "lawyer: call on Mondays")
    assert "flautist" not in public_profile(client, person)
    proposal = ChangeProposal.objects.waiting().get()
    assert proposal.kind == ProposalKind.CHANGE
    assert proposal.changes == {"occupation": ["musician", "flautist"]}
    [row] = proposal.diff()
    assert (row.stored, row.proposed, row.changed_since) == ("musician", "flautist", False)


def test_an_approved_edit_is_applied_and_a_rejected_one_dropped(researcher, editor, person):
    person.occupation = "flautist"
    record_save(acting_user=researcher, obj=person)
    first = ChangeProposal.objects.get()
    fresh = Person.objects.get(pk=person.pk)
    fresh.region = "minsk"
    record_save(acting_user=researcher, obj=fresh)
    second = ChangeProposal.objects.exclude(pk=first.pk).get()

    proposal_approve(acting_user=editor, proposal=first)
    proposal_reject(acting_user=editor, proposal=second)

    stored = Person.objects.get(pk=person.pk)
    assert (stored.occupation, stored.region) == ("flautist", "")
    assert stored.history.first().history_user == editor


def test_the_diff_says_when_the_record_changed_since(researcher, editor, person):
    person.occupation = "flautist"
    record_save(acting_user=researcher, obj=person)
    fresh = Person.objects.get(pk=person.pk)
    fresh.occupation = "singer"
    record_save(acting_user=editor, obj=fresh)
    [row] = ChangeProposal.objects.get().diff()
    assert (row.stored, row.proposed, row.changed_since) == ("singer", "flautist", True)


def test_an_editors_own_changes_are_reviewed_at_once(client, editor, person):
    release = record_save(acting_user=editor, obj=Release(person=person, date="2025-12-13", release_type="pardon"))
    person.occupation = "flautist"
    record_save(acting_user=editor, obj=person)
    assert release.review_state == ReviewState.APPROVED
    assert Person.objects.get(pk=person.pk).occupation == "flautist"
    assert not ChangeProposal.objects.exists()


def test_on_a_draft_a_researcher_writes_directly(researcher):
    draft = pf.PersonFactory(publication_state=PublicationState.DRAFT)
    event = record_save(acting_user=researcher, obj=StatusEvent(person=draft, date="2021", status=Status.DETAINED))
    draft.occupation = "teacher"
    record_save(acting_user=researcher, obj=draft)
    assert event.review_state == ReviewState.APPROVED
    assert Person.objects.get(pk=draft.pk).occupation == "teacher"
    assert not ChangeProposal.objects.exists()


def test_moving_a_fact_from_a_draft_onto_a_published_person_waits(researcher, person):
    draft = pf.PersonFactory(publication_state=PublicationState.DRAFT)
    event = pf.StatusEventFactory(person=draft, status=Status.CONVICTED, note="moved fact")
    event.person = person
    record_save(acting_user=researcher, obj=event)
    assert StatusEvent.objects.get(pk=event.pk).review_state == ReviewState.PENDING
    assert not StatusEvent.objects.public().filter(pk=event.pk).exists()


def test_a_researchers_new_citation_on_a_public_fact_waits(client, researcher, person):
    event = person.status_events.get()
    citation = record_save(
        acting_user=researcher,
        obj=Citation(source=SourceFactory(title="Unreviewed outlet"), content_object=event, quote="detained"),
    )
    assert citation.review_state == ReviewState.PENDING
    assert not Citation.objects.public().filter(pk=citation.pk).exists()
    assert "Unreviewed outlet" not in public_profile(client, person)


def test_a_charge_under_a_waiting_case_role_is_not_public_even_if_approved(researcher, person):
    role = record_save(acting_user=researcher, obj=pf.DefendantFactory.build(person=person, case=pf.CaseFactory()))
    charge = pf.ChargeFactory(defendant=role)  # written directly, approved
    assert role.review_state == ReviewState.PENDING
    assert charge.review_state == ReviewState.APPROVED
    assert not Charge.objects.public().filter(pk=charge.pk).exists()


def test_hiding_a_public_name_never_waits(researcher, person):
    variant = pf.NameVariantFactory(person=person, text="Masha K.")
    variant.is_private = True
    record_save(acting_user=researcher, obj=variant)
    variant.refresh_from_db()
    assert variant.is_private and not ChangeProposal.objects.exists()


def test_only_editors_decide(researcher, person):
    person.occupation = "flautist"
    record_save(acting_user=researcher, obj=person)
    with pytest.raises(PermissionDenied):
        proposal_approve(acting_user=researcher, proposal=ChangeProposal.objects.get())
    with pytest.raises(PermissionDenied):
        proposal_reject(acting_user=researcher, proposal=ChangeProposal.objects.get())


def test_a_decided_change_cannot_be_decided_again(researcher, editor, person):
    person.occupation = "flautist"
    record_save(acting_user=researcher, obj=person)
    proposal = ChangeProposal.objects.get()
    proposal_approve(acting_user=editor, proposal=proposal)
    with pytest.raises(ValueError, match=ALREADY_DECIDED):
        proposal_reject(acting_user=editor, proposal=proposal)


def test_a_person_is_published_only_once_something_about_them_is_cited(editor):
    draft = pf.PersonFactory(publication_state=PublicationState.DRAFT)
    with pytest.raises(ValidationError, match=NOT_CITED):
        person_publish(acting_user=editor, person=draft)
    # A private citation, or one still waiting for review, does not count.
    CitationFactory(content_object=draft, is_private=True)
    CitationFactory(content_object=pf.StatusEventFactory(person=draft), review_state=ReviewState.PENDING)
    with pytest.raises(ValidationError, match=NOT_CITED):
        person_publish(acting_user=editor, person=draft)
    CitationFactory(content_object=pf.StatusEventFactory(person=draft))
    assert person_publish(acting_user=editor, person=draft).is_public()
