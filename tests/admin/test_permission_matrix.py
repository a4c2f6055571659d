"""Who may use which admin page: every route of every record admin, for every role, both ways.

The matrix walks the URLconf of each ModelAdmin of the record apps, and each one's actions, so a
new model, route or action is covered the day it is registered (and fails until it has a rule
here). For every role it checks the answer and, from the database, whether the request wrote.

Then every route that could make something more public is tried with the POST that would do it:
for view-only staff and Researchers nothing is more public afterwards and no person was
published, withdrawn, deleted, merged or restored; for Editors the same request works (so the
refusal is a refusal, not a broken request), except the history form, which writes for no one,
superusers included.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass, field
from functools import cached_property

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.test import Client, RequestFactory, TestCase, override_settings
from django.test.signals import template_rendered
from django.urls import resolve, reverse
from django.urls.converters import IntConverter, PathConverter, StringConverter, UUIDConverter
from django.urls.resolvers import RegexPattern

from casetracker.celery import app as celery_app
from prisoners import roles
from prisoners.imports import JOBS_DIR, JobState, cases_file_check, import_job_create, import_job_status
from prisoners.models import (
    ChangeProposal,
    NameVariant,
    Person,
    ProposalState,
    PublicationState,
    Status,
    StatusEvent,
)
from prisoners.roles import SYSTEM
from prisoners.services import person_delete, record_save
from sources.models import Citation, Document, FetchState, Source
from tests.prisoners import factories as pf
from tests.sources import factories as sf
from tests.sources.test_document_processing import pdf_with_text

pytestmark = pytest.mark.django_db

ANONYMOUS, VIEWER, RESEARCHER, EDITOR, SUPERUSER = "anonymous", "view-only", "researcher", "editor", "superuser"
EDITED = "changed in the permission matrix"

FACTORIES = {
    "prisoners.Person": pf.PersonFactory,
    "prisoners.NameVariant": pf.NameVariantFactory,
    "prisoners.ExternalIdentifier": pf.ExternalIdentifierFactory,
    "prisoners.Case": pf.CaseFactory,
    "prisoners.Defendant": pf.DefendantFactory,
    "prisoners.LegalArticle": pf.LegalArticleFactory,
    "prisoners.Charge": pf.ChargeFactory,
    "prisoners.Sentence": pf.SentenceFactory,
    "prisoners.Facility": pf.FacilityFactory,
    "prisoners.CustodyPeriod": pf.CustodyPeriodFactory,
    "prisoners.StatusEvent": pf.StatusEventFactory,
    "prisoners.ReleaseGroup": pf.ReleaseGroupFactory,
    "prisoners.Release": pf.ReleaseFactory,
    "sources.Source": sf.SourceFactory,
    "sources.Citation": sf.CitationFactory,
    "sources.Document": sf.DocumentFactory,
    "prisoners.ChangeProposal": pf.ChangeProposalFactory,
}
IMPORT_HEADER = (
    "external_id,name,name_variants,birth_date,gender,region,status,detained_on,released_on,release_type,"
    "articles,sentence,public,private_notes,source_url,source_title,quote"
)


def import_file(name: str, public: str = "") -> bytes:
    row = {
        "external_id": f"matrix-{uuid.uuid4().hex[:8]}",
        "name": name,
        "public": public,
        "source_title": "Matrix source",  # a person is published only once cited
    }
    columns = IMPORT_HEADER.split(",")
    return "\n".join([IMPORT_HEADER, ",".join(row.get(column, "") for column in columns), ""]).encode()


def pdf(name: str = "verdict.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_with_text("A verdict"), "application/pdf")


# --- The routes ------------------------------------------------------------------------------


def record_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in roles.RECORD_APPS
    ]


def route_kind(model, url) -> str:
    """The route's name without its "<app>_<model>_" prefix; Django's unnamed one is "object"."""
    if url.name is None:
        # ModelAdmin.get_urls() ends with a RedirectView from <id>/ to <id>/change/.
        return "object" if str(url.pattern) == "<path:object_id>/" else f"unnamed {url.pattern}"
    return url.name.removeprefix(f"{model._meta.app_label}_{model._meta.model_name}_")


@dataclass(frozen=True)
class Answer:
    status: int
    writes: bool


PAGE = Answer(200, writes=False)
FORBIDDEN = Answer(403, writes=False)
DONE = Answer(302, writes=True)
# An action the user may not run is not offered: Django shows the list again and runs nothing.
NOT_OFFERED = Answer(200, writes=False)


def answers(viewer: Answer, researcher: Answer, editor: Answer) -> dict[str, Answer]:
    return {VIEWER: viewer, RESEARCHER: researcher, EDITOR: editor}


EVERY_STAFF_MEMBER = answers(PAGE, PAGE, PAGE)
# (route, method) -> each role's answer. Anonymous visitors are always sent to the login page.
EXPECTED = {
    ("changelist", "GET"): EVERY_STAFF_MEMBER,
    ("add", "GET"): answers(FORBIDDEN, PAGE, PAGE),
    ("add", "POST"): answers(FORBIDDEN, DONE, DONE),
    ("change", "GET"): EVERY_STAFF_MEMBER,
    ("change", "POST"): answers(FORBIDDEN, DONE, DONE),
    ("delete", "GET"): answers(FORBIDDEN, FORBIDDEN, PAGE),
    ("delete", "POST"): answers(FORBIDDEN, FORBIDDEN, DONE),
    # The history list has no form; a POST runs the same read-only view (anonymous POSTs are checked).
    ("history", "GET"): EVERY_STAFF_MEMBER,
    ("simple_history", "GET"): EVERY_STAFF_MEMBER,
    ("simple_history", "POST"): answers(FORBIDDEN, FORBIDDEN, FORBIDDEN),  # read-only for everyone
    ("restore_version", "GET"): answers(*[Answer(405, writes=False)] * 3),
    ("restore_version", "POST"): answers(FORBIDDEN, FORBIDDEN, DONE),
    ("object", "GET"): answers(*[Answer(302, writes=False)] * 3),  # on to the change page
    ("object", "POST"): answers(*[Answer(302, writes=False)] * 3),
    # A person's facts, each linking to its own form; a page to read, never to post to.
    ("timeline", "GET"): EVERY_STAFF_MEMBER,
    ("timeline", "POST"): answers(*[Answer(405, writes=False)] * 3),
    ("intake_start", "GET"): answers(FORBIDDEN, PAGE, PAGE),
    ("intake_start", "POST"): answers(FORBIDDEN, DONE, DONE),
    ("intake", "GET"): answers(FORBIDDEN, PAGE, PAGE),
    ("intake", "POST"): answers(FORBIDDEN, DONE, DONE),
    ("fetch", "GET"): answers(FORBIDDEN, FORBIDDEN, FORBIDDEN),  # POST only
    ("fetch", "POST"): answers(FORBIDDEN, DONE, DONE),
    ("import", "GET"): answers(FORBIDDEN, PAGE, PAGE),
    # The preview page; the checked upload is kept as a job waiting for confirmation.
    ("import", "POST"): answers(FORBIDDEN, Answer(200, writes=True), Answer(200, writes=True)),
    ("import_job", "GET"): answers(FORBIDDEN, PAGE, PAGE),
    ("import_job", "POST"): answers(FORBIDDEN, DONE, DONE),
    ("import_status", "GET"): answers(FORBIDDEN, PAGE, PAGE),
    ("import_status", "POST"): answers(FORBIDDEN, PAGE, PAGE),
    # The example file of the upload page: a download, nothing to post.
    ("import_example", "GET"): answers(FORBIDDEN, PAGE, PAGE),
    ("import_example", "POST"): answers(FORBIDDEN, Answer(405, writes=False), Answer(405, writes=False)),
    ("action:delete_selected", "POST"): answers(NOT_OFFERED, NOT_OFFERED, DONE),
    ("action:publish", "POST"): answers(NOT_OFFERED, NOT_OFFERED, DONE),
    ("action:withdraw", "POST"): answers(NOT_OFFERED, NOT_OFFERED, DONE),
    ("action:merge", "POST"): answers(NOT_OFFERED, NOT_OFFERED, DONE),
    ("action:restore", "POST"): answers(NOT_OFFERED, NOT_OFFERED, DONE),
}


# The review queue is read-only for everyone: its rows change only by the approve and reject actions.
NO_FORMS = answers(FORBIDDEN, FORBIDDEN, FORBIDDEN)
EXPECTED_FOR_MODEL = {
    "prisoners.ChangeProposal": {
        ("add", "GET"): NO_FORMS,
        ("add", "POST"): NO_FORMS,
        ("change", "POST"): NO_FORMS,
        ("delete", "GET"): NO_FORMS,
        ("delete", "POST"): NO_FORMS,
        # Editors have actions here (approve, reject), so an unknown one is "no action selected".
        ("action:delete_selected", "POST"): answers(NOT_OFFERED, NOT_OFFERED, Answer(302, writes=False)),
        ("action:approve", "POST"): answers(NOT_OFFERED, NOT_OFFERED, DONE),
        ("action:reject", "POST"): answers(NOT_OFFERED, NOT_OFFERED, DONE),
    }
}


def expected_answers(model, kind: str, method: str) -> dict[str, Answer] | None:
    return EXPECTED_FOR_MODEL.get(model._meta.label, {}).get((kind, method)) or EXPECTED.get((kind, method))


def admin_routes():
    """(model, URL pattern, kind) of every route and (model, None, "action:<name>") of every action."""
    routes = []
    for model, model_admin in record_admins():
        routes += [(model, url, route_kind(model, url)) for url in model_admin.get_urls()]
        routes += [(model, None, f"action:{name}") for _func, name, _description in model_admin._get_base_actions()]
    return routes


def staff_cases():
    cases = []
    for model, _url, kind in admin_routes():
        # A route without a rule still gets a case, and that case fails.
        rules = [*EXPECTED, *EXPECTED_FOR_MODEL.get(model._meta.label, {})]
        methods = sorted({method for known, method in rules if known == kind}) or ["GET"]
        for method in methods:
            for role in (VIEWER, RESEARCHER, EDITOR):
                cases.append(pytest.param(role, model, kind, method, id=f"{role}-{model._meta.label}-{kind}-{method}"))
    return cases


def anonymous_cases():
    return [
        pytest.param(model, url, kind, method, id=f"anonymous-{model._meta.label}-{kind}-{method}")
        for model, url, kind in admin_routes()
        for method in (["POST"] if url is None else ["GET", "POST"])
    ]


# --- Accounts and forms ---------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def media_root(tmp_path_factory):
    """Uploads and import jobs go to one folder for the module (a folder per case costs seconds)."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")) as changed:
        yield changed


@dataclass
class Accounts:
    users: dict[str, User | None]
    clients: dict[str, Client]


@pytest.fixture(scope="module")
def accounts(django_db_setup, django_db_blocker):
    """One account and one logged-in client per role, made once: a login per case would double the run time.

    Made outside the tests' transactions, so every case rolls back to them, and removed at the end.
    """
    with django_db_blocker.unblock():
        viewer = User.objects.create_user("matrix-viewer", password="not-used-in-tests", is_staff=True)
        viewer.user_permissions.set(
            Permission.objects.filter(content_type__app_label__in=roles.RECORD_APPS, codename__startswith="view_")
        )
        users = {ANONYMOUS: None, VIEWER: viewer}
        for role, group in [(RESEARCHER, roles.RESEARCHER), (EDITOR, roles.EDITOR)]:
            users[role] = User.objects.create_user(f"matrix-{role}", password="not-used-in-tests", is_staff=True)
            users[role].groups.add(Group.objects.get(name=group))
        users[SUPERUSER] = User.objects.create_superuser("matrix-superuser", password="not-used-in-tests")
        clients = {role: Client() for role in users}
        for role, user in users.items():
            if user is not None:
                clients[role].force_login(user)
    yield Accounts(users, clients)
    with django_db_blocker.unblock():
        Session.objects.filter(session_key__in=[c.session.session_key for c in clients.values()]).delete()
        User.objects.filter(pk__in=[user.pk for user in users.values() if user is not None]).delete()


@pytest.fixture
def users(accounts, db) -> dict[str, User | None]:
    return accounts.users


@pytest.fixture
def clients(accounts, db) -> dict[str, Client]:
    for client in accounts.clients.values():
        # Only the login carries over from one case to the next, not a message left for the next page.
        for name in [name for name in client.cookies if name != settings.SESSION_COOKIE_NAME]:
            del client.cookies[name]
    return accounts.clients


@pytest.fixture
def builder(users) -> User:
    """The superuser, whose admin pages give the POST bodies: every field a browser would send."""
    return users[SUPERUSER]


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | models.QuerySet):
        return [_plain(item) for item in value]
    return value


def _form_values(form) -> dict:
    values = {}
    for name, form_field in form.fields.items():
        if isinstance(form_field, forms.FileField):
            continue  # sending no file keeps the stored one
        value = form.get_initial_for_field(form_field, name)
        if value is not None:
            values[form.add_prefix(name)] = _plain(value)
    return values


@dataclass
class AdminPage:
    """An admin page's form and inlines, and the POST body they would send unchanged."""

    context: dict
    data: dict = field(default_factory=dict)

    @property
    def form(self):
        return self.context["adminform"].form

    @property
    def inlines(self) -> list:
        return self.context.get("inline_admin_formsets", [])

    def no_inline_rows(self) -> dict:
        """The inlines' management forms with no rows, as on an add page."""
        prefixes = [inline.formset.prefix for inline in self.inlines]
        return {f"{prefix}-{count}": 0 for prefix in prefixes for count in ("TOTAL_FORMS", "INITIAL_FORMS")}

    def new_inline_row(self, model, **values) -> dict:
        """The POST keys of one more row in the inline of `model`, holding `values`."""
        formset = next(inline.formset for inline in self.inlines if inline.formset.model is model)
        row = formset.initial_form_count()
        return {
            f"{formset.prefix}-TOTAL_FORMS": row + 1,
            **{f"{formset.prefix}-{row}-{name}": value for name, value in values.items()},
        }

    def inline_key(self, obj: models.Model, name: str) -> str:
        """The POST key of `name` in the inline row showing `obj`."""
        for inline in self.inlines:
            for row in inline.formset.initial_forms:
                if type(row.instance) is type(obj) and row.instance.pk == obj.pk:
                    return row.add_prefix(name)
        raise AssertionError(f"no inline row for {obj!r}")


def admin_page(user: User, url: str) -> AdminPage:
    """The form and inlines the page at `url` shows the superuser, and its unchanged POST body.

    Where the view returns a TemplateResponse its template is not rendered: the form and formsets
    are the objects the template would render (prefixes, management forms, initial values), and
    rendering them as HTML would double the time of every case.
    """
    request = RequestFactory().get(url)
    request.user = user
    match = resolve(url)
    # A view that renders its page itself (the history form) leaves only the context it rendered,
    # kept here as the test client keeps it.
    rendered = []

    def keep(sender, context, **kwargs):
        if "adminform" in context and not rendered:
            rendered.append(copy(context))

    template_rendered.connect(keep, dispatch_uid="permission-matrix")
    try:
        response = match.func(request, *match.args, **match.kwargs)
    finally:
        template_rendered.disconnect(dispatch_uid="permission-matrix")
    context = getattr(response, "context_data", None) or rendered[0]
    assert response.status_code == 200, f"GET {url} as the superuser answered {response.status_code}"
    page = AdminPage(context, _form_values(context["adminform"].form))
    for inline in page.inlines:
        formset = inline.formset
        page.data[f"{formset.prefix}-TOTAL_FORMS"] = formset.initial_form_count()
        page.data[f"{formset.prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        for row in formset.initial_forms:
            page.data.update(_form_values(row))
    return page


# --- What a request wrote -----------------------------------------------------------------------


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def database_state() -> dict[str, int]:
    """Row counts of every table of the record apps, history and link tables included, in one query."""
    tables = [
        model._meta.db_table
        for label in roles.RECORD_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    quote = connection.ops.quote_name
    # Table names from the models, not from input.
    sql = " UNION ALL ".join(f"SELECT '{table}', COUNT(*) FROM {quote(table)}" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


def anything_written() -> Callable[[], bool]:
    before = database_state()
    return lambda: database_state() != before


def removed(obj: models.Model) -> Callable[[], bool]:
    """Gone, or for a person marked deleted."""

    def check() -> bool:
        stored = type(obj)._base_manager.filter(pk=obj.pk).first()
        return stored is None or getattr(stored, "deleted_at", None) is not None

    return check


def stored(obj: models.Model, name: str):
    return getattr(type(obj)._base_manager.get(pk=obj.pk), name)


def free_text_field(model) -> str:
    """A field of free text whose value decides nothing: what the matrix edits and restores.

    Where every such field is part of a unique constraint (a name variant's text, an
    identifier's value), one of those: the matrix edits one record, so nothing collides.
    """
    constrained = {f.name for f in model._meta.fields if f.unique}
    for constraint in model._meta.constraints:
        constrained |= set(getattr(constraint, "fields", ()))
    free_text = [
        f
        for f in model._meta.concrete_fields
        if f.editable
        and not f.choices
        and type(f) in (models.TextField, models.CharField)
        and (f.max_length is None or f.max_length >= len(EDITED))
    ]
    candidates = [f for f in free_text if f.name not in constrained] or free_text
    texts = [f for f in candidates if type(f) is models.TextField]
    assert candidates, f"{model._meta.label} has no free-text field to edit"
    return (texts or candidates)[0].name


def make(model) -> models.Model:
    factory = FACTORIES.get(model._meta.label)
    if factory is None:
        pytest.fail(f"{model._meta.label} is registered in the admin but has no factory in FACTORIES")
    return factory()


def with_an_earlier_version(obj: models.Model) -> tuple[int, str]:
    """Edit `obj` once through the service; returns the first version's history_id and the edited field's old value."""
    name = free_text_field(type(obj))
    original = getattr(obj, name)
    setattr(obj, name, EDITED)
    record_save(acting_user=SYSTEM, obj=obj, reason="edited for the permission matrix")
    return obj.history.order_by("history_id").first().history_id, original


# --- One request per route ----------------------------------------------------------------------


@dataclass
class Probe:
    url: str
    written: Callable[[], bool]
    data: dict | None = None
    redirects_to: str | None = None


@dataclass
class Asker:
    """Who sends the request, and the superuser whose pages give the forms it posts."""

    role: str
    user: User
    builder: User
    model: type[models.Model]

    def refused(self, kind: str, method: str) -> bool:
        return expected_answers(self.model, kind, method)[self.role] == FORBIDDEN


def probe_changelist(model, method, asker):
    make(model)
    return Probe(admin_url(model, "changelist"), anything_written())


def probe_add(model, method, asker):
    if method == "GET" or asker.refused("add", method):
        # Without the refusal an empty body would get the form back (200): the status check fails
        # as surely as it would for a save, without rendering a form to fill.
        return Probe(admin_url(model, "add"), anything_written())
    # The values of a record the factory makes, with no inline rows, sent to the add form once
    # that record is gone (so nothing unique is taken).
    obj = make(model)
    page = admin_page(asker.builder, admin_url(model, "change", obj.pk))
    data = {**_form_values(page.form), **page.no_inline_rows()}
    # Nothing here touches what is public: that is the second test's business.
    data.update({name: value for name, value in [("publication_state", "draft"), ("is_public", False)] if name in data})
    for name, form_field in page.form.fields.items():
        if isinstance(form_field, forms.FileField) and form_field.required:
            data[name] = pdf()
    type(obj)._base_manager.filter(pk=obj.pk).delete()
    before = model._base_manager.count()
    return Probe(admin_url(model, "add"), lambda: model._base_manager.count() == before + 1, data)


def probe_change(model, method, asker):
    obj = make(model)
    url = admin_url(model, "change", obj.pk)
    if method == "GET" or asker.refused("change", method):
        return Probe(url, anything_written())  # as for add, a refusal needs no filled form
    page = admin_page(asker.builder, url)
    name = free_text_field(model)
    assert name in page.form.fields, f"{name} is not on the change form of {model._meta.label}"
    return Probe(url, lambda: written_or_held_for_review(obj, name), {**page.data, name: EDITED})


def written_or_held_for_review(obj, name: str) -> bool:
    """The edit is stored, or (a Researcher's, on a published record) waits for an Editor."""
    held = ChangeProposal.objects.waiting().of_record(obj).filter(changes__has_key=name)
    return stored(obj, name) == EDITED or any(proposal.changes[name][1] == EDITED for proposal in held)


def probe_delete(model, method, asker):
    obj = make(model)
    return Probe(admin_url(model, "delete", obj.pk), removed(obj), {"post": "yes"})


def probe_history(model, method, asker):
    obj = make(model)
    return Probe(admin_url(model, "history", obj.pk), anything_written())


def probe_history_form(model, method, asker):
    obj = make(model)
    history_id, _original = with_an_earlier_version(obj)
    url = admin_url(model, "simple_history", obj.pk, history_id)
    data = None
    if method == "POST":
        # The old version's form as rendered, with one more edit so that any save would show.
        data = {**admin_page(asker.builder, url).data, free_text_field(model): "written through the history form"}
    return Probe(url, anything_written(), data)


def probe_restore_version(model, method, asker):
    obj = make(model)
    history_id, original = with_an_earlier_version(obj)
    name = free_text_field(model)
    return Probe(admin_url(model, "restore_version", obj.pk, history_id), lambda: stored(obj, name) == original, {})


def probe_object(model, method, asker):
    obj = make(model)
    change = admin_url(model, "change", obj.pk)
    return Probe(change.removesuffix("change/"), anything_written(), {}, redirects_to=change)


def probe_timeline(model, method, asker):
    person = make(model)
    return Probe(admin_url(model, "timeline", person.pk), anything_written(), {})


def probe_intake_start(model, method, asker):
    title = "An article entered through the matrix"
    data = {"title": title, "text": "Someone was detained in July 2021."}
    return Probe(admin_url(model, "intake_start"), lambda: Source.objects.filter(title=title).exists(), data)


def probe_intake(model, method, asker):
    text = "Matrix Person was detained in July 2021."
    source = sf.SourceFactory(text=text)
    data = {
        "quote": text,
        "new_person_name": "Matrix Person",
        "fact_type": "status_event",
        "status": Status.DETAINED,
        "date": "2021-07",
        "certainty": "reported",
    }
    return Probe(admin_url(model, "intake", source.pk), lambda: source.citations.exists(), data)


def probe_fetch(model, method, asker):
    source = sf.SourceFactory()
    return Probe(admin_url(model, "fetch", source.pk), lambda: stored(source, "fetch_state") == FetchState.QUEUED, {})


def import_jobs() -> set[str]:
    return set(default_storage.listdir(JOBS_DIR)[1]) if default_storage.exists(JOBS_DIR) else set()


def probe_import(model, method, asker):
    data = {"file": SimpleUploadedFile("people.csv", import_file("Imported Person"), "text/csv")}
    jobs = import_jobs()
    return Probe(admin_url(model, "import"), lambda: import_jobs() != jobs, data)


def _job_of(owner: User) -> str:
    data = import_file("Imported Person")
    return import_job_create(
        data=data, file_name="people.csv", user=owner, plan=cases_file_check(acting_user=owner, data=data)
    )


def probe_import_job(model, method, asker):
    job = _job_of(asker.user)
    return Probe(
        admin_url(model, "import_job", uuid.UUID(job)), lambda: import_job_status(job)["state"] != JobState.CHECKED, {}
    )


def probe_import_status(model, method, asker):
    job = _job_of(asker.user)
    written = anything_written()
    url = admin_url(model, "import_status", uuid.UUID(job))
    return Probe(url, lambda: written() or import_job_status(job)["state"] != JobState.CHECKED, {})


def probe_import_example(model, method, asker):
    return Probe(admin_url(model, "import_example"), anything_written())


def probe_action(model, name: str):
    changelist = admin_url(model, "changelist")
    if name == "delete_selected":
        obj = make(model)
        return Probe(changelist, removed(obj), {"action": name, "_selected_action": [obj.pk], "post": "yes"})
    if model is ChangeProposal and name in ("approve", "reject"):
        proposal = pf.ChangeProposalFactory()
        decided = ProposalState.APPROVED if name == "approve" else ProposalState.REJECTED
        return Probe(
            changelist,
            lambda: stored(proposal, "state") == decided,
            {"action": name, "_selected_action": [proposal.pk]},
        )
    assert model is Person, f"no probe for the action {name!r} of {model._meta.label}"
    if name == "publish":
        person = pf.PersonFactory(publication_state=PublicationState.DRAFT)
        sf.CitationFactory(content_object=person)
        return Probe(
            changelist,
            lambda: stored(person, "publication_state") == PublicationState.PUBLISHED,
            {"action": name, "_selected_action": [person.pk]},
        )
    if name == "withdraw":
        person = pf.PersonFactory()
        return Probe(
            changelist,
            lambda: stored(person, "publication_state") == PublicationState.WITHDRAWN,
            {"action": name, "_selected_action": [person.pk]},
        )
    if name == "merge":
        kept, merged = pf.PersonFactory(), pf.PersonFactory()
        data = {"action": name, "_selected_action": [kept.pk, merged.pk], "kept": kept.pk}
        return Probe(changelist, lambda: stored(merged, "merged_into_id") == kept.pk, data)
    if name == "restore":
        person = person_delete(acting_user=SYSTEM, person=pf.PersonFactory())
        data = {"action": name, "_selected_action": [person.pk]}
        return Probe(f"{changelist}?deleted=yes", lambda: stored(person, "deleted_at") is None, data)
    pytest.fail(f"no probe for the action {name!r} of {model._meta.label}")


PROBES = {
    "changelist": probe_changelist,
    "add": probe_add,
    "change": probe_change,
    "delete": probe_delete,
    "history": probe_history,
    "simple_history": probe_history_form,
    "restore_version": probe_restore_version,
    "object": probe_object,
    "timeline": probe_timeline,
    "intake_start": probe_intake_start,
    "intake": probe_intake,
    "fetch": probe_fetch,
    "import": probe_import,
    "import_job": probe_import_job,
    "import_status": probe_import_status,
    "import_example": probe_import_example,
}


# The login page stands in front of every admin route, whatever its arguments.
PLACEHOLDERS = {IntConverter: "1", StringConverter: "1", PathConverter: "1", UUIDConverter: str(uuid.UUID(int=1))}


def placeholder_url(model, url) -> str:
    """The route's address with made-up arguments, or the list's for an action (posted there)."""
    if url is None:
        return admin_url(model, "changelist")
    if isinstance(url.pattern, RegexPattern):
        return reverse(f"admin:{url.name}", args=["1"] * url.pattern.regex.groups)

    def placeholder(match) -> str:
        converter = type(url.pattern.converters[match.group(1)])
        if converter not in PLACEHOLDERS:
            pytest.fail(f"no placeholder for the {converter.__name__} of {url.pattern}: add one to PLACEHOLDERS")
        return PLACEHOLDERS[converter]

    return admin_url(model, "changelist") + re.sub(r"<(?:\w+:)?(\w+)>", placeholder, str(url.pattern))


@pytest.mark.parametrize(("model", "url", "kind", "method"), anonymous_cases())
def test_every_admin_route_sends_anonymous_visitors_to_the_login_page(model, url, kind, method, clients):
    address = placeholder_url(model, url)
    data = {"action": kind.removeprefix("action:"), "_selected_action": ["1"], "post": "yes"} if url is None else {}
    written = anything_written()

    response = clients[ANONYMOUS].get(address) if method == "GET" else clients[ANONYMOUS].post(address, data)

    assert response.status_code == 302, f"{method} {address} answered {response.status_code}"
    assert response["Location"] == f"{reverse('admin:login')}?next={address}", f"{method} {address}"
    assert not written(), f"{method} {address} wrote without a login"


@pytest.mark.parametrize(("role", "model", "kind", "method"), staff_cases())
def test_every_admin_route_answers_each_role_as_the_access_model_says(
    role, model, kind, method, users, clients, builder
):
    rule = expected_answers(model, kind, method)
    if rule is None or (kind not in PROBES and not kind.startswith("action:")):
        pytest.fail(
            f"{model._meta.label} has the admin route {kind!r}, which has no rule here: add it to EXPECTED and PROBES"
        )
    if kind.startswith("action:"):
        probe = probe_action(model, kind.removeprefix("action:"))
    else:
        probe = PROBES[kind](model, method, Asker(role, users[role], builder, model))
    client = clients[role]

    response = client.get(probe.url) if method == "GET" else client.post(probe.url, probe.data or {})

    where = f"{role} {method} {probe.url}"
    expected = rule[role]
    errors = response.context and response.context.get("errors")
    assert response.status_code == expected.status, (
        f"{where} answered {response.status_code}, not {expected.status}: {errors}"
    )
    if probe.redirects_to:
        assert response["Location"] == probe.redirects_to
    assert probe.written() is expected.writes, f"{where} {'did not write' if expected.writes else 'wrote'}"


# --- Nothing below Editor makes anything more public -----------------------------------------------


class World:
    """The records the attacks aim at, each made the first time an attack asks for it."""

    @cached_property
    def published(self) -> Person:
        return pf.PersonFactory(display_name="Published Person")

    @cached_property
    def other_published(self) -> Person:
        return pf.PersonFactory(display_name="Other Published")

    @cached_property
    def draft(self) -> Person:
        # Cited, so that publishing it is refused for want of the permission, not of a source.
        person = pf.PersonFactory(display_name="Draft Person", publication_state=PublicationState.DRAFT)
        sf.CitationFactory(content_object=person)
        return person

    @cached_property
    def deleted(self) -> Person:
        return person_delete(acting_user=SYSTEM, person=pf.PersonFactory(display_name="Deleted Person"))

    @cached_property
    def once_published(self) -> Person:
        """Published, then back to draft: its first version is a published one."""
        person = pf.PersonFactory(display_name="Once Published")
        sf.CitationFactory(content_object=person)
        person.publication_state = PublicationState.DRAFT
        return record_save(acting_user=SYSTEM, obj=person, reason="back to draft for the test")

    @cached_property
    def private_citation(self) -> Citation:
        """Private, on a public fact of a public person."""
        return sf.CitationFactory(content_object=pf.StatusEventFactory(person=self.published), is_private=True)

    @cached_property
    def private_person_citation(self) -> Citation:
        return sf.CitationFactory(content_object=self.published, is_private=True)

    @cached_property
    def private_variant(self) -> NameVariant:
        return pf.NameVariantFactory(person=self.published, text="Private Spelling", is_private=True)

    @cached_property
    def restricted_document(self) -> Document:
        return self._document(is_public=False, people=[self.published])

    @cached_property
    def shared_document(self) -> Document:
        """Marked public, but not public: it also concerns a draft person."""
        return self._document(is_public=True, people=[self.published, self.draft])

    @cached_property
    def public_document(self) -> Document:
        return self._document(is_public=True, people=[self.published])

    @cached_property
    def unlinked_document(self) -> Document:
        """Marked public, but not public: it concerns nobody yet."""
        return self._document(is_public=True, people=[])

    def _document(self, *, is_public: bool, people: list[Person]) -> Document:
        document = sf.DocumentFactory(is_public=is_public)
        document.people.add(*people)
        return document


def what_is_public() -> dict[str, set]:
    return {
        "people": set(Person.objects.public().values_list("pk", flat=True)),
        "citations": set(Citation.objects.public().values_list("pk", flat=True)),
        # With its file: a public document's file is what the public downloads.
        "documents": set(Document.objects.public().values_list("pk", "file")),
        "name variants": set(NameVariant.objects.public().values_list("pk", flat=True)),
        "sources": set(Source.objects.public().values_list("pk", flat=True)),
    }


def people_state() -> dict[int, tuple]:
    return {
        pk: rest for pk, *rest in Person.objects.values_list("pk", "publication_state", "deleted_at", "merged_into")
    }


Act = Callable[[Client], object]  # sends the attack's request(s) as a role; returns the last response


@dataclass(frozen=True)
class Attack:
    route: str  # the method and route, for the failure message
    # Makes the records and the POST body (as the superuser's page gives it), then returns the act.
    prepare: Callable[[World, User], Act]
    worked: Callable[[World], bool]
    editors_may: bool = True


def form_post(url: Callable[[World], str], changes: Callable[[AdminPage, World], dict]):
    """The attack of posting the form at `url` as rendered, with `changes`."""

    def prepare(world: World, builder: User) -> Act:
        address = url(world)
        page = admin_page(builder, address)
        data = {**page.data, **changes(page, world)}
        return lambda client: client.post(address, data)

    return prepare


def action_post(name: str, selected: Callable[[World], list[Person]], query: str = "", **extra):
    def prepare(world: World, builder: User) -> Act:
        people = selected(world)
        data = {"action": name, "_selected_action": [person.pk for person in people], **extra}
        if name == "merge":
            data["kept"] = people[0].pk
        return lambda client: client.post(admin_url(Person, "changelist") + query, data)

    return prepare


def plain_post(url: Callable[[World], str]):
    def prepare(world: World, builder: User) -> Act:
        address = url(world)
        return lambda client: client.post(address)

    return prepare


def csv_import_post():
    """Upload a file, then confirm the job if the preview offers one, with the import run here."""

    def prepare(world: World, builder: User) -> Act:
        def act(client: Client):
            upload = SimpleUploadedFile("people.csv", import_file("Imported As Public", public="yes"), "text/csv")
            response = client.post(admin_url(Person, "import"), {"file": upload})
            confirm_url = response.context.get("confirm_url") if response.context else None
            if not confirm_url:
                return response
            was_eager = celery_app.conf.task_always_eager
            celery_app.conf.task_always_eager = True  # the task runs here, where it can see this test's rows
            try:
                with TestCase.captureOnCommitCallbacks(execute=True):
                    return client.post(confirm_url)
            finally:
                celery_app.conf.task_always_eager = was_eager

        return act

    return prepare


def is_public(queryset, obj) -> bool:
    return queryset.filter(pk=obj.pk).exists()


def first_version(person: Person) -> int:
    return person.history.order_by("history_id").first().history_id


def person_change(person: Callable[[World], Person]):
    return lambda world: admin_url(Person, "change", person(world).pk)


def document_change(document: Callable[[World], Document]):
    return lambda world: admin_url(Document, "change", document(world).pk)


def document_link(world: World) -> models.Model:
    return Document.people.through.objects.get(document=world.shared_document, person=world.draft)


ATTACKS = {
    "person-change-form-publishes-a-draft": Attack(
        "POST person change form, publication_state=published",
        form_post(person_change(lambda w: w.draft), lambda page, w: {"publication_state": PublicationState.PUBLISHED}),
        lambda w: is_public(Person.objects.public(), w.draft),
    ),
    "person-add-form-adds-a-published-person": Attack(
        "POST person add form, publication_state=published",
        form_post(
            lambda w: admin_url(Person, "add"),
            lambda page, w: {"display_name": "Added As Published", "publication_state": PublicationState.PUBLISHED},
        ),
        lambda w: Person.objects.public().filter(display_name="Added As Published").exists(),
        editors_may=False,  # a new person has no citation yet: it is published once cited
    ),
    "person-save-as-new-copies-a-published-person": Attack(
        "POST person change form of a published person, _saveasnew",
        form_post(
            person_change(lambda w: w.published),
            lambda page, w: {"_saveasnew": "Save as new", "display_name": "Saved As New", "slug": ""},
        ),
        lambda w: Person.objects.public().filter(display_name="Saved As New").exists(),
        editors_may=False,  # the copy has none of the original's citations
    ),
    "action-publish": Attack(
        "POST person changelist, action=publish",
        action_post("publish", lambda w: [w.draft]),
        lambda w: is_public(Person.objects.public(), w.draft),
    ),
    "action-withdraw": Attack(
        "POST person changelist, action=withdraw",
        action_post("withdraw", lambda w: [w.published]),
        lambda w: stored(w.published, "publication_state") == PublicationState.WITHDRAWN,
    ),
    "action-merge": Attack(
        "POST person changelist, action=merge",
        action_post("merge", lambda w: [w.published, w.other_published]),
        lambda w: stored(w.other_published, "merged_into_id") == w.published.pk,
    ),
    "action-restore": Attack(
        "POST person changelist?deleted=yes, action=restore",
        action_post("restore", lambda w: [w.deleted], query="?deleted=yes"),
        lambda w: is_public(Person.objects.public(), w.deleted),
    ),
    "action-delete-selected": Attack(
        "POST person changelist, action=delete_selected",
        action_post("delete_selected", lambda w: [w.published], post="yes"),
        lambda w: stored(w.published, "deleted_at") is not None,
    ),
    "history-form-posts-a-published-version": Attack(
        "POST person history/<id>/<history_id>/ of a published version",
        form_post(
            lambda w: admin_url(Person, "simple_history", w.once_published.pk, first_version(w.once_published)),
            lambda page, w: {"publication_state": PublicationState.PUBLISHED},
        ),
        lambda w: is_public(Person.objects.public(), w.once_published),
        editors_may=False,
    ),
    "restore-version-of-a-published-version": Attack(
        "POST person history/<id>/<history_id>/restore/ of a published version",
        plain_post(
            lambda w: admin_url(Person, "restore_version", w.once_published.pk, first_version(w.once_published))
        ),
        lambda w: is_public(Person.objects.public(), w.once_published),
    ),
    "citation-change-form-unticks-private": Attack(
        "POST citation change form, is_private unticked",
        form_post(
            lambda w: admin_url(Citation, "change", w.private_citation.pk), lambda page, w: {"is_private": False}
        ),
        lambda w: is_public(Citation.objects.public(), w.private_citation),
    ),
    "person-citation-inline-unticks-private": Attack(
        "POST person change form, citation inline is_private unticked",
        form_post(
            person_change(lambda w: w.private_person_citation.content_object),
            lambda page, w: {page.inline_key(w.private_person_citation, "is_private"): False},
        ),
        lambda w: is_public(Citation.objects.public(), w.private_person_citation),
    ),
    "name-variant-inline-unticks-private": Attack(
        "POST person change form, name variant inline is_private unticked",
        form_post(
            person_change(lambda w: w.private_variant.person),
            lambda page, w: {page.inline_key(w.private_variant, "is_private"): False},
        ),
        lambda w: is_public(NameVariant.objects.public(), w.private_variant),
    ),
    "name-variant-change-form-unticks-private": Attack(
        "POST name variant change form, is_private unticked",
        form_post(
            lambda w: admin_url(NameVariant, "change", w.private_variant.pk), lambda page, w: {"is_private": False}
        ),
        lambda w: is_public(NameVariant.objects.public(), w.private_variant),
    ),
    "status-event-citation-inline-unticks-private": Attack(
        "POST status event change form, citation inline is_private unticked",
        form_post(
            lambda w: admin_url(StatusEvent, "change", w.private_citation.object_id),
            lambda page, w: {page.inline_key(w.private_citation, "is_private"): False},
        ),
        lambda w: is_public(Citation.objects.public(), w.private_citation),
    ),
    "document-change-form-ticks-public": Attack(
        "POST document change form, is_public ticked",
        form_post(document_change(lambda w: w.restricted_document), lambda page, w: {"is_public": True}),
        lambda w: is_public(Document.objects.public(), w.restricted_document),
    ),
    "document-add-form-adds-a-public-document": Attack(
        "POST document add form, is_public=1",
        form_post(
            lambda w: admin_url(Document, "add"),
            lambda page, w: {"title": "Added As Public", "file": pdf(), "is_public": True, "people": [w.published.pk]},
        ),
        lambda w: Document.objects.public().filter(title="Added As Public").exists(),
    ),
    "csv-import-of-a-public-row": Attack(
        "POST person import/ then import/<job>/, public=yes",
        csv_import_post(),
        lambda w: Person.objects.public().filter(display_name="Imported As Public").exists(),
    ),
    # Documents are restricted until an Editor makes them public. One that concerns a
    # non-public person is not public, so taking that person off it publishes it.
    "document-change-form-drops-the-draft-person": Attack(
        "POST document change form, people without the draft person",
        form_post(document_change(lambda w: w.shared_document), lambda page, w: {"people": [w.published.pk]}),
        lambda w: is_public(Document.objects.public(), w.shared_document),
    ),
    "person-document-inline-drops-the-draft-person": Attack(
        "POST the draft person's change form, document inline row deleted",
        form_post(
            person_change(lambda w: document_link(w).person),
            lambda page, w: {page.inline_key(document_link(w), "DELETE"): "on"},
        ),
        lambda w: is_public(Document.objects.public(), w.shared_document),
    ),
    # Or by giving a document marked public the public person it lacked.
    "document-change-form-links-a-public-person": Attack(
        "POST document change form of a document concerning nobody, people=[a published person]",
        form_post(document_change(lambda w: w.unlinked_document), lambda page, w: {"people": [w.published.pk]}),
        lambda w: is_public(Document.objects.public(), w.unlinked_document),
    ),
    "person-document-inline-links-a-document": Attack(
        "POST a published person's change form, new document inline row",
        form_post(
            person_change(lambda w: w.published),
            lambda page, w: page.new_inline_row(Document.people.through, document=w.unlinked_document.pk),
        ),
        lambda w: is_public(Document.objects.public(), w.unlinked_document),
    ),
    "document-save-as-new-copies-a-public-document": Attack(
        "POST document change form of a public document, _saveasnew with a file",
        form_post(
            document_change(lambda w: w.public_document),
            lambda page, w: {"_saveasnew": "Save as new", "title": "Saved As New Document", "file": pdf()},
        ),
        lambda w: Document.objects.public().filter(title="Saved As New Document").exists(),
    ),
    # The file is what the public downloads: a new one is as unreviewed as a new document.
    "document-change-form-replaces-a-public-file": Attack(
        "POST document change form of a public document, new file",
        form_post(document_change(lambda w: w.public_document), lambda page, w: {"file": pdf("replacement.pdf")}),
        lambda w: stored(w.public_document, "file") != w.public_document.file.name,
    ),
}


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
@pytest.mark.parametrize("role", [VIEWER, RESEARCHER])
def test_no_route_lets_anyone_below_editor_make_anything_more_public(role, attack, clients, builder):
    act = attack.prepare(World(), builder)
    public_before, people_before = what_is_public(), people_state()

    response = act(clients[role])

    where = f"{role} {attack.route} (answered {response.status_code})"
    public_after = what_is_public()
    # Less public is allowed (hiding a leaked contact must be quick); more public is not.
    newly_public = {kind: public_after[kind] - public_before[kind] for kind in public_after}
    assert not any(newly_public.values()), f"{where} made public: {newly_public}"
    people_after = people_state()
    assert {pk: people_after.get(pk) for pk in people_before} == people_before, f"{where} changed a person's state"


EDITORS_MAY = {name: attack for name, attack in ATTACKS.items() if attack.editors_may}


@pytest.mark.parametrize("attack", EDITORS_MAY.values(), ids=EDITORS_MAY.keys())
def test_editors_do_each_of_those_through_the_same_route(attack, clients, builder):
    world = World()
    act = attack.prepare(world, builder)
    assert not attack.worked(world)

    response = act(clients[EDITOR])

    errors = response.context and response.context.get("errors")
    assert attack.worked(world), f"editor {attack.route} answered {response.status_code} and did nothing: {errors}"


@pytest.mark.parametrize("role", [EDITOR, SUPERUSER])
def test_the_history_form_never_saves_even_for_editors_and_superusers(role, clients, builder):
    attack, world = ATTACKS["history-form-posts-a-published-version"], World()
    act = attack.prepare(world, builder)
    written = anything_written()

    response = act(clients[role])

    assert response.status_code == 403
    assert not attack.worked(world) and not written()
