from django import forms
from django.contrib import admin
from django.db import models
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.contenttypes.admin import GenericTabularInline
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Certainty, Citation, Document, Source
from .services import citation_add

QUOTE_WITHOUT_SOURCE = _("Choose the source this quote comes from.")


class CitationInline(GenericTabularInline):
    model = Citation
    extra = 0
    fields = ["source", "quote", "locator", "certainty", "field_name", "claim"]
    autocomplete_fields = ["source"]
    formfield_overrides = {Citation._meta.get_field("quote").__class__: {"widget": forms.Textarea(attrs={"rows": 2})}}


class CitedFactForm(forms.ModelForm):
    """A fact's form with a quick citation: pick a source, paste the passage, done."""

    cite_source = forms.ModelChoiceField(
        queryset=Source.objects.all(),
        required=False,
        label=_("cite source"),
        widget=AutocompleteSelect(Citation._meta.get_field("source"), admin.site),
    )
    cite_quote = forms.CharField(
        required=False, label=_("quote"), widget=forms.Textarea(attrs={"rows": 2, "cols": 30})
    )
    cite_certainty = forms.ChoiceField(
        choices=Certainty.choices, initial=Certainty.REPORTED, required=False, label=_("certainty")
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("cite_quote") and not cleaned.get("cite_source"):
            self.add_error("cite_source", QUOTE_WITHOUT_SOURCE)
        return cleaned


CITE_FIELDS = ["cite_source", "cite_quote", "cite_certainty"]


def cite_from_form(form: forms.Form) -> None:
    """Store the quick citation a CitedFactForm carried, once its fact is saved."""
    data = getattr(form, "cleaned_data", None) or {}
    if not data.get("cite_source") or not form.instance.pk or data.get("DELETE"):
        return
    citation_add(
        fact=form.instance,
        source=data["cite_source"],
        quote=data.get("cite_quote", ""),
        certainty=data.get("cite_certainty") or Certainty.REPORTED,
    )


class CitingAdminMixin:
    """Saves quick citations from the change form and from every inline using CitedFactForm."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        cite_from_form(form)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            if isinstance(inline_form, CitedFactForm):
                cite_from_form(inline_form)


class CitationCountMixin:
    """Shows how many citations each inline row has, counted in the inline's one query."""

    @admin.display(description=_("citations"))
    def citation_count(self, obj):
        return getattr(obj, "n_citations", 0) if obj.pk else "—"

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(n_citations=Count("citations", distinct=True))


@admin.register(Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ["title", "outlet", "author", "published", "kind", "language", "citation_total"]
    list_filter = ["kind", "language"]
    search_fields = ["title", "outlet", "author", "url"]
    readonly_fields = ["created_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(n_citations=Count("citations"))

    @admin.display(description=_("citations"), ordering="n_citations")
    def citation_total(self, obj):
        return obj.n_citations


@admin.register(Citation)
class CitationAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "certainty", "content_type", "cited_record"]
    list_filter = ["certainty", "content_type"]
    search_fields = ["quote", "source__title", "claim"]
    autocomplete_fields = ["source"]
    list_select_related = ["source", "content_type"]

    @admin.display(description=_("record"))
    def cited_record(self, obj):
        url = reverse(f"admin:{obj.content_type.app_label}_{obj.content_type.model}_change", args=[obj.object_id])
        return format_html('<a href="{}">{} #{}</a>', url, obj.content_type.name, obj.object_id)


@admin.register(Document)
class DocumentAdmin(SimpleHistoryAdmin):
    list_display = ["title", "kind", "date", "is_public", "source"]
    list_filter = ["kind", "is_public"]
    search_fields = ["title", "description"]
    autocomplete_fields = ["people", "source"]
    list_select_related = ["source"]
    readonly_fields = ["created_at", "protected_link"]

    @admin.display(description=_("file link"))
    def protected_link(self, obj):
        if not obj.pk:
            return "—"
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("open (checks permissions)"))
