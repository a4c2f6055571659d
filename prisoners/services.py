"""Changes of state: the one write path for records, status derivation, publication, merging.

Every change of a research record goes through record_save() / record_delete() or a service
built on them: each takes `acting_user`, checks the permission, writes history with that
user and a reason, keeps the people it touches up to date, and moves their "last public
change" only when a reader can see the difference. The admin, the intake, the CSV import,
the demo loader and tasks all call these; none of them saves a record itself.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from casetracker.dates import DateBounds

from . import custody, identity, roles
from .models import (
    EXPORT_DATE_COLUMNS,
    RECOGNITION_STATUSES,
    ChangeProposal,
    CustodySpell,
    Defendant,
    Digest,
    DigestKind,
    ExpectedEnd,
    NameKind,
    NameVariant,
    Person,
    ProposalKind,
    ProposalState,
    PublicationState,
    PublicExit,
    Release,
    ReleaseGroup,
    Reviewed,
    ReviewState,
    Status,
    StatusEvent,
    export_date_values,
    from_stored_form,
    stored_form,
)

RELEASE_STATUSES = frozenset({Status.RELEASED})
# Name matches at or above this score are shown to researchers as likely duplicates.
DUPLICATE_THRESHOLD = 95
NOT_ALLOWED = "You do not have permission to make this change."
NOT_ALLOWED_TO_PUBLISH = "Only editors may publish or withdraw people, or make a name, citation or document public."
NOT_ALLOWED_TO_REMOVE = "Only editors may delete, restore or merge people."
NOT_ALLOWED_TO_MERGE = "Only editors may merge people."
CANNOT_MERGE_WITH_ITSELF = "A person cannot be merged with itself."
NOT_DELETED = "This person is not deleted."
VERSION_OF_ANOTHER_RECORD = "That version belongs to another record."
NOT_ALLOWED_TO_REVIEW = "Only editors may approve or reject changes waiting for review."
ALREADY_DECIDED = "This change has already been approved or rejected."
RECORD_GONE = "The record this change was for no longer exists; it can only be rejected."
NOT_CITED = "A person can be published only once at least one fact about them is cited to a source."

# Fields no reader sees: a Researcher's change to them is written at once, even on a published person.
UNREVIEWED_FIELDS = frozenset({"private_notes", "internal_notes", "text", "updated_at", "normalized", "review_state"})

# What person_status_refresh() derives and stores on the person row.
PERSON_STATUS_FIELDS = (
    "current_status",
    "current_status_since",
    "is_recognised",
    "custody_started_on",
    "released_on",
    "total_term_days",
    "total_term_code",
    "expected_end_earliest",
    "expected_end_latest",
    *EXPORT_DATE_COLUMNS,
)
# Written only by person_status_refresh() and the delete/restore/merge services.
PERSON_DERIVED_FIELDS = frozenset({"id", *PERSON_STATUS_FIELDS, "public_updated_at", "deleted_at", "merged_into"})
CUSTODY_SPELL_FIELDS = tuple(field.name for field in dataclasses.fields(custody.Spell))
# The facts a person's derived status, term and sort keys are computed from.
STATUS_MODELS = frozenset({"prisoners.statusevent", "prisoners.release", "prisoners.sentence", "prisoners.defendant"})
# Fields a reader never sees: changing only these is not a public change.
PRIVATE_PERSON_FIELDS = frozenset({"private_notes", "updated_at"})
# The field that decides visibility per model, and which value is the private (safe) one.
# Moving toward private is open to researchers (hiding a leaked contact must be quick);
# moving away from it needs the model's publish permission (roles.PUBLISH_PERMISSIONS).
VISIBILITY_FIELDS = {
    "prisoners.namevariant": ("is_private", True),
    "sources.citation": ("is_private", True),
    "sources.document": ("is_public", False),
}
# A new name or citation may be public at once, like any new fact on a published record; a
# document is restricted until an editor makes it public, whoever uploads it.
STARTS_PRIVATE = frozenset({"sources.document"})


def _label(model_or_obj) -> str:
    return model_or_obj._meta.label_lower


def _require(user, permission: str, message: str = NOT_ALLOWED) -> None:
    if user is None or not user.has_perm(permission):
        raise PermissionDenied(message)


def _permission(obj: models.Model, action: str) -> str:
    """The permission for `action` on `obj`; an m2m link row counts as a change of its owner."""
    opts = obj._meta
    if opts.auto_created:  # e.g. Document.people.through: changing the document's people
        owner = next(f.related_model for f in opts.fields if f.is_relation and f.related_model is not Person)
        return f"{owner._meta.app_label}.change_{owner._meta.model_name}"
    return f"{opts.app_label}.{action}_{opts.model_name}"


def _with_history(obj: models.Model, acting_user, reason: str) -> None:
    if getattr(acting_user, "pk", None) is not None:
        obj._history_user = acting_user
    obj._change_reason = reason or None


def person_ids_of(obj: models.Model) -> set[int]:
    """The people a record is about: those whose pages it can appear on."""
    if obj is None:
        return set()
    if isinstance(obj, Person):
        return {obj.pk} if obj.pk else set()
    queryset = type(obj)._default_manager.get_queryset()
    path = getattr(queryset, "person_field", None)
    if path:
        target = obj
        for part in path.split("__")[:-1]:
            target = getattr(target, part, None)
        person_id = getattr(target, f"{path.split('__')[-1]}_id", None)
        return {person_id} if person_id else set()
    from sources.models import Citation, Document

    if isinstance(obj, Citation):
        return person_ids_of(obj.content_object)
    if isinstance(obj, Document):
        return set(obj.people.values_list("pk", flat=True)) if obj.pk else set()
    if obj._meta.auto_created:
        return {getattr(obj, f.attname) for f in obj._meta.fields if f.is_relation and f.related_model is Person}
    if isinstance(obj, ReleaseGroup):
        return set(obj.releases.values_list("person_id", flat=True))
    if obj._meta.label_lower == "prisoners.case":
        return set(Defendant.objects.filter(case=obj).values_list("person_id", flat=True))
    return set()


def _is_public(obj: models.Model) -> bool:
    """Whether the record as stored now is on a public surface, by its model's public()."""
    if obj is None or obj.pk is None:
        return False
    if _label(obj) == "sources.citation":
        # Citation.public() is the same rule, spelled for querysets: this is its one-row form.
        return not obj.is_private and _is_public(obj.content_object)
    public = getattr(type(obj)._default_manager, "public", None)
    if public is not None:
        return public().filter(pk=obj.pk).exists()
    return bool(person_ids_of(obj) & set(Person.objects.public().values_list("pk", flat=True)))


def _changed_fields(old: models.Model | None, obj: models.Model) -> set[str]:
    if old is None:
        return {f.name for f in obj._meta.concrete_fields}
    return {f.name for f in obj._meta.concrete_fields if getattr(old, f.attname) != getattr(obj, f.attname)}


def _check_visibility(acting_user, old: models.Model | None, obj: models.Model) -> None:
    """Whatever makes something public needs the publish permission (Editors)."""
    label = _label(obj)
    if label == "prisoners.person":
        was = old.publication_state if old else PublicationState.DRAFT
        if obj.publication_state != was:
            _require(acting_user, roles.PUBLISH_PERMISSIONS[label], NOT_ALLOWED_TO_PUBLISH)
            if obj.publication_state == PublicationState.PUBLISHED and not person_is_cited(obj):
                raise ValidationError(NOT_CITED, code="not_cited")
        return
    if label in VISIBILITY_FIELDS:
        field, private_value = VISIBILITY_FIELDS[label]
        if old is None and label not in STARTS_PRIVATE:
            return
        was = getattr(old, field) if old else private_value
        if was == private_value and getattr(obj, field) != private_value:
            _require(acting_user, roles.PUBLISH_PERMISSIONS[label], NOT_ALLOWED_TO_PUBLISH)


_deferred_refresh: contextvars.ContextVar[set[int] | None] = contextvars.ContextVar("deferred_refresh", default=None)


@contextlib.contextmanager
def status_refresh_deferred(*, acting_user):
    """Refresh each touched person's derived status once, at the end, instead of after every fact.

    For loaders that write many facts of the same people in one transaction (the demo).
    """
    pending: set[int] = set()
    token = _deferred_refresh.set(pending)
    try:
        yield
    finally:
        _deferred_refresh.reset(token)
    for person in Person.objects.filter(pk__in=pending):
        person_status_refresh(person=person, acting_user=acting_user)


def _documents_of(obj: models.Model) -> list:
    """The documents whose publicity a change of `obj` can alter: itself, or the one a link row belongs to."""
    if _label(obj) == "sources.document":
        return [obj]
    if obj._meta.auto_created and hasattr(obj, "document"):
        return [obj.document]
    return []


@contextlib.contextmanager
def _no_document_made_public(acting_user, obj: models.Model):
    """A document that was not public and is afterwards needs the publish permission, however it came about.

    Its flag is guarded by _check_visibility(); this covers the rest: removing the one unpublished
    person from a document marked public makes it public as surely as ticking the box, and so
    does replacing the file of a public document.
    """
    documents = _documents_of(obj)
    if not documents or acting_user.has_perm(roles.PUBLISH_PERMISSIONS["sources.document"]):
        yield
        return
    before = {document.pk: (_is_public(document), _stored_file(document)) for document in documents if document.pk}
    yield
    for document in documents:
        was_public, old_file = before.get(document.pk, (False, None))
        now_public = _is_public(document)
        if (now_public and not was_public) or (now_public and old_file is not None and old_file != document.file.name):
            raise PermissionDenied(NOT_ALLOWED_TO_PUBLISH)


def _stored_file(document) -> str | None:
    return type(document)._default_manager.filter(pk=document.pk).values_list("file", flat=True).first()


def _people_touched(person_ids: Iterable[int], *, public_change: bool, refresh: bool, acting_user) -> None:
    person_ids = set(person_ids)
    if not person_ids:
        return
    people = Person.objects.filter(pk__in=person_ids)
    pending = _deferred_refresh.get()
    if refresh and pending is not None:
        pending |= person_ids
    elif refresh:
        for person in people:
            person_status_refresh(person=person, acting_user=acting_user)
    if public_change:
        people.public().update(public_updated_at=timezone.now())


def _public_left(person: Person, was_public: bool) -> None:
    """Note a person leaving public view: the lists that named them changed (freshness.public_state)."""
    if was_public and not person.is_public():
        PublicExit.stamp()


def _user_or_none(acting_user):
    return acting_user if getattr(acting_user, "pk", None) is not None else None


def is_held_for_review(obj: models.Model) -> bool:
    """Whether the last record_save() of `obj` left (part of) it waiting for an Editor."""
    return getattr(obj, "_held_for_review", None) is not None


def _review_needed(acting_user, old, obj, changed: set[str], was_public: bool) -> str | None:
    """ADDITION, CHANGE or None: what of this change must wait for an Editor before readers see it.

    Editors' changes never wait. A Researcher's change waits when readers would see it: a
    new fact (or a fact moved) onto a published person is kept PENDING; new values for a
    record readers see now are held as a proposal, the record keeping its old ones. Hiding
    something (a visibility flag set to private) never waits: pulling a leaked contact must be quick.
    """
    if acting_user.has_perm(roles.REVIEW) or obj._meta.auto_created or obj._meta.app_label not in roles.RECORD_APPS:
        return None
    if isinstance(obj, Reviewed) and not obj.is_reviewed:
        return None  # already waiting; the Editor will see its latest values
    if was_public:
        visibility = VISIBILITY_FIELDS.get(_label(obj))
        hides = visibility is not None and getattr(obj, visibility[0]) == visibility[1] != getattr(old, visibility[0])
        return ProposalKind.CHANGE if changed - UNREVIEWED_FIELDS and not hides else None
    if isinstance(obj, Reviewed):
        arriving = person_ids_of(obj) - person_ids_of(old)
        if Person.objects.public().filter(pk__in=arriving).exists():
            return ProposalKind.ADDITION
    return None


def _proposal_create(acting_user, obj: models.Model, kind: str, changes: dict, reason: str) -> ChangeProposal:
    people = person_ids_of(obj)
    return ChangeProposal.objects.create(
        kind=kind,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        person_id=min(people) if people else None,
        changes=changes,
        reason=(reason or "")[:300],
        proposed_by=_user_or_none(acting_user),
    )


def _change_propose(acting_user, old, obj: models.Model, held: set[str], reason: str) -> ChangeProposal:
    """Keep the new values of `held` fields in a proposal and put the old ones back on `obj`."""
    changes = {}
    for name in sorted(held):
        field = obj._meta.get_field(name)
        if isinstance(field, models.FileField):
            field.pre_save(obj, add=False)  # an upload is stored now, so the proposal can name it
        changes[name] = [stored_form(old, field), stored_form(obj, field)]
        setattr(obj, field.attname, getattr(old, field.attname))
    return _proposal_create(acting_user, obj, ProposalKind.CHANGE, changes, reason)


def _decided(proposal: ChangeProposal, acting_user, state: str) -> ChangeProposal:
    proposal.state = state
    proposal.decided_by = _user_or_none(acting_user)
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["state", "decided_by", "decided_at"])
    return proposal


def _locked_waiting(acting_user, proposal: ChangeProposal) -> ChangeProposal:
    _require(acting_user, roles.REVIEW, NOT_ALLOWED_TO_REVIEW)
    proposal = ChangeProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.state != ProposalState.PENDING:
        raise ValueError(ALREADY_DECIDED)
    return proposal


@transaction.atomic
def proposal_approve(*, acting_user, proposal: ChangeProposal) -> ChangeProposal:
    """Let a waiting change through to readers (Editors): the new record, or the new values."""
    proposal = _locked_waiting(acting_user, proposal)
    target = proposal.target
    if target is None:
        raise ValueError(RECORD_GONE)
    if proposal.kind == ProposalKind.ADDITION:
        target.review_state = ReviewState.APPROVED
    else:
        for name, (_was, proposed) in proposal.changes.items():
            field = target._meta.get_field(name)
            setattr(target, field.attname, from_stored_form(field, proposed))
    who = proposal.proposed_by or "the system"
    record_save(acting_user=acting_user, obj=target, reason=f"approved, as proposed by {who}: {proposal.reason}")
    if isinstance(target, Person):
        person_names_sync(acting_user=acting_user, person=target)  # a new name becomes searchable
    return _decided(proposal, acting_user, ProposalState.APPROVED)


@transaction.atomic
def proposal_reject(*, acting_user, proposal: ChangeProposal) -> ChangeProposal:
    """Turn a waiting change down (Editors): a new record is deleted (history keeps it), new values dropped."""
    proposal = _locked_waiting(acting_user, proposal)
    target = proposal.target
    if proposal.kind == ProposalKind.ADDITION and target is not None:
        _decided(proposal, acting_user, ProposalState.REJECTED)
        record_delete(acting_user=acting_user, obj=target, reason="rejected in review")
        return proposal
    if target is not None:
        for name, (_was, proposed) in proposal.changes.items():
            field = target._meta.get_field(name)
            if isinstance(field, models.FileField) and proposed and proposed != stored_form(target, field):
                field.storage.delete(proposed)  # an upload only this proposal named
    return _decided(proposal, acting_user, ProposalState.REJECTED)


def person_is_cited(person: Person) -> bool:
    """Whether a reviewed, non-private citation supports the person or one of their reviewed facts."""
    from sources.models import Citation

    return person.pk is not None and Citation.objects.reviewed().filter(is_private=False).about(person).exists()


def record_check(*, acting_user, obj: models.Model) -> models.Model | None:
    """Raise PermissionDenied (or ValidationError) if record_save() would refuse this; returns the stored version.

    record_save() starts with it; forms call it first to show a refusal beside the input.
    """
    old = type(obj)._default_manager.filter(pk=obj.pk).first() if obj.pk else None
    _require(acting_user, _permission(obj, "change" if old else "add"))
    _check_visibility(acting_user, old, obj)
    return old


@transaction.atomic
def record_save(*, acting_user, obj: models.Model, reason: str = "", m2m: dict | None = None) -> models.Model:
    """Create or change one record (and its many-to-many values) as `acting_user`.

    Checks the add/change permission and, for what decides visibility, the publish
    permission; writes history with the user and the reason; refreshes the derived status of
    every person the record was or is about (a fact moved to another person refreshes both);
    moves their public "last updated" only if the record was or is public.
    """
    old = record_check(acting_user=acting_user, obj=obj)
    changed = _changed_fields(old, obj)
    before = person_ids_of(old)
    was_public = _is_public(old) if old else False
    review = _review_needed(acting_user, old, obj, changed, was_public)
    if review == ProposalKind.CHANGE:
        held = changed - UNREVIEWED_FIELDS
        obj._held_for_review = _change_propose(acting_user, old, obj, held, reason)
        changed -= held
        if not changed and not m2m:
            return obj
    elif review == ProposalKind.ADDITION:
        obj.review_state = ReviewState.PENDING
    if isinstance(obj, Person) and obj.publication_state == PublicationState.PUBLISHED and not obj.published_at:
        obj.published_at = timezone.now()
    _with_history(obj, acting_user, reason)
    with _no_document_made_public(acting_user, obj):
        if isinstance(obj, Person) and old is not None:
            # Derived fields are person_status_refresh()'s alone: a stale instance must not undo them.
            obj.save(
                update_fields=[f.name for f in Person._meta.concrete_fields if f.name not in PERSON_DERIVED_FIELDS]
            )
        else:
            obj.save()
        for name, values in (m2m or {}).items():
            getattr(obj, name).set(values)
    if review == ProposalKind.ADDITION:
        obj._held_for_review = _proposal_create(acting_user, obj, ProposalKind.ADDITION, {}, reason)
    if isinstance(obj, Person):
        # Private notes alone move nothing a reader sees; publishing moves everything.
        newly_public = old is None or not old.is_public()
        public_change = obj.is_public() and (newly_public or bool(changed - PRIVATE_PERSON_FIELDS))
        _public_left(obj, was_public=old is not None and old.is_public())
    else:
        public_change = was_public or _is_public(obj)
    _people_touched(
        before | person_ids_of(obj),
        public_change=public_change,
        refresh=_label(obj) in STATUS_MODELS,
        acting_user=acting_user,
    )
    return obj


@transaction.atomic
def record_delete(*, acting_user, obj: models.Model, reason: str = "") -> None:
    """Delete one record as `acting_user`; a person is only marked deleted (person_delete)."""
    if isinstance(obj, Person):
        person_delete(acting_user=acting_user, person=obj, reason=reason)
        return
    _require(acting_user, _permission(obj, "delete"))
    people = person_ids_of(obj)
    was_public = _is_public(obj)
    _with_history(obj, acting_user, reason or "deleted")
    ChangeProposal.objects.waiting().of_record(obj).update(
        state=ProposalState.REJECTED, decided_by=_user_or_none(acting_user), decided_at=timezone.now()
    )
    with _no_document_made_public(acting_user, obj):
        obj.delete()
    _people_touched(people, public_change=was_public, refresh=_label(obj) in STATUS_MODELS, acting_user=acting_user)


@transaction.atomic
def person_delete(*, acting_user, person: Person, reason: str = "") -> Person:
    """Take a person and everything under them off every surface; an editor can restore them."""
    _require(acting_user, roles.REMOVE_PERSON, NOT_ALLOWED_TO_REMOVE)
    was_public = person.is_public()
    person.deleted_at = timezone.now()
    _with_history(person, acting_user, reason or "deleted")
    person.save(update_fields=["deleted_at", "updated_at"])
    _public_left(person, was_public)
    return person


@transaction.atomic
def person_restore(*, acting_user, person: Person, reason: str = "") -> Person:
    """Bring back a deleted person with everything recorded under them."""
    _require(acting_user, roles.REMOVE_PERSON, NOT_ALLOWED_TO_REMOVE)
    if person.deleted_at is None:
        raise ValueError(NOT_DELETED)
    person.deleted_at = None
    person.merged_into = None
    _with_history(person, acting_user, reason or "restored")
    person.save(update_fields=["deleted_at", "merged_into", "updated_at"])
    if person.is_public():
        Person.objects.filter(pk=person.pk).update(public_updated_at=timezone.now())
    return person


# Derived or bookkeeping fields a restored version never overwrites.
NOT_RESTORED_FIELDS = frozenset(
    {
        "id",
        "created_at",
        "updated_at",
        "deleted_at",
        "merged_into",
        "public_updated_at",
        "normalized",
        "current_status",
        "current_status_since",
        "is_recognised",
        "custody_started_on",
        "released_on",
        "total_term_days",
        "total_term_code",
        "expected_end_earliest",
        "expected_end_latest",
    }
)


@transaction.atomic
def record_restore_version(*, acting_user, obj: models.Model, history_id: int) -> models.Model:
    """Make a record hold the values of one of its earlier versions again (Editors).

    The version's values go through record_save like any edit, so permissions, history and
    derived fields work as for a hand edit; bookkeeping fields stay as they are.
    """
    _require(acting_user, roles.REMOVE_PERSON, NOT_ALLOWED_TO_REMOVE)
    version = obj.history.get(history_id=history_id)
    if version.instance.pk != obj.pk:
        raise ValueError(VERSION_OF_ANOTHER_RECORD)
    for field in obj._meta.concrete_fields:
        if field.name not in NOT_RESTORED_FIELDS and hasattr(version, field.attname):
            setattr(obj, field.attname, getattr(version, field.attname))
    when = timezone.localtime(version.history_date).strftime("%Y-%m-%d %H:%M")
    return record_save(acting_user=acting_user, obj=obj, reason=f"restored the version of {when}")


def _reviewed_facts(people) -> models.QuerySet:
    """People with what their derived fields are computed from, prefetched: a fixed number of queries."""
    from django.db.models import Prefetch

    from .models import Sentence

    return people.prefetch_related(
        Prefetch("status_events", queryset=StatusEvent.objects.reviewed()),
        Prefetch("releases", queryset=Release.objects.reviewed()),
        Prefetch(
            "defendant_roles",
            queryset=Defendant.objects.reviewed().prefetch_related(
                Prefetch("sentences", queryset=Sentence.objects.reviewed())
            ),
        ),
    )


def _derived(person: Person) -> tuple[dict, list[CustodySpell]]:
    """What person_status_refresh stores for one person whose facts are prefetched (_reviewed_facts)."""
    events, releases = person.status_events.all(), person.releases.all()
    facts = custody.timeline(events, releases)
    status, since = custody.current_status_of(facts)
    recognition = [fact.status for fact in facts if fact.status in RECOGNITION_STATUSES]
    released = [fact.first_known for fact in facts if fact.status in RELEASE_STATUSES]
    custody_start, term = person.custody_start(), person.total_term()
    expected_end = person.expected_end_of_term(status=status)
    derived = {
        "current_status": status,
        "current_status_since": since,
        "is_recognised": bool(recognition) and recognition[-1] == Status.RECOGNISED,
        "custody_started_on": custody_start and (custody_start.date_earliest or custody_start.date_latest),
        "released_on": released[-1] if released else None,
        "total_term_days": term.approximate_days,
        "total_term_code": term.code,
        "expected_end_earliest": expected_end.bounds.earliest if expected_end else None,
        "expected_end_latest": expected_end.bounds.latest if expected_end else None,
        **export_date_values(custody.exported_facts(events, releases)),
    }
    spells = [CustodySpell(person_id=person.pk, **dataclasses.asdict(spell)) for spell in custody.spells_of(facts)]
    return derived, spells


def _spell_values(spell: CustodySpell) -> tuple:
    return tuple(getattr(spell, field) for field in CUSTODY_SPELL_FIELDS)


# Allocations between two collections of the youngest objects during a bulk write (Python's default: 700).
BULK_GC_THRESHOLD = 100_000


@contextlib.contextmanager
def fewer_collections():
    """Collect cyclic garbage rarely during a bulk write (an import, a status refresh of many people).

    Such a write allocates hundreds of thousands of objects (records, history rows, the values
    of every query), nearly all alive until it ends: at the default threshold Python's collector
    ran some 500 times in a 1,000-row import and took a third of its CPU time scanning them.
    Collection still happens, only less often; the thresholds are put back after.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(max(BULK_GC_THRESHOLD, thresholds[0]), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


@transaction.atomic
@fewer_collections()
def people_status_refresh(*, people: models.QuerySet, acting_user=None, batch_size: int = 1000) -> int:
    """Recompute and store the derived status, term and custody spells of many people, in batches.

    The set-based form of person_status_refresh (same rule, same fields): per batch a fixed
    number of queries, changed people saved with one bulk update and their history rows in
    bulk, their spells replaced. Returns how many people changed.
    """
    changed_count = 0
    ids = list(people.order_by("pk").values_list("pk", flat=True))
    for offset in range(0, len(ids), batch_size):
        batch = list(_reviewed_facts(Person.objects.filter(pk__in=ids[offset : offset + batch_size])).order_by("pk"))
        stored = defaultdict(list)
        for spell in CustodySpell.objects.filter(person__in=batch).order_by("pk"):
            stored[spell.person_id].append(_spell_values(spell))
        changed, new_spells, respelled = [], [], []
        for person in batch:
            derived, spells = _derived(person)
            if any(getattr(person, field) != value for field, value in derived.items()):
                for field, value in derived.items():
                    setattr(person, field, value)
                changed.append(person)
            if [_spell_values(spell) for spell in spells] != stored[person.pk]:
                respelled.append(person.pk)
                new_spells += spells
        if respelled:
            CustodySpell.objects.filter(person__in=respelled).delete()
            rows_insert_new(CustodySpell, new_spells)
        if changed:
            now = timezone.now()
            for person in changed:
                person.updated_at = now
            rows_update_with_history(
                changed,
                Person,
                [*PERSON_STATUS_FIELDS, "updated_at"],
                default_user=_user_or_none(acting_user),
                default_change_reason="status derived from events",
            )
        changed_count += len(changed)
    return changed_count


@transaction.atomic
def person_status_refresh(*, person: Person, acting_user=None) -> Person:
    """Recompute and store the current status, term, sort keys and custody spells from the record.

    The one place these derived fields are written; record_save() and record_delete() call it
    for every person a changed fact is about. Releases count as "released" (or "died in
    custody") events on their date; recognition events only decide `is_recognised`. The rule
    itself is prisoners.custody's.
    """
    people_status_refresh(people=Person.objects.filter(pk=person.pk), acting_user=acting_user)
    # The caller's instance reads as stored, as it did when this saved it directly.
    fresh = Person.objects.filter(pk=person.pk).values(*PERSON_STATUS_FIELDS, "updated_at").first()
    for field, value in (fresh or {}).items():
        setattr(person, field, value)
    return person


@transaction.atomic
def person_publish(*, acting_user, person: Person) -> Person:
    """Make a person's public page visible. Editors only."""
    _require(acting_user, roles.PUBLISH_PERMISSIONS["prisoners.person"], NOT_ALLOWED_TO_PUBLISH)
    person.publication_state = PublicationState.PUBLISHED
    person.published_at = person.published_at or timezone.now()
    return record_save(acting_user=acting_user, obj=person, reason="published")


@transaction.atomic
def person_withdraw(*, acting_user, person: Person) -> Person:
    """Take a person's page off every public surface. Editors only."""
    _require(acting_user, roles.PUBLISH_PERMISSIONS["prisoners.person"], NOT_ALLOWED_TO_PUBLISH)
    person.publication_state = PublicationState.WITHDRAWN
    return record_save(acting_user=acting_user, obj=person, reason="withdrawn")


@transaction.atomic
def release_record(
    *,
    acting_user,
    person: Person,
    date: str,
    release_type: str,
    group: ReleaseGroup | None = None,
    note: str = "",
) -> Release:
    """Record a release; the person's current status follows."""
    release = Release(person=person, date=date, release_type=release_type, group=group, note=note)
    return record_save(acting_user=acting_user, obj=release, reason="release recorded")


def _name_fields(person: Person) -> list[tuple[str, str]]:
    return [
        (person.display_name, ""),
        (person.name_latin, ""),
        (person.name_be, "be"),
        (person.name_ru, "ru"),
    ]


@transaction.atomic
def person_names_sync(*, acting_user, person: Person) -> Person:
    """Make the names on the person's own record searchable as name variants."""
    existing = set(person.name_variants.values_list("text", flat=True))
    for text, language in _name_fields(person):
        text = text.strip()
        if text and text not in existing:
            kind = NameKind.NATIVE if language else NameKind.OFFICIAL_ROMANISATION
            variant = NameVariant(person=person, text=text, language=language, kind=kind)
            record_save(acting_user=acting_user, obj=variant, reason="name on the person's record")
            existing.add(text)
    return person


@dataclass(frozen=True)
class LikelyDuplicate:
    person: Person
    score: float
    matched_name: str


def person_likely_duplicates(*, person: Person, threshold: float = DUPLICATE_THRESHOLD) -> list[LikelyDuplicate]:
    """Other people whose names match this person's full names closely, best first (the person may be unsaved)."""
    names = [text for text, _language in _name_fields(person)]
    if person.pk:
        names += person.name_variants.values_list("text", flat=True)
    return names_likely_duplicates(names=names, exclude=person.pk, threshold=threshold)


def names_likely_duplicates(
    *, names: Iterable[str], exclude: int | None = None, threshold: float = DUPLICATE_THRESHOLD
) -> list[LikelyDuplicate]:
    """People already recorded whose names match any of `names` closely, best first.

    Asked before a person is created (the admin's add form, the intake's new person, a CSV
    row without an identifier) so a researcher links the existing record instead.
    """
    others = Person.objects.alive().exclude(pk=exclude) if exclude else Person.objects.alive()
    best: dict[int, tuple[float, str]] = {}
    for name in {text.strip() for text in names if text and text.strip()}:
        for match in others.name_matches(name):
            if match.score >= threshold and match.score > best.get(match.person_id, (0, ""))[0]:
                best[match.person_id] = (match.score, match.matched_name)
    people = Person.objects.in_bulk(best)
    ranked = [LikelyDuplicate(people[pk], score, text) for pk, (score, text) in best.items()]
    return sorted(ranked, key=lambda duplicate: (-duplicate.score, duplicate.person.pk))


# The person fields a merge reconciles; names and the photo are handled on their own.
MERGE_FIELDS = ("birth_date", "gender", "occupation", "region", "biography", "letters_address")
MERGE_NAME_FIELDS = ("display_name", "name_latin", "name_be", "name_ru")


@dataclass(frozen=True)
class MergeConflict:
    """A field both records fill with different values: one is kept, the other becomes a note."""

    field: str
    label: str
    kept_value: str
    merged_value: str


def person_merge_conflicts(*, kept: Person, merged: Person) -> list[MergeConflict]:
    """The fields on which two records disagree, for the merge confirmation page."""
    conflicts = []
    for name in (*MERGE_NAME_FIELDS, *MERGE_FIELDS, "photo"):
        field = Person._meta.get_field(name)
        ours, theirs = str(getattr(kept, name) or ""), str(getattr(merged, name) or "")
        if ours and theirs and ours != theirs:
            shown = [field.choices and dict(field.choices).get(value, value) or value for value in (ours, theirs)]
            conflicts.append(MergeConflict(name, str(field.verbose_name), *shown))
    return conflicts


def _merge_person_fields(kept: Person, merged: Person, take: set[str]) -> tuple[list[str], list[str]]:
    """Fill `kept` from `merged`; returns (names to keep as variants, notes for the losers)."""
    names, notes = [], []
    for name in (*MERGE_NAME_FIELDS, *MERGE_FIELDS):
        ours, theirs = getattr(kept, name), getattr(merged, name)
        if not theirs or ours == theirs:
            continue
        if not ours or name in take:
            setattr(kept, name, theirs)
            loser = ours
        else:
            loser = theirs
        if not loser:
            continue
        if name in MERGE_NAME_FIELDS:
            names.append(loser)
        else:
            label = Person._meta.get_field(name).verbose_name
            notes.append(f"{label} (from the merged record): {loser}")
    if merged.private_notes and merged.private_notes not in kept.private_notes:
        notes.append(merged.private_notes)
    return names, notes


@transaction.atomic
def person_merge(*, acting_user, kept: Person, merged: Person, take: Iterable[str] = ()) -> Person:
    """Move everything recorded about `merged` onto `kept`, losing nothing; `merged` is marked merged.

    Where both records hold a value, `kept`'s wins unless the field is in `take`; the other
    value stays as a name variant (names) or in the private notes (everything else). Every
    fact, citation and document moves through record_save(), so each move is in history; a
    second photo becomes a restricted document of the kept person, so no file is orphaned.
    """
    _require(acting_user, roles.REMOVE_PERSON, NOT_ALLOWED_TO_MERGE)
    if kept.pk == merged.pk:
        raise ValueError(CANNOT_MERGE_WITH_ITSELF)
    from sources.models import Citation, Document, DocumentKind

    reason = f"merged from person {merged.pk}"
    take = set(take)
    names, notes = _merge_person_fields(kept, merged, take)
    photo_left_over = None
    if merged.photo and (not kept.photo or "photo" in take):
        photo_left_over = kept.photo.name if kept.photo else None
        left_type = kept.photo_content_type
        kept.photo, kept.photo_content_type = merged.photo.name, merged.photo_content_type
    elif merged.photo:
        photo_left_over, left_type = merged.photo.name, merged.photo_content_type
    if notes:
        kept.private_notes = "\n\n".join(filter(None, [kept.private_notes, *notes]))
    record_save(acting_user=acting_user, obj=kept, reason=f"merged with {merged.display_name} (person {merged.pk})")

    person_type = ContentType.objects.get_for_model(Person)
    for citation in Citation.objects.filter(content_type=person_type, object_id=merged.pk):
        citation.object_id = kept.pk
        record_save(acting_user=acting_user, obj=citation, reason=reason)

    kept_variants = {variant.text: variant for variant in kept.name_variants.all()}
    variant_type = ContentType.objects.get_for_model(NameVariant)
    for variant in merged.name_variants.all():
        same = kept_variants.get(variant.text)
        if same is None:
            variant.person = kept
            record_save(acting_user=acting_user, obj=variant, reason=reason)
            kept_variants[variant.text] = variant
            continue
        # The same spelling on both: its citations join the kept one's.
        for citation in Citation.objects.filter(content_type=variant_type, object_id=variant.pk):
            citation.object_id = same.pk
            record_save(acting_user=acting_user, obj=citation, reason=reason)
    for text in names:
        if text not in kept_variants:
            variant = NameVariant(person=kept, text=text, kind=NameKind.OTHER)
            kept_variants[text] = record_save(acting_user=acting_user, obj=variant, reason=reason)

    facts = [
        *merged.external_identifiers.all(),
        *merged.status_events.all(),
        *merged.custody_periods.all(),
        *merged.releases.all(),
    ]
    for fact in facts:
        fact.person = kept
        record_save(acting_user=acting_user, obj=fact, reason=reason)
    for role in merged.defendant_roles.all():
        same_case = kept.defendant_roles.filter(case=role.case).first()
        if same_case is None:
            role.person = kept
            record_save(acting_user=acting_user, obj=role, reason=reason)
            continue
        for fact in [*role.charges.all(), *role.sentences.all()]:
            fact.defendant = same_case
            record_save(acting_user=acting_user, obj=fact, reason=reason)
        if role.note and role.note not in same_case.note:
            same_case.note = "; ".join(filter(None, [same_case.note, role.note]))
            record_save(acting_user=acting_user, obj=same_case, reason=reason)

    for document in Document.objects.filter(people=merged):
        people = [*document.people.exclude(pk=merged.pk), kept]
        record_save(acting_user=acting_user, obj=document, m2m={"people": people}, reason=reason)
    if photo_left_over:
        document = Document(
            file=photo_left_over,
            title=f"Photo of {merged.display_name} (from a merged record)",
            kind=DocumentKind.PHOTO,
            is_public=False,
            content_type=left_type,
        )
        record_save(acting_user=acting_user, obj=document, m2m={"people": [kept]}, reason=reason)

    merged_was_public = merged.is_public()
    merged.merged_into = kept
    merged.deleted_at = timezone.now()
    if photo_left_over != merged.photo.name and merged.photo.name == kept.photo.name:
        merged.photo = ""  # the file is the kept person's now
    _with_history(merged, acting_user, f"merged into person {kept.pk}")
    merged.save(update_fields=["merged_into", "deleted_at", "photo", "updated_at"])
    _public_left(merged, merged_was_public)
    return person_status_refresh(person=kept, acting_user=acting_user)


def find_mentions(text: str, *, people=None) -> list[identity.Mention]:
    """The known people named in `text` (any spelling, script or case ending), with offsets."""
    people = Person.objects.all() if people is None else people
    # One query: the display name rides along, instead of a second query binding every person's pk.
    variants: dict[int, list[str]] = defaultdict(list)
    display_names: dict[int, str] = {}
    rows = NameVariant.objects.filter(person__in=people).values_list("person_id", "person__display_name", "text")
    for person_id, display_name, variant_text in rows:
        variants[person_id].append(variant_text)
        display_names[person_id] = display_name
    names = [identity.person_names(pk, display_names[pk], texts) for pk, texts in variants.items()]
    mentions = identity.mentions_in(text, names)
    by_pk = Person.objects.in_bulk({m.person_id for m in mentions})
    return [replace(m, person=by_pk[m.person_id]) for m in mentions]


@dataclass(frozen=True)
class DuplicatePair:
    first: Person
    second: Person
    score: float
    first_name: str
    second_name: str


def likely_duplicate_pairs(*, threshold: float = DUPLICATE_THRESHOLD) -> list[DuplicatePair]:
    """Pairs of people whose full names match closely, best first.

    Only people sharing a surname-like word key are compared, so the work grows with the
    size of those groups, not with the square of the number of people.
    """
    names: dict[int, list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
    groups: dict[str, set[int]] = defaultdict(set)
    variants = NameVariant.objects.filter(person__deleted_at__isnull=True)
    for person_id, text, key_text in variants.values_list("person_id", "text", "normalized"):
        keys = tuple(key_text.split())
        names[person_id].append((text, keys))
        for key in keys:
            if not identity.is_given_name_key(key) and len(key) >= identity.MIN_SURNAME_KEY:
                groups[key].add(person_id)
    compared = {tuple(sorted((a, b))) for group in groups.values() for a in group for b in group if a != b}
    found = []
    for a, b in compared:
        score, text_a, text_b = max(
            (
                max(
                    identity.score_name(identity.exact_words(keys_a), keys_b),
                    identity.score_name(identity.exact_words(keys_b), keys_a),
                ),
                text_a,
                text_b,
            )
            for text_a, keys_a in names[a]
            for text_b, keys_b in names[b]
        )
        if score >= threshold:
            found.append((a, b, score, text_a, text_b))
    people = Person.objects.in_bulk({pk for a, b, *_rest in found for pk in (a, b)})
    pairs = [DuplicatePair(people[a], people[b], score, ta, tb) for a, b, score, ta, tb in found]
    return sorted(pairs, key=lambda pair: (-pair.score, pair.first.pk, pair.second.pk))


TERM_ENDING_HORIZON_DAYS = 60


def term_endings_digest_prepare(*, today: dt.date) -> Digest:
    """The people whose term may end in the next 60 days, kept for the admin index."""
    people = Person.objects.term_ending_within(TERM_ENDING_HORIZON_DAYS, today).order_by("expected_end_earliest")
    items = [
        {
            "id": person.pk,
            "name": person.display_name,
            "expected_end": str(ExpectedEnd(DateBounds(person.expected_end_earliest, person.expected_end_latest))),
        }
        for person in people
    ]
    return Digest.objects.create(kind=DigestKind.TERM_ENDINGS, items=items)


# --- Batched writes: many new records at once, as record_save() writes each ------------------------
#
# For importers (prisoners.imports): the same permission checks, review rule, history, public
# "last updated" and derived fields as record_save(), in a fixed number of queries per model
# instead of several per record. Only new records; a change of an existing one goes through
# record_save(), which compares it with what is stored.

NOT_NEW = "records_bulk_create() only creates records; change existing ones with record_save()."
NOT_BULK = "Documents and many-to-many links are saved with record_save(), one by one."


@contextlib.contextmanager
def status_refresh_batched(*, acting_user):
    """Like status_refresh_deferred(), but the touched people are refreshed together, in one pass."""
    pending: set[int] = set()
    token = _deferred_refresh.set(pending)
    try:
        yield
    finally:
        _deferred_refresh.reset(token)
    if pending:
        people_status_refresh(people=Person.objects.filter(pk__in=pending), acting_user=acting_user)


def _grouped_by_model(objects: Iterable[models.Model]) -> dict[type[models.Model], list[models.Model]]:
    groups: dict[type[models.Model], list[models.Model]] = {}
    for obj in objects:
        groups.setdefault(type(obj), []).append(obj)
    return groups


def _people_unique_slugs(people: list[Person]) -> None:
    """Person.save()'s slug rule for many new people: the first of base, base-2, base-3... that is free."""
    from slugify import slugify

    bases = {id(person): slugify(person.name_latin or person.display_name)[:180] or "person" for person in people}
    wanted = [base for person, base in ((p, bases[id(p)]) for p in people) if not person.slug]
    taken = set(Person.objects.filter(slug__in=set(wanted)).values_list("slug", flat=True))
    # A base taken already, or wanted twice, gets a suffix: the suffixed slugs in use are needed too.
    seen: set[str] = set()
    clashing: set[str] = set()
    for base in wanted:
        if base in taken or base in seen:
            clashing.add(base)
        seen.add(base)
    if clashing:
        # One index range read per base, as a UNION ALL: OR-ed into one filter, PostgreSQL read
        # every matching row from the table (a bitmap of all the bases) and sorted them by name.
        suffixed = [
            Person.objects.filter(slug__startswith=f"{base}-").order_by().values_list("slug", flat=True)
            for base in sorted(clashing)
        ]
        taken |= set(suffixed[0].union(*suffixed[1:], all=True))
    for person in people:
        if person.slug:
            continue
        base = bases[id(person)]
        candidate, counter = base, 2
        while candidate in taken:
            candidate, counter = f"{base}-{counter}", counter + 1
        person.slug = candidate
        taken.add(candidate)


def _prepared_for_bulk(model: type[models.Model], objects: list[models.Model]) -> None:
    """What each model's save() fills in before writing; bulk_create() does not call save().

    Kept beside those save() methods' rules; tests/prisoners/test_bulk_writes.py checks that a
    record created here is stored as record_save() stores it.
    """
    from sources.models import Citation, is_private_field_name

    from . import collation
    from .models import NameScript

    if model is Person:
        _people_unique_slugs(objects)
        for person in objects:
            for language, field in collation.SORT_KEY_FIELDS.items():
                setattr(person, field, collation.name_sort_key(person.name_in(language), language)[:255])
    elif model is NameVariant:
        limit = NameVariant._meta.get_field("normalized").max_length
        for variant in objects:
            variant.normalized = identity.name_key_text(variant.text)[:limit]
            if not variant.script:
                cyrillic = any("\u0400" <= c <= "\u04ff" for c in variant.text)
                variant.script = NameScript.CYRILLIC if cyrillic else NameScript.LATIN
    elif model is Citation:
        for citation in objects:
            if is_private_field_name(citation.field_name):
                citation.is_private = True
    elif model is ReleaseGroup:
        import uuid

        from slugify import slugify

        for group in objects:
            group.slug = group.slug or slugify(group.name)[:200] or uuid.uuid4().hex[:8]


def _public_pks(model: type[models.Model], objects: list[models.Model]) -> set:
    """The pks of `objects` that are on a public surface now, by the rule _is_public() applies to one."""
    pks = [obj.pk for obj in objects]
    if _label(model) == "sources.citation":
        public = set()
        by_type: dict[int, list] = defaultdict(list)
        for citation in objects:
            if not citation.is_private:
                by_type[citation.content_type_id].append(citation)
        for content_type_id, citations in by_type.items():
            fact_model = ContentType.objects.get_for_id(content_type_id).model_class()
            shown = _public_pks(fact_model, [c.content_object for c in citations])
            public |= {c.pk for c in citations if c.object_id in shown}
        return public
    public_of = getattr(model._default_manager, "public", None)
    if public_of is not None:
        return set(public_of().filter(pk__in=pks).values_list("pk", flat=True))
    about = {obj.pk: person_ids_of(obj) for obj in objects}
    shown = set(Person.objects.public().filter(pk__in=set().union(*about.values())).values_list("pk", flat=True))
    return {pk for pk, people in about.items() if people & shown}


def _people_of_new(model: type[models.Model], group: list[models.Model]) -> dict[int, set[int]]:
    """person_ids_of() for each new record of one model (by id()), with the model's path to Person read once.

    A new shared record (a case, a release group) has no one yet: nothing points at it.
    """
    from sources.models import Citation

    path = getattr(model._default_manager.get_queryset(), "person_field", None)
    if path:
        *hops, last = path.split("__")
        about = {}
        for obj in group:
            target = obj
            for hop in hops:
                target = getattr(target, hop, None)
            person_id = getattr(target, f"{last}_id", None)
            about[id(obj)] = {person_id} if person_id else set()
        return about
    if issubclass(model, Citation):
        person_type = ContentType.objects.get_for_model(Person)
        return {
            id(obj): {obj.object_id} if obj.content_type_id == person_type.pk else person_ids_of(obj) for obj in group
        }
    return {id(obj): set() if obj.pk is None else person_ids_of(obj) for obj in group}


@transaction.atomic
def records_bulk_create(*, acting_user, objects: Iterable[models.Model], reason: str = "") -> list[models.Model]:
    """Create many new records as `acting_user`, as record_save() would create each; returns them, saved.

    Per model, once for the whole batch: the add permission; then per record the visibility
    rule (what would be public needs the publish permission) and the review rule (a
    Researcher's new fact on a published person waits for an Editor, with its proposal).
    History rows are written in bulk with the user and the reason; the people whose public
    pages change have their "last updated" moved in one statement, and those whose derived
    status depends on the new facts are refreshed in one pass (or at the end of
    status_refresh_batched()).
    """
    from django.db import connections, router
    from simple_history.utils import bulk_create_with_history

    from sources.models import Document

    created: list[models.Model] = []
    for model, group in _grouped_by_model(objects).items():
        if model._meta.auto_created or issubclass(model, Document):
            raise ValueError(NOT_BULK)
        if any(obj.pk is not None for obj in group):
            raise ValueError(NOT_NEW)
        _require(acting_user, _permission(group[0], "add"))
        for obj in group:
            _check_visibility(acting_user, None, obj)
        for obj in group:
            obj._prepare_related_fields_for_save(operation_name="records_bulk_create")
        # The people each record is about, and which of them readers see: asked once for the batch.
        # A new record can only be on a public surface through a public person (a new case or
        # source has nothing pointing at it yet), so without one nothing below reaches readers.
        about = _people_of_new(model, group)
        arriving = set().union(*about.values())
        shown = set(Person.objects.public().filter(pk__in=arriving).values_list("pk", flat=True)) if arriving else set()
        # _review_needed() for a new record.
        waits = (
            issubclass(model, Reviewed)
            and model._meta.app_label in roles.RECORD_APPS
            and not acting_user.has_perm(roles.REVIEW)
        )
        held = [obj for obj in group if waits and obj.is_reviewed and about[id(obj)] & shown]
        for obj in held:
            obj.review_state = ReviewState.PENDING
        _prepared_for_bulk(model, group)
        for obj in group:
            if isinstance(obj, Person) and obj.publication_state == PublicationState.PUBLISHED and not obj.published_at:
                obj.published_at = timezone.now()
            _with_history(obj, acting_user, reason)
        returns_pks = connections[router.db_for_write(model)].features.can_return_rows_from_bulk_insert
        if hasattr(model, "history") and returns_pks:
            rows_insert_new(model, group)
            history_rows_create(
                group, model, default_user=_user_or_none(acting_user), default_change_reason=reason or None
            )
        elif hasattr(model, "history"):
            bulk_create_with_history(
                group, model, default_user=_user_or_none(acting_user), default_change_reason=reason or None
            )
        else:
            rows_insert_new(model, group)
        if held:
            content_type = ContentType.objects.get_for_model(model)
            proposals = ChangeProposal.objects.bulk_create(
                ChangeProposal(
                    kind=ProposalKind.ADDITION,
                    content_type=content_type,
                    object_id=obj.pk,
                    person_id=min(about[id(obj)]),
                    changes={},
                    reason=(reason or "")[:300],
                    proposed_by=_user_or_none(acting_user),
                )
                for obj in held
            )
            for obj, proposal in zip(held, proposals, strict=True):
                obj._held_for_review = proposal
        # A new person is never public (publishing needs a citation, and so a saved person).
        near_readers = [obj for obj in group if about[id(obj)] & shown] if model is not Person else []
        shown_now = _public_pks(model, near_readers) if near_readers else set()
        touched = {pk for obj in near_readers if obj.pk in shown_now for pk in about[id(obj)]}
        if touched:
            Person.objects.filter(pk__in=touched).public().update(public_updated_at=timezone.now())
        if _label(model) in STATUS_MODELS:
            _people_touched(arriving, public_change=False, refresh=True, acting_user=acting_user)
        created += group
    return created


def people_cited(person_ids: Iterable[int]) -> set[int]:
    """Of these people, those person_is_cited() says yes for: a fixed number of queries, not one per person."""
    from django.apps import apps

    from sources.models import CITABLE_MODEL_NAMES, Citation

    remaining = set(person_ids)
    citations = Citation.objects.reviewed().filter(is_private=False)
    person_type = ContentType.objects.get_for_model(Person)
    cited = set(citations.filter(content_type=person_type, object_id__in=remaining).values_list("object_id", flat=True))
    remaining -= cited
    for model_name in CITABLE_MODEL_NAMES:
        model = apps.get_model("prisoners", model_name)
        path = getattr(model.objects.none(), "person_field", None)
        if not remaining or not path:
            continue
        facts = model.objects.reviewed().filter(**{f"{path}__in": remaining})
        of_facts = citations.filter(content_type=ContentType.objects.get_for_model(model))
        supported = facts.filter(pk__in=of_facts.filter(object_id__in=facts.values("pk")).values("object_id"))
        found = set(supported.values_list(path, flat=True))
        cited |= found
        remaining -= found
    return cited


@transaction.atomic
def people_publish(*, acting_user, people: list[Person], reason: str = "published") -> list[Person]:
    """person_publish() for many people: one permission check, one citation check, one update with history."""
    from django.db.models.functions import Coalesce

    _require(acting_user, roles.PUBLISH_PERMISSIONS["prisoners.person"], NOT_ALLOWED_TO_PUBLISH)
    people = [person for person in people if person.publication_state != PublicationState.PUBLISHED]
    if not people:
        return []
    ids = [person.pk for person in people]
    if people_cited(ids) != set(ids):
        raise ValidationError(NOT_CITED, code="not_cited")
    now = timezone.now()
    # The same new values for everyone: one plain UPDATE, not a bulk_update's CASE per row. A
    # deleted person (not public even once published) keeps their last public change. (The
    # condition reads the row as it was, so it cannot ask public_person_q() about the new state.)
    Person.objects.filter(pk__in=ids).update(
        publication_state=PublicationState.PUBLISHED,
        published_at=Coalesce("published_at", models.Value(now)),
        updated_at=now,
        public_updated_at=models.Case(
            models.When(deleted_at__isnull=True, then=models.Value(now)), default="public_updated_at"
        ),
    )
    for person in people:
        person.publication_state = PublicationState.PUBLISHED
        person.published_at = person.published_at or now
        person.updated_at = now
        _with_history(person, acting_user, reason)
    history_rows_create(
        people, Person, update=True, default_user=_user_or_none(acting_user), default_change_reason=reason
    )
    return people


def rows_update_with_history(
    objs: list[models.Model],
    model: type[models.Model],
    fields: list[str],
    *,
    default_user=None,
    default_change_reason: str = "",
) -> None:
    """simple_history's bulk_update_with_history() (same arguments), without Django's bulk_update().

    bulk_update() writes one UPDATE with a CASE WHEN per row and field: building it costs about a
    millisecond a row in Python, and the database compares every row with every WHEN, so a batch
    of n rows costs n² comparisons. On PostgreSQL this is one UPDATE ... FROM UNNEST(arrays)
    joined on the primary key; elsewhere one parameterised UPDATE per row, all in one
    executemany(). Then the history rows, in bulk (history_rows_create).
    """
    from django.db import connections, router

    if not objs:
        return
    database = router.db_for_write(model)
    connection = connections[database]
    opts = model._meta
    columns = [opts.get_field(name) for name in fields]
    quote = connection.ops.quote_name

    every = [*columns, opts.pk]  # the values of a row, its pk last
    rows = [[column.get_db_prep_save(getattr(obj, column.attname), connection) for column in every] for obj in objs]
    arrays = _unnest(connection, every)
    with transaction.atomic(using=database, savepoint=False), connection.cursor() as cursor:
        # Only the model's own table, column names and types go into the text, quoted; every value is a parameter.
        if arrays:
            sql = "UPDATE {table} SET {sets} FROM {arrays} AS new ({names}) WHERE {table}.{pk} = new.{pk}".format(  # noqa: S608
                table=quote(opts.db_table),
                sets=", ".join(f"{quote(column.column)} = new.{quote(column.column)}" for column in columns),
                arrays=arrays,
                names=", ".join(quote(column.column) for column in every),
                pk=quote(opts.pk.column),
            )
            cursor.execute(sql, _by_column(rows))
        else:
            sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
                quote(opts.db_table),
                ", ".join(f"{quote(column.column)} = %s" for column in columns),
                quote(opts.pk.column),
            )
            cursor.executemany(sql, rows)
        history_rows_create(
            objs, model, update=True, default_user=default_user, default_change_reason=default_change_reason
        )


def _unnest(connection, fields: list) -> str | None:
    """UNNEST(%s::type[], ...) over `fields` on PostgreSQL, as Django's bulk_create() writes it; else None.

    A column's values then travel as one array parameter: psycopg parses a statement of a few
    placeholders, not of one per value (client-side, in Python: 2.7 of the 16 seconds a
    profiled 1,000-row import took, when history rows were written as multi-row VALUES).
    As in Django (backends/postgresql/compiler.py): not for fields with their own placeholder or
    types outside the backend's table, and the type's length is left out so nothing is cut.
    """
    if connection.vendor != "postgresql":
        return None
    targets = [field.target_field if field.is_relation else field for field in fields]
    if any(hasattr(field, "get_placeholder") for field in fields) or any(
        target.get_internal_type() not in connection.data_types for target in targets
    ):
        return None
    types = [field.db_type(connection).split("(")[0] for field in fields]
    return "UNNEST({})".format(", ".join(f"(%s)::{db_type}[]" for db_type in types))


def _by_column(rows: list[list]) -> list[list]:
    return [list(column) for column in zip(*rows, strict=True)]


# The columns simple_history adds to every historical model beside the tracked ones.
HISTORY_COLUMNS = frozenset({"history_id", "history_date", "history_change_reason", "history_type", "history_user"})


def history_rows_create(
    objs: list[models.Model],
    model: type[models.Model],
    *,
    update: bool = False,
    default_user=None,
    default_change_reason: str | None = "",
) -> None:
    """simple_history's bulk_history_create() for saved `objs` of `model` (the same rows), in one INSERT.

    bulk_history_create() builds a historical model instance per row and hands them to
    bulk_create(), which prepares every value through the query compiler again: about a third
    of a 1,000-row import went there. This takes each tracked value from the record as it is,
    prepared once by its historical field (or, for COPY, taken as it is where that is the same),
    with one date for the batch, and writes them with COPY on PostgreSQL (rows_copy), as multi-row
    VALUES elsewhere. A historical model with more than the usual columns (a history_relation,
    custom fields) goes the library's way.
    """
    from django.conf import settings
    from django.db import connections, router
    from simple_history.utils import get_change_reason_from_object, get_history_manager_for_model

    if not objs or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    manager = get_history_manager_for_model(model)
    historical = manager.model
    by_attname = {field.attname: field for field in historical._meta.concrete_fields}
    tracked = [by_attname.get(field.attname) for field in historical.tracked_fields]
    usual = {field.name for field in historical._meta.concrete_fields} == {
        field.name for field in tracked if field
    } | HISTORY_COLUMNS
    if not usual or None in tracked or hasattr(historical, "history_relation"):
        manager.bulk_history_create(
            objs, update=update, default_user=default_user, default_change_reason=default_change_reason
        )
        return
    database = router.db_for_write(historical)
    connection = connections[database]
    now = timezone.now()
    history_type = "~" if update else "+"
    fallback_user = default_user
    if fallback_user is None and any(not hasattr(obj, "_history_user") for obj in objs):
        fallback_user = historical.get_default_history_user(objs[0])  # the request's user, if any
    dated, reason, user, kind = (
        by_attname[name] for name in ("history_date", "history_change_reason", "history_user_id", "history_type")
    )
    # COPY (PostgreSQL) takes these kinds of value as the record holds them; preparing each through
    # its field was, with COPY, the larger part of writing history rows.
    copying = connection.vendor == "postgresql"
    prepared = [(field.attname, _copied_as_is(field) if copying else frozenset(), field) for field in tracked]
    rows = [
        [
            *(
                value if type(value) in as_is else field.get_db_prep_save(value, connection)
                for name, as_is, field in prepared
                for value in (getattr(obj, name),)
            ),
            dated.get_db_prep_save(getattr(obj, "_history_date", now), connection),
            get_change_reason_from_object(obj) or default_change_reason,
            getattr(getattr(obj, "_history_user", fallback_user), "pk", None),
            history_type,
        ]
        for obj in objs
    ]
    _rows_insert(connection, [*tracked, dated, reason, user, kind], historical._meta.db_table, rows)


# The values COPY (PostgreSQL) takes as the record holds them, by field kind: for these
# get_db_prep_save() hands the value on unchanged. Anything else (a file, an enum member, a lazy
# string, a datetime, whose time zone Django settles) is prepared by its field.
_TEXT, _NUMBER = frozenset({str, type(None)}), frozenset({int, type(None)})
COPIED_AS_IS = {
    "CharField": _TEXT,
    "TextField": _TEXT,
    "SlugField": _TEXT,
    "URLField": _TEXT,
    "AutoField": _NUMBER,
    "BigAutoField": _NUMBER,
    "IntegerField": _NUMBER,
    "BigIntegerField": _NUMBER,
    "SmallIntegerField": _NUMBER,
    "PositiveIntegerField": _NUMBER,
    "PositiveSmallIntegerField": _NUMBER,
    "ForeignKey": _NUMBER,
    "BooleanField": frozenset({bool, type(None)}),
    "DateField": frozenset({dt.date, type(None)}),
}


def rows_insert_new(model: type[models.Model], objs: list[models.Model]) -> None:
    """bulk_create(objs) for new records, faster on PostgreSQL: their ids drawn from the table's
    sequence in one statement, then the rows written with COPY, values prepared as for history rows.

    Django's bulk_create() prepares every value through its field in Python and has the rows sent
    back for their ids: at 100,000 people that was the larger part of an import's inserts. Each
    field's pre_save(add=True) runs as in bulk_create() (auto_now, files). A model with another kind
    of primary key, a parent model, or a value that is an expression goes through bulk_create().
    """
    from django.db import connections, router

    if not objs:
        return
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    pk = opts.pk
    fields = [field for field in opts.concrete_fields if field is not pk]
    plain = (
        connection.vendor == "postgresql"
        and pk.get_internal_type() in ("AutoField", "BigAutoField")
        and not opts.parents
        and all(obj.pk is None for obj in objs)
    )
    if not plain:
        model._default_manager.bulk_create(objs)
        return
    values = [[field.pre_save(obj, add=True) for field in fields] for obj in objs]
    if any(hasattr(value, "resolve_expression") for row in values for value in row):
        model._default_manager.bulk_create(objs)
        return
    quote = connection.ops.quote_name
    prepared = [(field, _copied_as_is(field)) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, pk.column, len(objs)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        rows = [
            [
                new_id,
                *(
                    value if type(value) in as_is else field.get_db_prep_save(value, connection)
                    for (field, as_is), value in zip(prepared, row, strict=True)
                ),
            ]
            for new_id, row in zip(ids, values, strict=True)
        ]
        columns = ", ".join(quote(field.column) for field in [pk, *fields])
        rows_copy(cursor, f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN", rows)
    for obj, new_id in zip(objs, ids, strict=True):
        setattr(obj, pk.attname, new_id)
        obj._state.adding = False
        obj._state.db = connection.alias


def _copied_as_is(field) -> frozenset:
    """The value types of `field` COPY takes as they are (none unless field and target are listed)."""
    target = field.target_field if field.is_relation else field
    if target.get_internal_type() not in COPIED_AS_IS:
        return frozenset()
    return COPIED_AS_IS.get(field.get_internal_type(), frozenset())


def _rows_insert(connection, fields: list, table: str, rows: list[list]) -> None:
    """INSERT the rows (values in the order of `fields`, prepared for the database) in as few statements as it takes."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        # Only the table's own name and columns go into the text, quoted; every value is data.
        if connection.vendor == "postgresql":
            rows_copy(cursor, f"COPY {quote(table)} ({columns}) FROM STDIN", rows)
            return
        # SQLite says how many parameters it takes a statement.
        per_statement = max(1, (connection.features.max_query_params or 65535) // len(fields))
        row = "({})".format(", ".join(["%s"] * len(fields)))
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = f"INSERT INTO {quote(table)} ({columns}) VALUES {', '.join([row] * len(chunk))}"  # noqa: S608
            cursor.execute(sql, [value for values in chunk for value in values])


def rows_copy(cursor, sql: str, rows: list[list]) -> None:
    """Run PostgreSQL's COPY ... FROM STDIN with `rows` as any statement runs: through the connection's
    execute wrappers (the benchmark records and replays it), in its query log, its errors Django's.

    COPY is the fastest way in for rows nobody reads back (history rows): psycopg formats each row
    in C, where the arrays of an INSERT ... UNNEST were escaped value by value in Python (a sixth
    of a 1,000-row import's time). Django has no COPY of its own, so this hands it to
    CursorWrapper._execute_with_wrappers, the one place execute() and executemany() go through.
    """
    from django.db.backends.utils import CursorDebugWrapper

    def copy(sql, rows, _many, context):
        context["connection"].validate_no_broken_transaction()
        with context["connection"].wrap_database_errors:
            rows_copy_raw(context["cursor"].cursor, sql, rows)

    logged = cursor.debug_sql(sql) if isinstance(cursor, CursorDebugWrapper) else contextlib.nullcontext()
    with logged:
        cursor._execute_with_wrappers(sql, rows, many=True, executor=copy)


def rows_copy_raw(psycopg_cursor, sql: str, rows: list[list]) -> None:
    with psycopg_cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def person_names_missing(*, person: Person, existing: set[str]) -> list[NameVariant]:
    """The name variants person_names_sync() would add for the names on the record, unsaved; `existing` grows."""
    missing = []
    for text, language in _name_fields(person):
        text = text.strip()
        if text and text not in existing:
            kind = NameKind.NATIVE if language else NameKind.OFFICIAL_ROMANISATION
            missing.append(NameVariant(person=person, text=text, language=language, kind=kind))
            existing.add(text)
    return missing


def _complete_words(text: str) -> list[identity.QueryWord]:
    """The words every match of `text` must contain a match for (PersonQuerySet.name_matches() narrows by
    the longest; identity.score_name() gives 0 to a name lacking a match for any of them)."""
    return [word for word in identity.query_words(text) if not word.optional and not word.is_prefix]


# Look-ups in one candidates query (a UNION ALL of one narrowed select each).
CANDIDATE_NAMES_PER_QUERY = 250


def _lookup_keys(words: list[identity.QueryWord]) -> tuple[tuple[str, ...], ...]:
    """What the database is asked about a name: the keys of each of its words, in a set order.

    Names whose words have the same keys ("Алесь Каваленка", "Алесь Коваленко", "Kavalenka
    Ales") are one look-up. Leaving a word out instead (a given name, shared by thousands)
    would not change what is found, as every candidate is checked against every required word
    afterwards; but with names as clustered as the benchmark's (some 1,800 people a family name
    at 100,000) the database then rechecks every variant of each family name, and a look-up
    per family name took twice as long as one per name.
    """
    return tuple(sorted({tuple(sorted(word.readings | word.inflected)) for word in words}))


def _candidates_by_name(words: dict[str, list[identity.QueryWord]]) -> dict[str | None, list[identity.NameCandidate]]:
    """The name variants that may match each name ({None: all} where candidates_for() does not narrow).

    One select per distinct look-up (_lookup_keys), not per name. Each select asks
    candidates_for() about each of its words in turn: every match has a word for each of
    them, and each answer is a superset, so together they are a superset too, and a small one
    (a common given name alone would bring everyone so named).
    """
    from django.db import connection

    variants = NameVariant.objects.filter(person__in=Person.objects.alive().values("pk")).order_by()
    columns = ("person_id", "text", "normalized")
    found: dict[str | None, list[identity.NameCandidate]] = defaultdict(list)
    if connection.vendor != "postgresql":
        # candidates_for() narrows nothing here: every variant is a candidate for every name.
        for person_id, text, key_text in variants.values_list(*columns):
            found[None].append(identity.NameCandidate(person_id, text, tuple(key_text.split())))
        return found
    names_of: dict[tuple, list[str]] = defaultdict(list)
    for text, name_words in words.items():
        names_of[_lookup_keys(name_words)].append(text)
    lookups = sorted(names_of)
    by_lookup: dict[int, list[identity.NameCandidate]] = defaultdict(list)
    for start in range(0, len(lookups), CANDIDATE_NAMES_PER_QUERY):
        selects = []
        for number, lookup in enumerate(lookups[start : start + CANDIDATE_NAMES_PER_QUERY], start=start):
            narrowed = variants
            for keys in lookup:
                narrowed = narrowed.candidates_for(keys)
            selects.append(narrowed.annotate(asked=models.Value(number)).values_list(*columns, "asked"))
        for person_id, variant_text, key_text, number in selects[0].union(*selects[1:], all=True):
            by_lookup[number].append(identity.NameCandidate(person_id, variant_text, tuple(key_text.split())))
    for number, lookup in enumerate(lookups):
        for text in names_of[lookup]:
            found[text] = by_lookup[number]
    return found


def _by_keys(candidates: list[identity.NameCandidate]) -> dict[tuple[str, ...], list[identity.NameCandidate]]:
    groups: dict[tuple[str, ...], list[identity.NameCandidate]] = defaultdict(list)
    for candidate in candidates:
        groups[candidate.keys].append(candidate)
    return groups


def names_likely_duplicates_many(
    *, names: dict, threshold: float = DUPLICATE_THRESHOLD
) -> dict[object, list[LikelyDuplicate]]:
    """names_likely_duplicates() for many records at once ({key: names} in, {key: duplicates} out).

    One candidates query for up to CANDIDATE_NAMES_PER_QUERY look-ups instead of one name search
    per name, a look-up per distinct set of word keys (_lookup_keys), not per name; each name is
    then scored only against candidates that have a word for every word it requires
    (identity's word rule, asked once per pair of words and once per distinct set of a
    candidate's keys). The answers are those of one search per name.
    """
    texts = {key: {text.strip() for text in given if text and text.strip()} for key, given in names.items()}
    words = {text: _complete_words(text) for text in set().union(*texts.values())} if texts else {}
    words = {text: found for text, found in words.items() if found}
    if not words:
        return {}
    candidates = _candidates_by_name(words)
    # identity's own word rule, asked once per (query word, recorded word) pair: a one-word
    # name scores above 0 exactly when the word matches it. Query words are numbered once, so
    # the look-ups hash short strings, not the words' sets of readings.
    numbers: dict[identity.QueryWord, int] = {}
    fits: list[dict[str, bool]] = []
    words_of: list[identity.QueryWord] = []

    def number(word: identity.QueryWord) -> int:
        if word not in numbers:
            numbers[word] = len(words_of)
            words_of.append(word)
            fits.append({})
        return numbers[word]

    def matched(index: int, keys: tuple[str, ...]) -> bool:
        known = fits[index]
        for key in keys:
            fit = known.get(key)
            if fit is None:
                fit = known[key] = identity.score_name((words_of[index],), (key,)) > 0
            if fit:
                return True
        return False

    # Candidates grouped by their keys, once per candidate list (names share lists: see
    # _candidates_by_name): a name's required words are then asked of each distinct set of
    # keys, not of each candidate, many of whom share a name.
    by_list: dict[int, dict] = {}
    for found in candidates.values():
        if id(found) not in by_list:
            by_list[id(found)] = _by_keys(found)
    grouped = {key: by_list[id(found)] for key, found in candidates.items()}

    matches: dict[str, list[identity.NameMatch]] = {}
    for text in words:
        # Each name ranked against its candidates, less those lacking a word for one of its
        # required words (the database's test is looser than identity's): they would score 0.
        required = [number(other) for other in identity.query_words(text) if not other.optional]
        pool = {
            (c.person_id, c.text): c
            for key in (text, None)
            for keys, group in grouped.get(key, {}).items()
            if all(matched(index, keys) for index in required)
            for c in group
        }
        matches[text] = identity.rank_candidates(text, pool.values())
    best_of: dict[object, dict[int, tuple[float, str]]] = {}
    for key, key_texts in texts.items():
        best: dict[int, tuple[float, str]] = {}
        for text in key_texts:
            for match in matches.get(text, ()):
                if match.score >= threshold and match.score > best.get(match.person_id, (0, ""))[0]:
                    best[match.person_id] = (match.score, match.matched_name)
        if best:
            best_of[key] = best
    people = Person.objects.in_bulk({pk for best in best_of.values() for pk in best})
    return {
        key: sorted(
            (LikelyDuplicate(people[pk], score, text) for pk, (score, text) in best.items()),
            key=lambda duplicate: (-duplicate.score, duplicate.person.pk),
        )
        for key, best in best_of.items()
    }
