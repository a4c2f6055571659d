import base64

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from prisoners.admin_base import ServiceAdmin, ServiceInlineMixin
from prisoners.corroboration import fact_corroborate, repeats_of

from .admin_intake import SourceIntakeAdminMixin
from .documents import ALLOWED_EXTENSIONS, clean_upload, document_queue_process
from .forms import REPEATS_RECORDED, offer_recorded_facts
from .intake import REPEAT_SEPARATE
from .models import Certainty, Citation, Document, Snapshot, Source
from .services import citation_add

QUOTE_WITHOUT_SOURCE = _("Choose the source this quote comes from.")


# Fields a citation never supports: bookkeeping, and what a researcher does not state from a source.
UNCITED_FIELDS = frozenset({"slug", "photo", "publication_state", "review_state", "is_private", "person", "defendant"})


def citable_field_choices(model) -> list[tuple[str, str]]:
    """The fields of `model` a citation can support, by their labels, after "the whole record"."""
    fields = [
        (field.name, str(field.verbose_name))
        for field in model._meta.concrete_fields
        if field.editable and not field.primary_key and field.name not in UNCITED_FIELDS
    ]
    return [("", _("the whole record")), *fields]


class CitedFieldSelect(forms.Select):
    """The cited field, chosen from the record's fields; a value typed before the list existed stays."""

    def optgroups(self, name, value, attrs=None):
        known = {choice for choice, _label in self.choices}
        self.choices = [*self.choices, *((v, v) for v in value if v and v not in known)]
        return super().optgroups(name, value, attrs)


class CitationInline(ServiceInlineMixin, GenericTabularInline):
    model = Citation
    extra = 0
    fields = ["source", "quote", "locator", "certainty", "field_name", "claim", "is_private"]
    autocomplete_fields = ["source"]
    formfield_overrides = {Citation._meta.get_field("quote").__class__: {"widget": forms.Textarea(attrs={"rows": 2})}}

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        field = formset.form.base_fields["field_name"]
        field.widget = CitedFieldSelect(choices=citable_field_choices(self.parent_model))
        return formset


class CitedFactForm(forms.ModelForm):
    """A fact's form with a quick citation: pick a source, paste the passage, done."""

    cite_source = forms.ModelChoiceField(
        queryset=Source.objects.all(),
        required=False,
        label=_("cite source"),
        widget=AutocompleteSelect(Citation._meta.get_field("source"), admin.site),
    )
    cite_quote = forms.CharField(required=False, label=_("quote"), widget=forms.Textarea(attrs={"rows": 2, "cols": 30}))
    cite_certainty = forms.ChoiceField(
        choices=Certainty.choices, initial=Certainty.REPORTED, required=False, label=_("certainty")
    )

    repeat_choice = forms.CharField(
        required=False,
        label=_("already recorded?"),
        widget=forms.RadioSelect,
        help_text=_("Shown when this looks like a fact already recorded."),
    )
    # The recorded fact this form's report is one more citation of, once the researcher says so.
    corroborates = None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("cite_quote") and not cleaned.get("cite_source"):
            self.add_error("cite_source", QUOTE_WITHOUT_SOURCE)
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        if self.errors or self.instance.pk is not None or self.cleaned_data.get("DELETE"):
            return
        repeats = {str(fact.pk): fact for fact in repeats_of(self.instance)}
        if not repeats:
            return
        choice = self.cleaned_data.get("repeat_choice", "")
        if choice == REPEAT_SEPARATE:
            return
        if choice in repeats and self.cleaned_data.get("cite_source"):
            self.corroborates = repeats[choice]
            return
        offer_recorded_facts(self, repeats.values(), REPEATS_ONE if choice in repeats else REPEATS_RECORDED)


REPEATS_ONE = _("To add your source to the recorded fact, choose the source and paste the passage.")


CITE_FIELDS = ["cite_source", "cite_quote", "cite_certainty", "repeat_choice"]


def cite_from_form(form: forms.Form, *, acting_user) -> None:
    """Store the quick citation a CitedFactForm carried, once its fact is saved (or cite the fact it repeats)."""
    data = getattr(form, "cleaned_data", None) or {}
    if getattr(form, "corroborates", None) is not None:
        fact_corroborate(
            acting_user=acting_user,
            recorded=form.corroborates,
            reported=form.instance,
            source=data["cite_source"],
            quote=data.get("cite_quote", ""),
            certainty=data.get("cite_certainty") or Certainty.REPORTED,
        )
        return
    if not data.get("cite_source") or not form.instance.pk or data.get("DELETE"):
        return
    citation_add(
        acting_user=acting_user,
        fact=form.instance,
        source=data["cite_source"],
        quote=data.get("cite_quote", ""),
        certainty=data.get("cite_certainty") or Certainty.REPORTED,
    )


class CitingAdminMixin:
    """Saves quick citations from the change form and from every inline using CitedFactForm.

    A form whose fact repeats a recorded one, and whose researcher chose to add the source to
    that one, saves no new fact: its citation goes to the recorded fact (prisoners.corroboration).
    """

    def saves_instead(self, request, form) -> bool:
        return getattr(form, "corroborates", None) is not None

    def response_add(self, request, obj, post_url_continue=None):
        recorded = getattr(request, "corroborated", None)
        if recorded is None:
            return super().response_add(request, obj, post_url_continue)
        opts = recorded._meta
        self.message_user(request, _("Your source was added to the fact already recorded."), messages.SUCCESS)
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[recorded.pk]))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        cite_from_form(form, acting_user=request.user)
        if getattr(form, "corroborates", None) is not None:
            request.corroborated = form.corroborates

    def save_formset(self, request, form, formset, change) -> int:
        held = super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            if isinstance(inline_form, CitedFactForm):
                cite_from_form(inline_form, acting_user=request.user)
        return held


class CitationCountMixin:
    """Shows how many citations each inline row has, counted in the inline's one query."""

    @admin.display(description=_("citations"))
    def citation_count(self, obj):
        return getattr(obj, "n_citations", 0) if obj.pk else "—"

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(n_citations=Count("citations", distinct=True))


class SnapshotInline(admin.TabularInline):
    model = Snapshot
    extra = 0
    can_delete = False
    fields = ["fetched_at", "url", "http_status", "content_type", "sha256"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Source)
class SourceAdmin(SourceIntakeAdminMixin, ServiceAdmin):
    list_display = ["title", "outlet", "author", "published", "kind", "fetch_state", "link_is_dead", "citation_total"]
    list_filter = ["kind", "language", "fetch_state", "link_is_dead"]
    search_fields = ["title", "outlet", "author", "url"]
    readonly_fields = [
        "created_at",
        "fetch_state",
        "fetch_error",
        "fetch_attempts",
        "fetch_controls",
        "link_status",
        "link_checked_at",
        "link_is_dead",
    ]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [SnapshotInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(n_citations=Count("citations"))

    @admin.display(description=_("citations"), ordering="n_citations")
    def citation_total(self, obj):
        return obj.n_citations

    @admin.display(description=_("archive"))
    def fetch_controls(self, obj):
        if not obj.pk:
            return "—"
        # A submit button with its own formaction: no form nested inside the change form.
        retry = (
            format_html(
                '<button type="submit" formaction="{}" formnovalidate class="button">{}</button> ',
                reverse("admin:sources_source_fetch", args=[obj.pk]),
                _("Fetch and archive again"),
            )
            if obj.url
            else ""
        )
        return format_html(
            '{}<a class="button" href="{}">{}</a>',
            retry,
            reverse("admin:sources_source_intake", args=[obj.pk]),
            _("Read and cite (intake)"),
        )


@admin.register(Citation)
class CitationAdmin(ServiceAdmin):
    list_display = ["__str__", "certainty", "content_type", "cited_record"]
    list_filter = ["certainty", "content_type"]
    search_fields = ["quote", "source__title", "claim"]
    autocomplete_fields = ["source"]
    list_select_related = ["source", "content_type"]

    def get_queryset(self, request):
        # The cited records, one query per kind, for the links of cited_record().
        return super().get_queryset(request).prefetch_related("content_object")

    @admin.display(description=_("record"))
    def cited_record(self, obj):
        label = f"{obj.content_type.name} #{obj.object_id}"
        try:
            url = reverse(f"admin:{obj.content_type.app_label}_{obj.content_type.model}_change", args=[obj.object_id])
        except NoReverseMatch:
            # Edited inline on its person's page (name variants): link there.
            person_id = getattr(obj.content_object, "person_id", None)
            if person_id is None:
                return label
            url = reverse("admin:prisoners_person_change", args=[person_id])
        return format_html('<a href="{}">{}</a>', url, label)


class DocumentAdminForm(forms.ModelForm):
    """A new file is checked by its content, and a photo loses its EXIF (GPS, camera) before it is stored."""

    class Meta:
        model = Document
        fields = ["file", "title", "kind", "date", "is_public", "people", "source", "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.checked_upload = None
        file_field = self.fields.get("file")
        if file_field is None:
            return  # read-only for this user (view permission only)
        file_field.widget.attrs["accept"] = ",".join(
            [*ALLOWED_EXTENSIONS, *(ext for exts in ALLOWED_EXTENSIONS.values() for ext in exts)]
        )
        file_field.help_text = _(
            "A PDF, JPEG, PNG or WebP file of at most %(limit)s. "
            "Photos are stored without their EXIF data (GPS position, camera, time)."
        ) % {"limit": filesizeformat(settings.DOCUMENT_MAX_BYTES)}

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if not isinstance(uploaded, UploadedFile):
            return uploaded  # the stored file, kept as it is
        checked, cleaned = clean_upload(uploaded)
        self.checked_upload = checked
        # Served with this type from the first request on, before the worker has processed the file.
        self.instance.content_type = checked.content_type
        return cleaned


@admin.register(Document)
class DocumentAdmin(ServiceAdmin):
    form = DocumentAdminForm
    list_display = ["title", "kind", "date", "is_public", "source"]
    list_filter = ["kind", "is_public"]
    # `text` is the text extracted from PDFs, so a phrase from a verdict finds the verdict.
    search_fields = ["title", "description", "text"]
    autocomplete_fields = ["people", "source"]
    list_select_related = ["source"]
    readonly_fields = [
        "created_at",
        "protected_link",
        "thumbnail_preview",
        "extracted_text_length",
        "original_name",
        "content_type",
        "file_size",
        "sha256",
    ]

    def save_related(self, request, form, formsets, change):
        checked = getattr(form, "checked_upload", None)
        obj = form.instance
        if checked is not None:
            obj.original_name = checked.name
        super().save_related(request, form, formsets, change)
        if checked is not None or not obj.sha256:
            document_queue_process(document=obj)

    @admin.display(description=_("file link"))
    def protected_link(self, obj):
        if not obj.pk:
            return "—"
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), _("open (checks permissions)"))

    @admin.display(description=_("thumbnail"))
    def thumbnail_preview(self, obj):
        # Inlined as a data: URL: media is never served, and this page is already permission-checked.
        if not obj.thumbnail:
            return "—"
        try:
            with obj.thumbnail.open("rb") as fh:
                encoded = base64.b64encode(fh.read()).decode("ascii")
        except OSError:
            return "—"
        return format_html('<img src="data:image/jpeg;base64,{}" alt="{}">', encoded, _("thumbnail of the image"))

    @admin.display(description=_("extracted text"))
    def extracted_text_length(self, obj):
        if not obj.sha256:
            return _("not processed yet")
        if not obj.text:
            return _("none (not a PDF, or a PDF without a text layer)")
        return _("%(count)s characters") % {"count": len(obj.text)}

    @admin.display(description=_("size"))
    def file_size(self, obj):
        return filesizeformat(obj.size) if obj.sha256 else "—"
