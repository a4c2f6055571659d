"""One write path: every change checks the acting user's permission and is kept in history."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.management.sql import emit_post_migrate_signal

from prisoners import roles
from prisoners.models import NameVariant, Person, PublicationState, Status
from prisoners.roles import SYSTEM
from prisoners.services import (
    NOT_ALLOWED_TO_PUBLISH,
    person_delete,
    person_merge,
    person_merge_conflicts,
    person_restore,
    record_delete,
    record_restore_version,
    record_save,
)
from sources.models import Citation, Document, DocumentKind
from tests.prisoners import factories as pf
from tests.sources.factories import CitationFactory, DocumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(db):
    user = User.objects.create_user(username="viewer", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


def test_a_researcher_cannot_publish_a_person_through_any_save(researcher):
    person = pf.PersonFactory(publication_state=PublicationState.DRAFT)
    person.publication_state = PublicationState.PUBLISHED
    with pytest.raises(PermissionDenied, match=NOT_ALLOWED_TO_PUBLISH):
        record_save(acting_user=researcher, obj=person, reason="try")
    with pytest.raises(PermissionDenied):
        record_save(acting_user=researcher, obj=Person(display_name="New", publication_state="published"))
    assert not Person.objects.public().exists()


def test_a_researcher_may_hide_but_not_reveal_a_name_a_citation_or_a_document(researcher):
    person = pf.PersonFactory()
    variant = pf.NameVariantFactory(person=person, text="Family Name")
    citation = CitationFactory(content_object=person)
    document = DocumentFactory(is_public=False)
    document.people.add(person)

    for obj, field, hidden in ((variant, "is_private", True), (citation, "is_private", True)):
        setattr(obj, field, hidden)
        record_save(acting_user=researcher, obj=obj, reason="hide")
        setattr(obj, field, not hidden)
        with pytest.raises(PermissionDenied):
            record_save(acting_user=researcher, obj=obj, reason="reveal")
    document.is_public = True
    with pytest.raises(PermissionDenied):
        record_save(acting_user=researcher, obj=document, reason="reveal")
    with pytest.raises(PermissionDenied):
        record_save(acting_user=researcher, obj=DocumentFactory.build(is_public=True), reason="new public")
    assert not NameVariant.objects.public().filter(pk=variant.pk).exists()
    assert not Citation.objects.public().filter(pk=citation.pk).exists()
    assert not Document.objects.public().exists()


def test_an_editor_reveals_what_a_researcher_may_not(editor):
    person = pf.PersonFactory()
    variant = pf.NameVariantFactory(person=person, text="Family Name", is_private=True)
    variant.is_private = False
    record_save(acting_user=editor, obj=variant, reason="reveal")
    assert NameVariant.objects.public().filter(pk=variant.pk).exists()


def test_view_only_staff_cannot_write_at_all(viewer):
    with pytest.raises(PermissionDenied):
        record_save(acting_user=viewer, obj=Person(display_name="Someone"), reason="try")
    event = pf.StatusEventFactory()
    with pytest.raises(PermissionDenied):
        record_delete(acting_user=viewer, obj=event, reason="try")


def test_history_keeps_the_user_and_the_reason(researcher):
    event = pf.StatusEventFactory(person=pf.PersonFactory(publication_state=PublicationState.DRAFT))
    event.note = "corrected date"
    record_save(acting_user=researcher, obj=event, reason="checked against the verdict")
    latest = event.history.first()
    assert (latest.history_user, latest.history_change_reason) == (researcher, "checked against the verdict")


def test_moving_a_fact_to_another_person_refreshes_both(researcher):
    draft = PublicationState.DRAFT  # on published people a Researcher's move waits for review
    first, second = pf.PersonFactory(publication_state=draft), pf.PersonFactory(publication_state=draft)
    event = pf.StatusEventFactory(person=first, status=Status.DETAINED)
    record_save(acting_user=researcher, obj=event, reason="entered")
    first.refresh_from_db()
    assert first.current_status == Status.DETAINED
    event.person = second
    record_save(acting_user=researcher, obj=event, reason="wrong person")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.current_status, second.current_status) == ("", Status.DETAINED)


def test_a_deleted_person_is_gone_from_public_and_restored_with_everything(editor, researcher):
    person = pf.PersonFactory()
    event = pf.StatusEventFactory(person=person)
    citation = CitationFactory(content_object=event)
    with pytest.raises(PermissionDenied):
        record_delete(acting_user=researcher, obj=person, reason="try")

    record_delete(acting_user=editor, obj=person, reason="duplicate entry")
    person.refresh_from_db()
    assert person.deleted_at is not None
    assert not Person.objects.public().filter(pk=person.pk).exists()
    assert not Citation.objects.public().filter(pk=citation.pk).exists()

    with pytest.raises(PermissionDenied):
        person_restore(acting_user=researcher, person=person)
    person_restore(acting_user=editor, person=person, reason="not a duplicate after all")
    assert Person.objects.public().filter(pk=person.pk).exists()
    assert Citation.objects.public().filter(pk=citation.pk).exists()
    assert person.history.first().history_change_reason == "not a duplicate after all"


def test_an_editor_restores_an_earlier_version_through_the_services(editor, researcher):
    person = pf.PersonFactory(occupation="teacher")
    record_save(acting_user=editor, obj=person, reason="first")
    old_version = person.history.first().history_id
    person.occupation = "typo"
    record_save(acting_user=researcher, obj=person, reason="second")

    with pytest.raises(PermissionDenied):
        record_restore_version(acting_user=researcher, obj=person, history_id=old_version)
    record_restore_version(acting_user=editor, obj=person, history_id=old_version)
    person.refresh_from_db()
    assert person.occupation == "teacher"
    assert person.history.first().history_user == editor


def test_the_history_form_never_writes_for_anyone(client, editor):
    superuser = User.objects.create_superuser("root", password="x")
    person = pf.PersonFactory(publication_state=PublicationState.PUBLISHED)
    record_save(acting_user=SYSTEM, obj=person, reason="published")
    version = person.history.first().history_id
    person_delete(acting_user=editor, person=person, reason="removed")
    url = f"/admin/prisoners/person/{person.pk}/history/{version}/"
    for user in (editor, superuser):
        client.force_login(user)
        assert client.get(url).status_code == 200
        response = client.post(url, {"display_name": person.display_name, "publication_state": "published"})
        assert response.status_code == 403
        person.refresh_from_db()
        assert person.deleted_at is not None


def test_roles_are_applied_again_on_every_migrate():
    researcher = Group.objects.get(name=roles.RESEARCHER)
    researcher.permissions.clear()
    Group.objects.filter(name=roles.EDITOR).delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    codenames = set(Group.objects.get(name=roles.RESEARCHER).permissions.values_list("codename", flat=True))
    assert {"add_person", "change_document", "view_digest", "add_citation"} <= codenames
    assert not {"publish_person", "delete_person", "publish_document"} & codenames
    editor = set(Group.objects.get(name=roles.EDITOR).permissions.values_list("codename", flat=True))
    assert {"publish_person", "publish_citation", "publish_document", "delete_person"} <= editor
    assert not {"add_user", "change_group"} & editor
    assert Group.objects.get(name=roles.ADMIN).permissions.filter(codename="change_user").exists()


def test_a_merge_keeps_every_value_and_citation(editor, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    kept = pf.PersonFactory(display_name="Siarhei Tsikhanouski", occupation="blogger", biography="")
    kept.photo.save("kept.png", ContentFile(b"kept photo"), save=True)
    kept_photo = kept.photo.name
    merged = pf.PersonFactory(
        display_name="Sergei Tikhanovsky", occupation="businessman", biography="Born in Homel.", birth_date="1978"
    )
    merged.photo.save("merged.png", ContentFile(b"merged photo"), save=True)
    shared_spelling = pf.NameVariantFactory(person=merged, text="Siarhei Tsikhanouski")
    variant_citation = CitationFactory(content_object=shared_spelling)
    assert {c.field for c in person_merge_conflicts(kept=kept, merged=merged)} == {
        "display_name",
        "name_latin",
        "occupation",
        "photo",
    } - ({"name_latin"} if not kept.name_latin else set())

    person_merge(acting_user=editor, kept=kept, merged=merged, take=["occupation"])
    kept.refresh_from_db()
    assert (kept.occupation, kept.biography, kept.birth_date) == ("businessman", "Born in Homel.", "1978")
    assert "blogger" in kept.private_notes
    assert "Sergei Tikhanovsky" in kept.name_variants.values_list("text", flat=True)
    variant_citation.refresh_from_db()
    assert variant_citation.content_object.person == kept
    assert kept.photo.name == kept_photo
    left_over = Document.objects.get(kind=DocumentKind.PHOTO)
    assert left_over.file.name == merged.photo.name and not left_over.is_public
    assert list(left_over.people.all()) == [kept]
