"""A person's timeline in the admin: their facts in time order, each opened on its own form, which returns here."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import urlencode

from prisoners import roles
from prisoners.admin_timeline import return_url
from prisoners.models import (
    ChangeProposal,
    CustodyPeriod,
    Defendant,
    ExternalIdentifier,
    NameVariant,
    ProposalKind,
    PublicationState,
    Release,
    ReviewState,
    Sentence,
    Status,
    StatusEvent,
)
from prisoners.services import record_save
from sources.models import Citation, Document
from tests.prisoners import factories as pf
from tests.sources import factories as sf

pytestmark = pytest.mark.django_db

NO_CITATION_ROWS = {
    "sources-citation-content_type-object_id-TOTAL_FORMS": 0,
    "sources-citation-content_type-object_id-INITIAL_FORMS": 0,
}
PASSWORD = "not-used-in-tests"


def timeline_url(person) -> str:
    return reverse("admin:prisoners_person_timeline", args=[person.pk])


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def from_timeline(url: str, of, **prefilled) -> str:
    """`url` as the timeline of the person `of` links to it: with the prefilled fields and the way back."""
    return f"{url}?{urlencode({**prefilled, 'next': timeline_url(of)})}"


def timeline(client, person):
    response = client.get(timeline_url(person), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response


def rows_of(response) -> list:
    """Every row of the timeline's tables, a case's charges and sentences after it."""
    rows = []
    for row in [*response.context["events"], *response.context["names"]]:
        rows += [row, *row.children]
    return rows


def view_only_user(username: str = "viewer") -> User:
    """Staff who may see every record and change none, as the permission matrix's view-only account."""
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=roles.RECORD_APPS, codename__startswith="view_")
    )
    return user


@pytest.fixture
def viewer_client(client):
    client.force_login(view_only_user())
    return client


def documented_person(facts_per_kind: int = 1):
    """A person with `facts_per_kind` facts of every kind the timeline lists, each cited once."""
    person = pf.PersonFactory()
    for n in range(facts_per_kind):
        for fact in [
            pf.StatusEventFactory(person=person, date=f"{2010 + n}-05"),
            pf.CustodyPeriodFactory(person=person, start=f"{2010 + n}", end=f"{2011 + n}-02-03"),
            pf.ReleaseFactory(person=person, date=f"{2012 + n}?", group=pf.ReleaseGroupFactory()),
            pf.NameVariantFactory(person=person),
        ]:
            sf.CitationFactory(content_object=fact)
        sentence = pf.SentenceFactory(defendant=pf.DefendantFactory(person=person), date=f"{2011 + n}")
        sf.CitationFactory(content_object=sentence)
        sf.CitationFactory(content_object=pf.ChargeFactory(defendant=sentence.defendant))
        pf.ExternalIdentifierFactory(person=person)
    return person


# --- What it lists ------------------------------------------------------------------------------


def test_the_facts_are_listed_in_time_order_with_their_dates_as_stored(researcher_client):
    person = pf.PersonFactory()
    release = pf.ReleaseFactory(person=person, date="2025-06-21")
    undated = pf.StatusEventFactory(person=person, date="", status=Status.RECOGNISED)
    on_or_before = pf.StatusEventFactory(person=person, date="../2020-05-12", status=Status.PRE_TRIAL)
    custody = pf.CustodyPeriodFactory(person=person, start="2020-05", end="2025-06-21")
    detained = pf.StatusEventFactory(person=person, date="2020", status=Status.DETAINED)
    sentence = pf.SentenceFactory(defendant=pf.DefendantFactory(person=person), date="2021?")
    charge = pf.ChargeFactory(defendant=sentence.defendant)

    response = timeline(researcher_client, person)

    # Earliest possible day first: "2020" may be 1 January, "2020-05" 1 May, "on or before
    # 12 May" is placed by its 12 May; a case by its first sentence, with its charges first.
    facts = [row.fact for row in rows_of(response)]
    assert facts[:8] == [detained, custody, on_or_before, sentence.defendant, charge, sentence, release, undated]
    page = response.content.decode()
    for stored, reading in [
        ("2020", ""),
        ("2020-05 – 2025-06-21", "May 2020 – 21 June 2025"),
        ("../2020-05-12", "on or before 12 May 2020"),
        ("2021?", ""),
    ]:
        shown = f"<code>{stored}</code>" + (f'<br><span class="reading">{reading}</span>' if reading else "")
        assert shown in page, stored
    assert '<span class="undated">no date</span>' in page


def test_names_and_identifiers_are_listed_with_what_is_never_public_marked(researcher_client):
    person = pf.PersonFactory(display_name="Ales Bialiatski")
    pf.NameVariantFactory(person=person, text="Алесь Бяляцкі")
    private = pf.NameVariantFactory(person=person, text="A name the family uses", is_private=True)
    pf.ExternalIdentifierFactory(person=person, scheme="import", value="sheet-17")

    response = timeline(researcher_client, person)

    rows = {row.summary: row for row in response.context["names"]}
    assert {"Ales Bialiatski", "Алесь Бяляцкі", "A name the family uses"} <= set(rows)
    assert rows["A name the family uses"].is_private and rows["A name the family uses"].fact == private
    assert rows["import identifier (internal): sheet-17"].is_private
    assert rows["import identifier (internal): sheet-17"].citations is None  # identifiers are not cited


def test_a_fact_waiting_for_review_and_a_held_change_are_marked(researcher_client, researcher):
    person = pf.PersonFactory()  # published: a Researcher's new fact waits for an editor
    waiting = record_save(acting_user=researcher, obj=StatusEvent(person=person, date="2021-07", status="detained"))
    reviewed = pf.StatusEventFactory(person=person, date="2020-08")
    ChangeProposal.objects.create(
        kind=ProposalKind.CHANGE, target=reviewed, person=person, changes={"note": ["", "in Minsk"]}
    )
    assert waiting.review_state == ReviewState.PENDING

    response = timeline(researcher_client, person)

    rows = {row.fact: row for row in response.context["events"]}
    assert rows[waiting].is_pending and not rows[reviewed].is_pending
    assert rows[reviewed].has_waiting_change and not rows[waiting].has_waiting_change
    page = response.content.decode()
    assert page.count('<span class="badge pending">waiting for review</span>') == 1
    assert page.count('<span class="badge pending">a change waits for review</span>') == 1


def test_each_row_counts_its_citations_and_its_private_ones(researcher_client):
    event = pf.StatusEventFactory()
    sf.CitationFactory(content_object=event)
    sf.CitationFactory(content_object=event, is_private=True)
    response = timeline(researcher_client, event.person)
    (row,) = response.context["events"]
    assert (row.citations, row.private_citations) == (2, 1)
    assert '<td class="col-citations">2 <span class="badge private">1 private</span></td>' in response.content.decode()


# --- Where its links go ----------------------------------------------------------------------------


def test_every_row_links_to_its_own_form_which_leads_back(researcher_client):
    person = documented_person()
    rows = rows_of(timeline(researcher_client, person))
    assert {type(row.fact) for row in rows} == {
        StatusEvent,
        CustodyPeriod,
        Release,
        Defendant,
        Sentence,
        pf.models.Charge,
        NameVariant,
        ExternalIdentifier,
    }
    for row in rows:
        assert row.link.label == "Change"
        assert row.link.url == from_timeline(admin_url(type(row.fact), "change", row.fact.pk), person)
        page = researcher_client.get(row.link.url)
        assert page.status_code == 200, row.link.url
        assert page.context["timeline_url"] == timeline_url(person)
        # The fact's own fields and its citations, nothing else.
        inlines = {inline.formset.model for inline in page.context["inline_admin_formsets"]}
        assert inlines <= {Citation, pf.models.Charge, Sentence}, row.link.url
        assert f'href="{timeline_url(person)}" id="back-to-timeline"' in page.content.decode()


def test_the_add_links_open_a_form_with_the_person_or_the_case_filled_in(researcher_client):
    person = pf.PersonFactory()
    defendant = pf.DefendantFactory(person=person)
    response = timeline(researcher_client, person)
    add_links = [link.url for link in response.context["add_links"]]
    (case_row,) = response.context["events"]
    under_case = [link.url for link in case_row.actions]

    kinds = [StatusEvent, CustodyPeriod, Defendant, Release, NameVariant, ExternalIdentifier]
    assert add_links == [from_timeline(admin_url(model, "add"), person, person=person.pk) for model in kinds]
    assert under_case == [
        from_timeline(admin_url(model, "add"), person, defendant=defendant.pk) for model in (pf.models.Charge, Sentence)
    ]
    for url, field, value in [
        *((u, "person", person.pk) for u in add_links),
        *((u, "defendant", defendant.pk) for u in under_case),
    ]:
        page = researcher_client.get(url)
        assert page.status_code == 200, url
        assert str(page.context["adminform"].form.initial[field]) == str(value), url


def test_a_citations_field_is_chosen_from_the_facts_fields(researcher_client):
    event = pf.StatusEventFactory()
    sf.CitationFactory(content_object=event, field_name="date")
    (row,) = timeline(researcher_client, event.person).context["events"]
    page = researcher_client.get(row.link.url)
    citations = next(i for i in page.context["inline_admin_formsets"] if i.formset.model is Citation)
    choices = dict(citations.formset.empty_form.fields["field_name"].widget.choices)
    assert choices[""] == "the whole record" and {"date", "status", "note"} <= set(choices)
    assert '<option value="date" selected>date</option>' in page.content.decode()


def test_the_person_page_links_to_the_timeline_and_holds_only_the_persons_own_rows(researcher_client):
    person = documented_person()
    page = researcher_client.get(admin_url(pf.models.Person, "change", person.pk))
    html = page.content.decode()
    assert f'<a href="{timeline_url(person)}" class="timelinelink" id="timeline-link">' in html
    assert f'<a class="button" href="{timeline_url(person)}">Open the timeline</a>' in html
    inlines = {inline.formset.model for inline in page.context["inline_admin_formsets"]}
    assert inlines == {NameVariant, Citation, Document.people.through}


# --- Saving returns to the timeline ---------------------------------------------------------------


def test_a_fact_added_from_the_timeline_is_saved_with_its_citation_and_returns_there(researcher_client, researcher):
    person = pf.PersonFactory(publication_state=PublicationState.DRAFT)
    source = sf.SourceFactory()
    data = {
        "person": person.pk,
        "date": "12.05.2021",
        "status": Status.DETAINED,
        "cite_source": source.pk,
        "cite_quote": "detained on 12 May",
        "cite_certainty": "confirmed",
        **NO_CITATION_ROWS,
    }

    response = researcher_client.post(from_timeline(admin_url(StatusEvent, "add"), person, person=person.pk), data)

    assert response.status_code == 302 and response["Location"] == timeline_url(person)
    event = person.status_events.get()
    assert event.date == "2021-05-12" and event.history.get().history_user == researcher
    citation = Citation.objects.get()
    assert (citation.content_object, citation.source, citation.certainty) == (event, source, "confirmed")
    (row,) = timeline(researcher_client, person).context["events"]
    assert (row.fact, row.citations) == (event, 1)


def test_an_edit_returns_to_the_timeline_and_continue_keeps_the_way_back(researcher_client):
    event = pf.StatusEventFactory(date="2021-07-14", person=pf.PersonFactory(publication_state="draft"))
    person = event.person
    url = from_timeline(admin_url(StatusEvent, "change", event.pk), person)
    data = {"person": person.pk, "date": "2021-07-15", "status": Status.DETAINED, "note": "", **NO_CITATION_ROWS}

    saved = researcher_client.post(url, data)
    assert saved.status_code == 302 and saved["Location"] == timeline_url(person)
    event.refresh_from_db()
    assert event.date == "2021-07-15"

    continued = researcher_client.post(url, {**data, "note": "in Minsk", "_continue": "1"})
    assert continued["Location"] == url

    another = from_timeline(admin_url(StatusEvent, "add"), person, person=person.pk)
    added = researcher_client.post(another, {**data, "date": "2022", "_addanother": "1"})
    assert added["Location"] == another


def test_a_way_back_to_another_site_is_ignored(researcher_client, rf):
    event = pf.StatusEventFactory(person=pf.PersonFactory(publication_state="draft"))
    url = f"{admin_url(StatusEvent, 'change', event.pk)}?{urlencode({'next': 'https://evil.example/'})}"
    data = {"person": event.person.pk, "date": "2021", "status": Status.DETAINED, **NO_CITATION_ROWS}
    response = researcher_client.post(url, data)
    assert response.status_code == 302 and response["Location"] == admin_url(StatusEvent, "changelist")
    assert return_url(rf.get("/", {"next": "//evil.example/admin/"})) is None
    assert (
        return_url(rf.get("/", {"next": "/admin/prisoners/person/1/timeline/"}))
        == "/admin/prisoners/person/1/timeline/"
    )


def test_an_editor_deletes_a_fact_from_its_form_and_returns_to_the_timeline(editor_client):
    release = pf.ReleaseFactory()
    person = release.person
    change = editor_client.get(from_timeline(admin_url(Release, "change", release.pk), person))
    delete_url = from_timeline(admin_url(Release, "delete", release.pk), person)
    assert f'href="{delete_url.replace("&", "&amp;")}" class="deletelink"' in change.content.decode()

    response = editor_client.post(delete_url, {"post": "yes"})

    assert response.status_code == 302 and response["Location"] == timeline_url(person)
    assert not Release.objects.exists()


# --- Who may do what ------------------------------------------------------------------------------


def test_a_user_without_change_permission_sees_no_edit_or_add_links(viewer_client):
    person = documented_person()
    response = timeline(viewer_client, person)
    assert {row.link.label for row in rows_of(response)} == {"View"}
    assert response.context["add_links"] == []
    assert all(row.actions == [] for row in response.context["events"])
    page = response.content.decode()
    assert 'class="changelink"' not in page and 'class="addlink"' not in page and "/add/?" not in page


def test_a_view_only_user_cannot_post_a_fact_form(viewer_client):
    event = pf.StatusEventFactory(date="2021-07-14")
    person = event.person
    data = {"person": person.pk, "date": "2022", "status": Status.DETAINED, **NO_CITATION_ROWS}

    changed = viewer_client.post(from_timeline(admin_url(StatusEvent, "change", event.pk), person), data)
    added = viewer_client.post(from_timeline(admin_url(StatusEvent, "add"), person, person=person.pk), data)
    deleted = viewer_client.post(from_timeline(admin_url(StatusEvent, "delete", event.pk), person), {"post": "yes"})

    assert (changed.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    event.refresh_from_db()
    assert event.date == "2021-07-14" and StatusEvent.objects.count() == 1


def test_the_timeline_itself_takes_no_posts(researcher_client):
    person = pf.PersonFactory()
    assert researcher_client.post(timeline_url(person)).status_code == 405


def logged_in(username: str, role: str | None = None) -> Client:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


def test_each_account_sees_the_links_of_its_own_role():
    person = documented_person()
    event = person.status_events.get()
    researcher, editor = logged_in("researcher", roles.RESEARCHER), logged_in("editor", roles.EDITOR)
    no_role = logged_in("staff without a role")

    for client in (researcher, editor):
        assert {row.link.label for row in rows_of(timeline(client, person))} == {"Change"}
    fact_form = from_timeline(admin_url(StatusEvent, "change", event.pk), person)
    # Deleting is an Editor's: the Researcher's form of the same fact has no delete link.
    assert 'class="deletelink"' not in researcher.get(fact_form).content.decode()
    assert 'class="deletelink"' in editor.get(fact_form).content.decode()
    assert no_role.get(timeline_url(person)).status_code == 403


def test_private_notes_and_private_citations_are_shown_to_staff_only(client, researcher):
    person = pf.PersonFactory(private_notes="Family contact: ask the lawyer")
    sf.CitationFactory(content_object=pf.StatusEventFactory(person=person), is_private=True)
    login = reverse("admin:login")

    anonymous = client.get(timeline_url(person))
    client.force_login(User.objects.create_user("reader", password=PASSWORD, is_staff=False))
    reader = client.get(timeline_url(person))

    for response in (anonymous, reader):
        assert response.status_code == 302 and response["Location"].startswith(login)
        assert b"Family contact" not in response.content
    client.force_login(researcher)
    page = timeline(client, person).content.decode()
    assert "Family contact: ask the lawyer" in page and '<span class="badge private">1 private</span>' in page


# --- Cost --------------------------------------------------------------------------------------


def test_the_timeline_runs_as_many_queries_for_five_facts_of_each_kind_as_for_one(
    researcher_client, django_assert_num_queries
):
    # One query per kind of fact, whatever their number; content types are cached by the first page.
    one, five = documented_person(1), documented_person(5)
    timeline(researcher_client, one)
    with CaptureQueriesContext(connection) as queries:
        timeline(researcher_client, one)
    with django_assert_num_queries(len(queries)):
        response = timeline(researcher_client, five)
    assert len(rows_of(response)) == 5 * 8 + 1  # and the person's own name


# --- The intake leads here ---------------------------------------------------------------------


def test_the_intake_links_to_the_timeline_of_the_person_it_recorded_a_fact_for(researcher_client):
    person = pf.PersonFactory(display_name="Ales Bialiatski", publication_state=PublicationState.DRAFT)
    source = sf.SourceFactory(text="Ales Bialiatski was detained on 14 July 2021.")
    passage = {
        "quote": "Ales Bialiatski was detained on 14 July 2021.",
        "other_person": person.pk,
        "fact_type": "status_event",
        "status": Status.DETAINED,
        "date": "14.07.2021",
        "certainty": "reported",
    }

    response = researcher_client.post(
        reverse("admin:sources_source_intake", args=[source.pk]), passage, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert person.status_events.get().date == "2021-07-14"
    (message,) = [str(m) for m in response.context["messages"]]
    assert message.startswith("Saved with its citation:")
    link = f'<a href="{timeline_url(person)}" class="timeline-link">Open the timeline of Ales Bialiatski</a>'
    assert link in message and link in response.content.decode()
