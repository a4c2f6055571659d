"""Admin views for turning an article into cited facts: start, read and mark up, record."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from prisoners.models import Person
from prisoners.services import person_ids_of

from .archive import source_queue_fetch
from .forms import IntakeFactForm, IntakeStartForm
from .intake import (
    REPEAT_SEPARATE,
    RepeatsRecorded,
    SourceExists,
    intake_record_fact,
    marked_html,
    marking_skipped_reason,
    marks_in,
    source_create_from_intake,
)
from .models import Source


class SourceIntakeAdminMixin:
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("intake/", self.admin_site.admin_view(self.intake_start_view), name="%s_%s_intake_start" % info),
            path("<int:pk>/intake/", self.admin_site.admin_view(self.intake_view), name="%s_%s_intake" % info),
            path("<int:pk>/fetch/", self.admin_site.admin_view(self.fetch_view), name="%s_%s_fetch" % info),
            *super().get_urls(),
        ]

    def intake_start_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        bound = request.method == "POST"
        form = IntakeStartForm(request.POST if bound else None, request.FILES if bound else None)
        if request.method == "POST" and form.is_valid():
            try:
                source = source_create_from_intake(
                    acting_user=request.user,
                    url=form.cleaned_data["url"],
                    title=form.cleaned_data["title"],
                    text=form.cleaned_data["text"],
                    upload=form.cleaned_data["file"],
                )
            except SourceExists as exists:
                messages.info(
                    request,
                    _("%(url)s is already a source: here it is, and nothing new was saved.")
                    % {"url": exists.source.url},
                )
                return redirect("admin:sources_source_intake", pk=exists.source.pk)
            except ValueError as error:
                form.add_error("file", str(error))
            else:
                return redirect("admin:sources_source_intake", pk=source.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Add from article"),
            "form": form,
            "opts": self.opts,
        }
        return TemplateResponse(request, "admin/sources/source/intake_start.html", context)

    def intake_view(self, request, pk):
        source = get_object_or_404(Source, pk=pk)
        if not self.has_change_permission(request, source):
            raise PermissionDenied
        marks = marks_in(source.text)
        mentioned = list(Person.objects.filter(pk__in={int(m.value) for m in marks if m.kind == "person"}))
        form = IntakeFactForm(request.POST if request.method == "POST" else None, mentioned=mentioned)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                fact = self._record(request, source, data)
            except RepeatsRecorded as recorded:
                form.offer_recorded(recorded.repeats)
            else:
                if data["repeat_choice"] and data["repeat_choice"] != REPEAT_SEPARATE:
                    saved = _("Added as one more citation of: %(fact)s") % {"fact": fact}
                else:
                    saved = _("Saved with its citation: %(fact)s") % {"fact": fact}
                messages.success(request, self._with_timeline_link(saved, fact))
                return redirect("admin:sources_source_intake", pk=source.pk)
        return self._intake_page(request, source, marks, form)

    def _with_timeline_link(self, message: str, fact):
        """The message, with a link to the timeline of the person the fact is about, to check or go on there."""
        person = Person.objects.filter(pk__in=person_ids_of(fact)).first()
        if person is None:
            return message
        url = reverse("admin:prisoners_person_timeline", args=[person.pk])
        label = _("Open the timeline of %(name)s") % {"name": person.display_name}
        return format_html('{} <a href="{}" class="timeline-link">{}</a>', message, url, label)

    def _record(self, request, source, data):
        return intake_record_fact(
            acting_user=request.user,
            source=source,
            fact_type=data["fact_type"],
            person=data["person"],
            new_person_name=data["new_person_name"],
            quote=data["quote"],
            certainty=data["certainty"],
            date=data["date"],
            status=data["status"],
            release_type=data["release_type"],
            term=data["term"],
            sentence_kind=data["sentence_kind"] or "original",
            regime=data["regime"],
            case_title=data["case_title"],
            article=data["article"],
            group=data["group"],
            new_group_name=data["new_group_name"],
            mediator=data["mediator"],
            destination=data["destination"],
            repeat_choice=data["repeat_choice"],
        )

    def _intake_page(self, request, source, marks, form):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Intake: %(title)s") % {"title": source.title},
            "source": source,
            "marked_text": marked_html(source.text, marks),
            "marking_skipped": marking_skipped_reason(source.text),
            "form": form,
            "media": self.media + form.media,
            "opts": self.opts,
            "cited": source.citations.select_related("content_type").order_by("-pk")[:50],
        }
        return TemplateResponse(request, "admin/sources/source/intake.html", context)

    def fetch_view(self, request, pk):
        source = get_object_or_404(Source, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, source):
            raise PermissionDenied
        source_queue_fetch(source=source)
        messages.info(request, _("Fetching %(url)s again.") % {"url": source.url})
        return redirect(reverse("admin:sources_source_change", args=[source.pk]))
