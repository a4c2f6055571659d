import datetime as dt

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IS_POPUP_VAR
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from casetracker.dates import overlaps_q
from sources.admin import CITE_FIELDS, CitationCountMixin, CitationInline, CitedFactForm, CitingAdminMixin
from sources.models import Document

from . import roles, services
from .admin_base import ServiceAdmin, ServiceInlineMixin
from .admin_import import CaseImportAdminMixin
from .admin_timeline import HiddenFromIndexMixin, PersonTimelineAdminMixin, ReturnsToTimelineMixin
from .checks import implausible_dates
from .forms import PersonAdminForm
from .models import (
    MATCH_LIMIT,
    Case,
    ChangeProposal,
    Charge,
    CustodyPeriod,
    Defendant,
    ExternalIdentifier,
    Facility,
    LegalArticle,
    NameVariant,
    Person,
    Release,
    ReleaseGroup,
    Sentence,
    StatusEvent,
)

admin.site.site_header = _("Casetracker")
admin.site.site_title = _("Casetracker admin")
admin.site.index_title = _("Cases and sources")


NAME_FIELDS = {"display_name", "name_latin", "name_be", "name_ru"}


class DeletedFilter(admin.SimpleListFilter):
    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("yes", _("deleted people (to restore)"))]

    def queryset(self, request, queryset):
        return queryset.deleted() if self.value() == "yes" else queryset.alive()


class ReleaseDateFilter(admin.SimpleListFilter):
    title = _("release date")
    parameter_name = "released"

    def lookups(self, request, model_admin):
        years = sorted(
            {d.year for d in Release.objects.exclude(date_earliest=None).values_list("date_earliest", flat=True)},
            reverse=True,
        )
        return [("last12", _("in the last 12 months")), *[(str(year), str(year)) for year in years]]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == "last12":
            today = timezone.localdate()
            window = (today - dt.timedelta(days=365), today)
        elif value.isascii() and value.isdigit() and 1 <= int(value) <= 9999:
            window = (dt.date(int(value), 1, 1), dt.date(int(value), 12, 31))
        else:
            return queryset
        released = Release.objects.filter(overlaps_q("date", *window)).values("person_id")
        return queryset.filter(pk__in=released)


class NameVariantInline(ServiceInlineMixin, admin.TabularInline):
    model = NameVariant
    extra = 1
    fields = ["text", "language", "script", "kind", "is_private"]


class CaseDefendantInline(ServiceInlineMixin, admin.TabularInline):
    model = Defendant
    extra = 1
    fields = ["person", "note"]
    autocomplete_fields = ["person"]
    show_change_link = True


class ReleaseInline(ServiceInlineMixin, CitationCountMixin, admin.TabularInline):
    model = Release
    form = CitedFactForm
    extra = 0
    fields = ["date", "release_type", "group", "destination", "note", *CITE_FIELDS, "citation_count"]
    readonly_fields = ["citation_count"]
    autocomplete_fields = ["group"]
    show_change_link = True


class GroupReleaseInline(ReleaseInline):
    fields = ["person", "date", "release_type", "destination", "note", *CITE_FIELDS, "citation_count"]
    autocomplete_fields = ["person"]


class DocumentLinkInline(ServiceInlineMixin, admin.TabularInline):
    model = Document.people.through
    extra = 0
    autocomplete_fields = ["document"]
    verbose_name = _("document")
    verbose_name_plural = _("documents")


class ChargeInline(ServiceInlineMixin, CitationCountMixin, admin.TabularInline):
    model = Charge
    form = CitedFactForm
    extra = 1
    fields = ["article", "description", *CITE_FIELDS, "citation_count"]
    readonly_fields = ["citation_count"]
    autocomplete_fields = ["article"]
    show_change_link = True


class SentenceInline(ServiceInlineMixin, CitationCountMixin, admin.StackedInline):
    model = Sentence
    form = CitedFactForm
    extra = 0
    fields = [
        ("date", "kind", "amends"),
        ("term_years", "term_months", "term_days", "regime"),
        ("court", "judge", "prosecutor"),
        ("fine_amount", "fine_unit"),
        "note",
        tuple(CITE_FIELDS),
        "citation_count",
    ]
    readonly_fields = ["citation_count"]
    autocomplete_fields = ["amends"]
    show_change_link = True


@admin.register(Person)
class PersonAdmin(PersonTimelineAdminMixin, CaseImportAdminMixin, CitingAdminMixin, ServiceAdmin):
    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and str(object_id).isdecimal():
            person = Person.objects.filter(pk=object_id).first()
            waiting = ChangeProposal.objects.waiting().filter(person=person).count() if person else 0
            if waiting:
                url = reverse("admin:prisoners_changeproposal_changelist") + "?" + urlencode({"q": person.display_name})
                text = ngettext(
                    "%(count)d change to this person waits for an editor's review.",
                    "%(count)d changes to this person wait for an editor's review.",
                    waiting,
                ) % {"count": waiting}
                self.message_user(request, format_html('{} <a href="{}">{}</a>', text, url, _("Review queue")))
        return super().change_view(request, object_id, form_url, extra_context)

    list_display = [
        "display_name",
        "current_status",
        "current_status_since",
        "region",
        "publication_state",
        "is_recognised",
        "updated_at",
    ]
    list_filter = [
        DeletedFilter,
        "current_status",
        "region",
        ReleaseDateFilter,
        "publication_state",
        "gender",
        "is_recognised",
    ]
    search_fields = [
        "display_name",
        "name_be",
        "name_ru",
        "name_latin",
        "slug",
        "name_variants__text",
        "name_variants__normalized",
    ]
    search_help_text = _("Any spelling of any name, in Latin or Cyrillic.")
    form = PersonAdminForm
    readonly_fields = ["current_status", "current_status_since", "is_recognised", "published_at"]
    actions = ["publish", "withdraw", "merge", "restore"]
    # The person's own names, citations and documents; every other fact is edited on its own
    # page from the person's timeline (prisoners.admin_timeline), which the change page links to.
    inlines = [NameVariantInline, CitationInline, DocumentLinkInline]
    fieldsets = [
        (None, {"fields": ["display_name", ("name_latin", "name_be", "name_ru"), "slug"]}),
        (
            _("About"),
            {"fields": [("birth_date", "gender"), ("occupation", "region"), "biography", "letters_address", "photo"]},
        ),
        (
            _("Status (derived from events and releases)"),
            {"fields": [("current_status", "current_status_since", "is_recognised")]},
        ),
        (_("Publication"), {"fields": [("publication_state", "published_at")]}),
        (
            _("Private"),
            {"fields": ["private_notes"], "description": _("Never shown on any public page, API or export.")},
        ),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            return fieldsets
        # Only a new person is checked against the records before saving (PersonAdminForm).
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], "not_a_duplicate"]}), *rest]

    def get_deleted_objects(self, objs, request):
        # Deleting a person only marks them deleted: nothing under them is removed.
        objs = list(objs)
        perms_needed = set() if request.user.has_perm(roles.REMOVE_PERSON) else {Person._meta.verbose_name}
        return [str(obj) for obj in objs], {Person._meta.verbose_name_plural: len(objs)}, perms_needed, []

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        person = form.instance
        services.person_names_sync(acting_user=request.user, person=person)
        names_changed = (
            not change
            or set(form.changed_data) & NAME_FIELDS
            or any(formset.model is NameVariant and formset.has_changed() for formset in formsets)
        )
        if names_changed:
            self.warn_of_duplicates(request, person)

    def warn_of_duplicates(self, request, person):
        duplicates = services.person_likely_duplicates(person=person)
        if not duplicates:
            return
        links = format_html_join(
            ", ",
            '<a href="{}">{}</a> ({}: {})',
            (
                (
                    reverse("admin:prisoners_person_change", args=[d.person.pk]),
                    d.person.display_name,
                    _("score"),
                    f"{min(d.score, 100):.0f}",
                )
                for d in duplicates
            ),
        )
        self.message_user(
            request,
            format_html("{} {}", _("This may be a person already in the records:"), links),
            messages.WARNING,
        )

    # After a save, dates that cannot all be right are warned of (prisoners.checks); never refused.
    def response_add(self, request, obj, post_url_continue=None):
        self.warn_of_implausible_dates(request, obj)
        response = super().response_add(request, obj, post_url_continue)
        other_buttons = {"_continue", "_addanother", "_saveasnew", IS_POPUP_VAR}
        if response.status_code == 302 and not other_buttons & set(request.POST):
            # A new person's facts are added next, one at a time, from their timeline.
            return HttpResponseRedirect(reverse("admin:prisoners_person_timeline", args=[obj.pk]))
        return response

    def response_change(self, request, obj):
        self.warn_of_implausible_dates(request, obj)
        return super().response_change(request, obj)

    def warn_of_implausible_dates(self, request, person):
        for warning in implausible_dates(person):
            self.message_user(request, warning, messages.WARNING)

    def get_search_results(self, request, queryset, search_term):
        """Any spelling in any script finds the person (prisoners.identity), plus the usual fields."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if not search_term.strip():
            return found, may_have_duplicates
        matched = [match.person_id for match in queryset.name_matches(search_term, limit=MATCH_LIMIT)]
        return queryset.filter(Q(pk__in=matched) | Q(pk__in=found.values("pk"))), False

    def has_merge_permission(self, request):
        return request.user.has_perm("prisoners.delete_person")

    @admin.action(description=_("Merge two selected people"), permissions=["merge"])
    def merge(self, request, queryset):
        people = list(queryset.order_by("pk")[:3])
        if len(people) != 2:
            self.message_user(request, _("Select exactly two people to merge."), messages.ERROR)
            return None
        if "kept" in request.POST:
            kept = next((p for p in people if str(p.pk) == request.POST["kept"]), None)
            if kept is None:
                self.message_user(request, _("Choose which record to keep."), messages.ERROR)
                return None
            merged = next(p for p in people if p.pk != kept.pk)
            name = merged.display_name
            # For each conflict the form says whose value wins; the other one is kept as a note.
            take = [
                conflict.field
                for conflict in services.person_merge_conflicts(kept=kept, merged=merged)
                if request.POST.get(f"winner_{conflict.field}") == str(merged.pk)
            ]
            services.person_merge(acting_user=request.user, kept=kept, merged=merged, take=take)
            self.message_user(
                request,
                _("Merged %(merged)s into %(kept)s.") % {"merged": name, "kept": kept.display_name},
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/prisoners/person/merge_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Merge two people"),
                "people": people,
                "conflicts": services.person_merge_conflicts(kept=people[0], merged=people[1]),
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def has_publish_permission(self, request):
        return request.user.has_perm("prisoners.publish_person")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            readonly.append("publication_state")
        return readonly

    def has_restore_permission(self, request):
        return request.user.has_perm(roles.REMOVE_PERSON)

    @admin.action(description=_("Restore selected deleted people"), permissions=["restore"])
    def restore(self, request, queryset):
        people = list(queryset.deleted())
        for person in people:
            services.person_restore(acting_user=request.user, person=person, reason="restored in the admin")
        message = ngettext("Restored %(count)d person.", "Restored %(count)d people.", len(people)) % {
            "count": len(people)
        }
        self.message_user(request, message, messages.SUCCESS)

    @admin.action(description=_("Publish selected people"), permissions=["publish"])
    def publish(self, request, queryset):
        published, uncited = 0, []
        for person in queryset:
            if services.person_is_cited(person):
                services.person_publish(acting_user=request.user, person=person)
                published += 1
            else:
                uncited.append(person.display_name)
        message = ngettext("Published %(count)d person.", "Published %(count)d people.", published) % {
            "count": published
        }
        self.message_user(request, message, messages.SUCCESS)
        if uncited:
            self.message_user(
                request,
                _("Not published, because nothing about them is cited yet: %(names)s.") % {"names": ", ".join(uncited)},
                messages.WARNING,
            )

    @admin.action(description=_("Withdraw selected people from the public site"), permissions=["publish"])
    def withdraw(self, request, queryset):
        for person in queryset:
            services.person_withdraw(acting_user=request.user, person=person)
        count = len(queryset)
        message = ngettext("Withdrew %(count)d person.", "Withdrew %(count)d people.", count) % {"count": count}
        self.message_user(request, message, messages.SUCCESS)


@admin.register(Case)
class CaseAdmin(ServiceAdmin):
    list_display = ["title", "case_number", "court", "jurisdiction", "defendant_count"]
    search_fields = ["title", "case_number", "court", "defendants__display_name"]
    inlines = [CaseDefendantInline, CitationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_defendants=Count("defendant_roles"))

    @admin.display(description=_("defendants"), ordering="n_defendants")
    def defendant_count(self, obj):
        return obj.n_defendants


@admin.register(Defendant)
class DefendantAdmin(ReturnsToTimelineMixin, CitingAdminMixin, ServiceAdmin):
    list_display = ["person", "case", "note"]
    search_fields = ["person__display_name", "person__name_variants__text", "case__title", "case__case_number"]
    autocomplete_fields = ["person", "case"]
    list_select_related = ["person", "case"]
    inlines = [ChargeInline, SentenceInline]


@admin.register(LegalArticle)
class LegalArticleAdmin(ServiceAdmin):
    list_display = ["article", "part", "title", "code"]
    list_filter = ["code"]
    search_fields = ["article", "title"]


@admin.register(Facility)
class FacilityAdmin(ServiceAdmin):
    list_display = ["name", "kind", "city", "region"]
    list_filter = ["kind", "region"]
    search_fields = ["name", "city"]


class FactAdmin(ReturnsToTimelineMixin, CitingAdminMixin, ServiceAdmin):
    """A single fact about a person, edited on its own page with its citations (opened from the timeline)."""

    form = CitedFactForm
    inlines = [CitationInline]
    autocomplete_fields = ["person"]
    list_select_related = ["person"]
    search_fields = ["person__display_name", "person__name_variants__text", "note"]


@admin.register(StatusEvent)
class StatusEventAdmin(FactAdmin):
    list_display = ["person", "date", "status"]
    list_filter = ["status"]
    fields = ["person", "date", "status", "note", *CITE_FIELDS]


@admin.register(Release)
class ReleaseAdmin(FactAdmin):
    list_display = ["person", "date", "release_type", "group"]
    list_filter = ["release_type", "group"]
    list_select_related = ["person", "group"]
    autocomplete_fields = ["person", "group"]
    fields = ["person", "date", "release_type", "group", "destination", "note", *CITE_FIELDS]


@admin.register(CustodyPeriod)
class CustodyPeriodAdmin(FactAdmin):
    list_display = ["person", "facility", "start", "end"]
    list_filter = ["facility__kind"]
    list_select_related = ["person", "facility"]
    autocomplete_fields = ["person", "facility"]
    fields = ["person", "facility", "start", "end", "note", *CITE_FIELDS]


@admin.register(NameVariant)
class NameVariantAdmin(HiddenFromIndexMixin, FactAdmin):
    list_display = ["text", "person", "kind", "is_private"]
    list_filter = ["kind", "script", "is_private"]
    search_fields = ["text", "person__display_name"]
    fields = ["person", "text", "language", "script", "kind", "is_private", *CITE_FIELDS]


@admin.register(ExternalIdentifier)
class ExternalIdentifierAdmin(HiddenFromIndexMixin, ReturnsToTimelineMixin, ServiceAdmin):
    list_display = ["value", "scheme", "person"]
    list_filter = ["scheme"]
    list_select_related = ["person"]
    search_fields = ["value", "person__display_name"]
    autocomplete_fields = ["person"]
    fields = ["person", "scheme", "value"]


class DefendantFactAdmin(ReturnsToTimelineMixin, CitingAdminMixin, ServiceAdmin):
    form = CitedFactForm
    inlines = [CitationInline]
    autocomplete_fields = ["defendant"]
    list_select_related = ["defendant__person", "defendant__case"]
    search_fields = ["defendant__person__display_name", "defendant__case__title"]


@admin.register(Charge)
class ChargeAdmin(DefendantFactAdmin):
    list_display = ["defendant", "article"]
    list_filter = ["article__code"]
    list_select_related = [*DefendantFactAdmin.list_select_related, "article"]
    autocomplete_fields = ["defendant", "article"]
    fields = ["defendant", "article", "description", *CITE_FIELDS]


@admin.register(Sentence)
class SentenceAdmin(DefendantFactAdmin):
    list_display = ["defendant", "date", "kind", "term_years", "term_months", "regime"]
    list_filter = ["kind", "regime"]
    autocomplete_fields = ["defendant", "amends"]
    fields = [
        "defendant",
        ("date", "kind", "amends"),
        ("term_years", "term_months", "term_days", "regime"),
        ("court", "judge", "prosecutor"),
        ("fine_amount", "fine_unit"),
        "note",
        *CITE_FIELDS,
    ]


@admin.register(ReleaseGroup)
class ReleaseGroupAdmin(CitingAdminMixin, ServiceAdmin):
    list_display = ["name", "date", "mediator", "destination", "reported_size", "people_count"]
    search_fields = ["name", "mediator", "destination"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [GroupReleaseInline, CitationInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_people=Count("releases"))

    @admin.display(description=_("people"), ordering="n_people")
    def people_count(self, obj):
        return obj.n_people


from . import admin_review  # noqa: E402, F401  (registers the review queue)
