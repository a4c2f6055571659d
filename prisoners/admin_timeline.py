"""A person's timeline in the admin: every fact in time order, each edited on its own focused form.

The person's change page holds only the person's own fields; what happened to them (status
events, custody, cases with their charges and sentences, releases) and their names and
identifiers are listed here, one row per fact. Each row links to that fact's own admin page
(the fact and its citations, nothing else), which returns here after saving or deleting:
those pages are the ordinary ModelAdmins of the fact models, so the permission checks and
the write path (prisoners.services through ServiceAdmin) are theirs, not this module's.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from casetracker.dates import humanize_edtf

from .checks import implausible_dates
from .models import (
    INTERNAL_IDENTIFIER_SCHEMES,
    ChangeProposal,
    Charge,
    CustodyPeriod,
    Defendant,
    ExternalIdentifier,
    NameVariant,
    Person,
    ProposalKind,
    Release,
    ReviewState,
    Sentence,
    StatusEvent,
)
from .services import person_ids_of

# The query parameter of a fact's admin page that names the page to go back to after a save.
RETURN_PARAM = "next"
FACT_FORM_TEMPLATE = "admin/prisoners/person/fact_change_form.html"
NOTE_LENGTH = 80


def return_url(request) -> str | None:
    """The page a fact's form was opened from (?next=), if it is on this site; None otherwise."""
    url = request.GET.get(RETURN_PARAM, "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def with_return(url: str, back_to: str) -> str:
    """`url` with the return parameter added (kept as it is if it has one)."""
    base, _sep, fragment = url.partition("#")
    if f"{RETURN_PARAM}=" in base.partition("?")[2]:
        return url
    joined = f"{base}{'&' if '?' in base else '?'}{urlencode({RETURN_PARAM: back_to})}"
    return f"{joined}#{fragment}" if fragment else joined


class ReturnsToTimelineMixin:
    """For a fact's ModelAdmin: opened with ?next=<timeline>, its add, change and delete pages go back there.

    The return address rides along as one of the admin's preserved filters, so "Save and
    continue editing", "Save and add another" and the delete link keep it; a plain save or a
    confirmed delete then redirects to it instead of to the fact's change list.
    """

    change_form_template = FACT_FORM_TEMPLATE

    def get_preserved_filters(self, request):
        preserved = super().get_preserved_filters(request)
        back_to = return_url(request)
        if back_to is None:
            return preserved
        return "&".join(part for part in (preserved, urlencode({RETURN_PARAM: back_to})) if part)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["timeline_url"] = return_url(request)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        self._warn_of_implausible_dates(request, obj, response)
        if "_addanother" in request.POST and return_url(request) and isinstance(response, HttpResponseRedirect):
            # Another one of the same kind for the same person: the add page as it was opened.
            return HttpResponseRedirect(request.get_full_path())
        return self._back_to_timeline(request, response)

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        self._warn_of_implausible_dates(request, obj, response)
        return self._back_to_timeline(request, response)

    def _warn_of_implausible_dates(self, request, obj, response) -> None:
        # As the person's own page does (prisoners.checks): a date typed here can contradict theirs.
        if not isinstance(response, HttpResponseRedirect):
            return
        for person in Person.objects.filter(pk__in=person_ids_of(obj)):
            for warning in implausible_dates(person):
                self.message_user(request, warning, messages.WARNING)

    def response_delete(self, request, obj_display, obj_id):
        return self._back_to_timeline(request, super().response_delete(request, obj_display, obj_id))

    def _back_to_timeline(self, request, response):
        back_to = return_url(request)
        if back_to is None or IS_POPUP_VAR in request.POST or not isinstance(response, HttpResponseRedirect):
            return response
        if {"_continue", "_addanother", "_saveasnew"} & set(request.POST):
            return HttpResponseRedirect(with_return(response["Location"], back_to))
        return HttpResponseRedirect(back_to)


class HiddenFromIndexMixin:
    """A fact's focused admin, reached from the timeline: not listed on the admin index."""

    def get_model_perms(self, request):
        return {}


# --- What the timeline shows -------------------------------------------------------------------


@dataclass
class Link:
    label: str
    url: str
    css: str = ""  # the admin's icon class: addlink, changelink, viewlink


@dataclass
class TimelineRow:
    """One fact, as the timeline lists it."""

    fact: models.Model
    kind: str
    date: str  # the EDTF as stored ("2020-05", "2021?", "2020-05/2021"), or "" for none
    date_reading: str  # how it reads ("May 2020")
    summary: str
    note: str = ""
    citations: int | None = None  # None: this kind of record is not cited
    private_citations: int = 0
    is_pending: bool = False  # a new fact waiting for an editor
    has_waiting_change: bool = False  # a change to it waiting for an editor
    is_private: bool = False  # never shown publicly (a private name, an internal identifier)
    link: Link | None = None
    actions: list[Link] = field(default_factory=list)
    children: list[TimelineRow] = field(default_factory=list)  # a case's charges and sentences
    dateless: bool = False  # a kind with no date of its own: a case (placed by its sentences), a charge
    sort_key: tuple = ()

    @property
    def anchor(self) -> str:
        return f"{self.fact._meta.model_name}-{self.fact.pk}"


def _bounds_key(earliest: dt.date | None, latest: dt.date | None) -> tuple:
    """Earliest possible day first; an "on or before" date by its latest; undated last."""
    first = earliest or latest
    return (first is None, first or dt.date.max, latest or dt.date.max)


def _with_citation_counts(queryset):
    return queryset.annotate(
        n_citations=Count("citations", distinct=True),
        n_private_citations=Count("citations", filter=Q(citations__is_private=True), distinct=True),
    )


def _period_text(start: str, end: str) -> str:
    """A custody period's two stored dates; ".." for an end not given, as EDTF writes an open end."""
    return f"{start or '..'} – {end or '..'}" if start or end else ""


def _period_reading(start: str, end: str) -> str:
    return f"{humanize_edtf(start) or '…'} – {humanize_edtf(end) or '…'}" if start or end else ""


def _note(text: str) -> str:
    return Truncator(text).chars(NOTE_LENGTH)


def _row(fact, waiting: set[tuple[str, str, int]], **values) -> TimelineRow:
    """The row of `fact` (read with _with_citation_counts() where its kind is cited).

    `waiting` holds (app label, model name, pk) of the facts with a change held for review.
    """
    opts = fact._meta
    cited = hasattr(fact, "n_citations")
    values.setdefault("kind", capfirst(opts.verbose_name))
    return TimelineRow(
        fact=fact,
        citations=fact.n_citations if cited else None,
        private_citations=fact.n_private_citations if cited else 0,
        is_pending=getattr(fact, "review_state", ReviewState.APPROVED) == ReviewState.PENDING,
        has_waiting_change=(opts.app_label, opts.model_name, fact.pk) in waiting,
        **values,
    )


@dataclass
class PersonTimeline:
    """Everything recorded about one person, in the few queries that read it (one per kind of fact)."""

    events: list[TimelineRow]  # in time order; a case comes with its charges and sentences
    names: list[TimelineRow]  # name variants, then identifiers


def person_timeline(person) -> PersonTimeline:
    """The person's facts as timeline rows, without links: a query per kind, however many facts."""
    # Held changes to facts readers see (a new fact waiting is marked by its own review state).
    waiting = set(
        ChangeProposal.objects.waiting()
        .filter(person=person, kind=ProposalKind.CHANGE)
        .values_list("content_type__app_label", "content_type__model", "object_id")
    )

    def row(fact, **values) -> TimelineRow:
        return _row(fact, waiting, **values)

    events = []
    for event in _with_citation_counts(StatusEvent.objects.filter(person=person)):
        events.append(
            row(
                event,
                date=event.date,
                date_reading=humanize_edtf(event.date),
                summary=event.get_status_display(),
                note=_note(event.note),
                sort_key=(*_bounds_key(event.date_earliest, event.date_latest), 0, event.pk),
            )
        )
    for period in _with_citation_counts(CustodyPeriod.objects.filter(person=person).select_related("facility")):
        events.append(
            row(
                period,
                date=_period_text(period.start, period.end),
                date_reading=_period_reading(period.start, period.end),
                summary=str(period.facility),
                note=_note(period.note),
                sort_key=(*_bounds_key(period.start_earliest, period.start_latest), 1, period.pk),
            )
        )
    for release in _with_citation_counts(Release.objects.filter(person=person).select_related("group")):
        details = [release.get_release_type_display()]
        details += [part for part in (release.group.name if release.group else "", release.taken_to) if part]
        events.append(
            row(
                release,
                date=release.date,
                date_reading=humanize_edtf(release.date),
                summary=" · ".join(details),
                note=_note(release.note),
                sort_key=(*_bounds_key(release.date_earliest, release.date_latest), 3, release.pk),
            )
        )
    events += _case_rows(person, row)
    events.sort(key=lambda r: r.sort_key)

    names = [
        row(
            variant,
            date="",
            date_reading="",
            summary=variant.text,
            note=" · ".join(part for part in (variant.get_kind_display(), variant.language) if part),
            is_private=variant.is_private,
        )
        for variant in _with_citation_counts(NameVariant.objects.filter(person=person)).order_by("text", "pk")
    ]
    names += [
        row(
            identifier,
            date="",
            date_reading="",
            summary=str(identifier),
            is_private=identifier.scheme in INTERNAL_IDENTIFIER_SCHEMES,
        )
        for identifier in ExternalIdentifier.objects.filter(person=person).order_by("scheme", "value", "pk")
    ]
    return PersonTimeline(events=events, names=names)


def _case_rows(person, row) -> list[TimelineRow]:
    """A row per case the person is a defendant in, holding its charges and sentences; dated by its first sentence."""
    charges, sentences = defaultdict(list), defaultdict(list)
    for charge in _with_citation_counts(Charge.objects.filter(defendant__person=person).select_related("article")):
        charges[charge.defendant_id].append(
            row(
                charge,
                date="",
                date_reading="",
                summary=str(charge.article),
                note=_note(charge.description),
                dateless=True,
            )
        )
    for sentence in _with_citation_counts(Sentence.objects.filter(defendant__person=person)):
        summary = f"{sentence.get_kind_display()}: {sentence.term}"
        if sentence.regime:
            summary += f" · {sentence.get_regime_display()}"
        sentences[sentence.defendant_id].append(
            row(
                sentence,
                date=sentence.date,
                date_reading=humanize_edtf(sentence.date),
                summary=summary,
                note=_note(sentence.note),
                sort_key=(*_bounds_key(sentence.date_earliest, sentence.date_latest), 2, sentence.pk),
            )
        )
    cases = []
    for defendant in Defendant.objects.filter(person=person).select_related("case"):
        its_sentences = sorted(sentences[defendant.pk], key=lambda r: r.sort_key)
        first = its_sentences[0].sort_key[:3] if its_sentences else _bounds_key(None, None)
        cases.append(
            row(
                defendant,
                kind=capfirst(_("case")),
                date="",
                date_reading="",
                summary=str(defendant.case),
                note=_note(defendant.note),
                children=[*sorted(charges[defendant.pk], key=lambda r: r.fact.pk), *its_sentences],
                dateless=True,
                sort_key=(*first, 2, defendant.pk),
            )
        )
    return cases


# --- The view ----------------------------------------------------------------------------------


# What the timeline offers to add for the person (?person=<id>), in this order, and under each
# of their cases (?defendant=<id>: charges and sentences belong to the person's role in the case).
ADDABLE = [StatusEvent, CustodyPeriod, Defendant, Release, NameVariant, ExternalIdentifier]
ADDABLE_UNDER_A_CASE = [Charge, Sentence]


class PersonTimelineAdminMixin:
    """For PersonAdmin: /admin/prisoners/person/<id>/timeline/."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        timeline = path(
            "<path:object_id>/timeline/",
            self.admin_site.admin_view(self.timeline_view),
            name="%s_%s_timeline" % info,
        )
        return [timeline, *super().get_urls()]

    def timeline_view(self, request, object_id):
        return require_GET(self._timeline_page)(request, object_id)

    def _timeline_page(self, request, object_id):
        person = self.get_object(request, object_id)
        if person is None:
            raise Http404
        if not self.has_view_permission(request, person):
            raise PermissionDenied
        here = reverse(f"{self.admin_site.name}:prisoners_person_timeline", args=[person.pk])
        timeline = person_timeline(person)
        for entry in [*timeline.events, *timeline.names]:
            self._link(request, entry, here)
            for child in entry.children:
                self._link(request, child, here)
            if isinstance(entry.fact, Defendant):
                entry.actions = self._add_links(request, ADDABLE_UNDER_A_CASE, {"defendant": entry.fact.pk}, here)
        add_links = self._add_links(request, ADDABLE, {"person": person.pk}, here)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Timeline: %(name)s") % {"name": person.display_name},
            "opts": self.opts,
            "person": person,
            "events": timeline.events,
            "names": timeline.names,
            "add_links": add_links,
            "person_citation_count": person.citations.count(),
            "has_change_permission": self.has_change_permission(request, person),
            "change_url": reverse(f"{self.admin_site.name}:prisoners_person_change", args=[person.pk]),
        }
        return TemplateResponse(request, "admin/prisoners/person/timeline.html", context)

    def _link(self, request, entry: TimelineRow, here: str) -> None:
        """The row's link to its fact's focused form: edit if the user may change it, view if only see it."""
        model_admin = self.admin_site.get_model_admin(type(entry.fact))
        opts = entry.fact._meta
        url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[entry.fact.pk])
        url = f"{url}?{urlencode({RETURN_PARAM: here})}"
        if model_admin.has_change_permission(request, entry.fact):
            entry.link = Link(_("Change"), url, "changelink")
        elif model_admin.has_view_permission(request, entry.fact):
            entry.link = Link(_("View"), url, "viewlink")

    def _add_links(self, request, kinds, prefilled: dict, here: str) -> list[Link]:
        """Links to the add forms of the kinds the user may add, with `prefilled` and the way back here."""
        links = []
        for model in kinds:
            if not self.admin_site.get_model_admin(model).has_add_permission(request):
                continue
            url = reverse(f"{self.admin_site.name}:{model._meta.app_label}_{model._meta.model_name}_add")
            # Django's own words for it, translated in its catalogues.
            label = _("Add %(name)s") % {"name": _("case") if model is Defendant else model._meta.verbose_name}
            links.append(Link(label, f"{url}?{urlencode({**prefilled, RETURN_PARAM: here})}", "addlink"))
        return links
