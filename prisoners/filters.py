"""The public list's filters: every parameter maps to one PersonQuerySet predicate."""

from dataclasses import dataclass
from functools import cached_property

import django_filters
from django import forms
from django.core.cache import cache
from django.db.models import Exists, F, OuterRef
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from . import widgets
from .articles import ArticleReference, article_reference
from .collation import sort_key_field
from .freshness import PublicState, code_version, public_state
from .models import Charge, Gender, LegalArticle, Person, Region, ReleaseGroup, ReleaseType, Status

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
SORT_FIELDS = {
    "name": "sort_key_latin",  # sort_by reads the key of the reader's language
    "detained": "custody_started_on",
    "released": "released_on",
    "sentence": "total_term_days",
}
SORT_CHOICES = [
    ("name", _("name (A–Z)")),
    ("-name", _("name (Z–A)")),
    ("-detained", _("detained (newest first)")),
    ("detained", _("detained (oldest first)")),
    ("-released", _("released (newest first)")),
    ("released", _("released (oldest first)")),
    ("-sentence", _("sentence (longest first)")),
    ("sentence", _("sentence (shortest first)")),
]
# Tests match it.
NOT_AN_ARTICLE = _("“%(value)s” is not an article we can read. Write e.g. 293, Art. 293 part 1, ч. 1 ст. 293 or 293.1.")
ARTICLE_SUGGESTIONS_ID = "article-suggestions"
# The list's date inputs: parameter, element id (django-filter's for the range widget) and label.
DATE_INPUTS = (
    ("released_after", "id_released_0", _("Released from")),
    ("released_before", "id_released_1", _("Released until")),
    ("detained_after", "id_detained_0", _("Detained from")),
    ("detained_before", "id_detained_1", _("Detained until")),
)
# Entries of an older public state are never read again; this only bounds how long they stay.
CHOICES_CACHE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class ListChoices:
    """What the list's form offers that is read from the records."""

    release_groups: list[tuple[str, str]]  # (slug, name) of each public group
    articles: list[LegalArticle]  # each article a public charge is brought under


def list_choices(state: PublicState) -> ListChoices:
    """The form's choices for the public record in `state`: read once, then from the cache until it changes.

    Keyed by the public state, so any public change (a group renamed, a charge added, a person
    withdrawn) reads them again. Articles are kept as records: their labels are made in the
    reader's language (LegalArticle.title_in) each time.
    """
    key = f"prisoners:list-choices:{code_version()}:{state.token}"
    choices = cache.get(key)
    if choices is None:
        # Asked of each article in the select list, not as a filter: as a filter PostgreSQL
        # joins every charge to its case role and person first (0.75 s at 100,000 people);
        # here each article's check stops at its first public charge (4 ms for all).
        charged = Exists(Charge.objects.public().filter(article=OuterRef("pk")))
        choices = ListChoices(
            release_groups=list(ReleaseGroup.objects.public().values_list("slug", "name")),
            articles=[article for article in LegalArticle.objects.annotate(charged=charged) if article.charged],
        )
        cache.set(key, choices, CHOICES_CACHE_SECONDS)
    return choices


class ListQueryForm(forms.Form):
    """The HTML list's and the downloads' reading of the filters.

    Lenient about what a submitted search form sends (every field, the unused ones empty), but
    a value it cannot read is an error, never a filter quietly dropped. The API reads the same
    filters strictly (StrictQueryForm); its schema documents `article` as free text, so an
    article it cannot read lists no one there (charged_under) instead of a 400.
    """

    def clean_article(self):
        value = self.cleaned_data.get("article", "")
        if value and article_reference(value) is None:
            raise forms.ValidationError(NOT_AN_ARTICLE, code="not_an_article", params={"value": value})
        return value


class StrictQueryForm(forms.Form):
    """The API's reading of the filters: a parameter given twice, or given empty where empty
    means nothing, is an error that names it, not a value quietly ignored.

    The HTML list keeps django-filter's lenient form, because a submitted search form sends
    every field, the unused ones empty. An API client that sends `detained_after=` or two
    `region` values has made a mistake, and a list that silently ignores it looks like an answer.
    """

    def clean(self):
        cleaned = super().clean()
        for key in self.data:
            name = self._field_set_by(key)
            field = self.fields.get(name)
            if field is None:  # cursor and page_size: the paginator reads them
                continue
            values = self.data.getlist(key)
            if len(values) > 1 and not isinstance(field, forms.MultipleChoiceField):
                self.add_error(name, _("%(parameter)s was given more than once.") % {"parameter": key})
            elif "" in values and not isinstance(field, forms.CharField):
                self.add_error(name, _("%(parameter)s was given without a value.") % {"parameter": key})
        return cleaned

    def _field_set_by(self, key: str) -> str:
        """The form field a query parameter sets: `released_after` sets the range field `released`."""
        base, _sep, end = key.rpartition("_")
        if end in ("after", "before") and isinstance(self.fields.get(base), django_filters.fields.RangeField):
            return base
        return key


class PersonFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name"), method="filter_q", widget=widgets.TextInput)
    status = django_filters.MultipleChoiceFilter(
        label=_("Current status"),
        field_name="current_status",
        choices=[
            (value, label)
            for value, label in Status.choices
            if value not in {"recognised", "recognition_withdrawn", "transferred"}
        ],
        widget=widgets.CheckboxSelectMultiple,
        distinct=False,  # a column of the person row: no joins, so no duplicates to remove
    )
    released = django_filters.DateFromToRangeFilter(
        label=_("Released"),
        method="filter_released",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    detained = django_filters.DateFromToRangeFilter(
        label=_("Detained"),
        method="filter_detained",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    region = django_filters.ChoiceFilter(label=_("Region"), choices=Region.choices, widget=widgets.Select)
    article = django_filters.CharFilter(
        label=_("Article"),
        method="filter_article",
        widget=widgets.TextInput(attrs={"list": ARTICLE_SUGGESTIONS_ID, "autocomplete": "off"}),
    )
    release_type = django_filters.ChoiceFilter(
        label=_("Release type"), choices=ReleaseType.choices, method="filter_release_type", widget=widgets.Select
    )
    # A slug, not a model choice: an unknown or unpublished group then lists no one, exactly
    # alike, instead of a 400 that would tell the two apart. The select offers public groups.
    release_group = django_filters.CharFilter(
        label=_("Release group"), method="filter_release_group", widget=widgets.Select
    )
    gender = django_filters.ChoiceFilter(label=_("Gender"), choices=Gender.choices, widget=widgets.Select)
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=SORT_CHOICES, method="sort_by", empty_label=None, widget=widgets.Select
    )

    class Meta:
        model = Person
        fields: list[str] = []
        form = ListQueryForm

    def results(self):
        """The people the filters select; no one while a value cannot be read (invalid_parameters)."""
        return self.qs if self.is_valid() else self.queryset.none()

    @cached_property
    def invalid_parameters(self) -> dict[str, list[str]]:
        """{query parameter: reasons} for each parameter whose value cannot be read, in the form's order.

        Errors belong to form fields; a date range is one field read from two parameters
        (`released_after`, `released_before`), so each end is checked alone to name the right one.
        """
        if self.is_valid():
            return {}
        found: dict[str, list[str]] = {}
        for name, field in self.form.fields.items():
            errors = self.form.errors.get(name)
            if not errors:
                continue
            keys = self._parameters_of(name)
            if isinstance(field, django_filters.fields.RangeField):
                for key, subfield in zip(keys, field.fields, strict=True):
                    try:
                        subfield.clean(self.data.get(key, ""))
                    except forms.ValidationError as error:
                        found[key] = list(error.messages)
                if any(key in found for key in keys):
                    continue
            given = [key for key in keys if any(self.data.getlist(key))] or keys[:1]
            for key in given:
                found[key] = list(errors)
        return found

    def _parameters_of(self, name: str) -> list[str]:
        if isinstance(self.filters[name], django_filters.DateFromToRangeFilter):
            return [f"{name}_after", f"{name}_before"]
        return [name]

    def _is_readable(self, key: str, value: str) -> bool:
        """Whether this one value of `key` can be read: a chip is shown only for what filters the list."""
        if key not in self.invalid_parameters:
            return True
        field = self.form.fields.get(key)
        if isinstance(field, forms.MultipleChoiceField):
            # One unreadable status among several: the others are still understood.
            return field.valid_value(value)
        return False

    def date_inputs(self) -> list[dict]:
        """The date inputs as the list's form shows them, each with the value given and why it cannot be read."""
        return [
            {
                "name": key,
                "id": element_id,
                "label": label,
                "value": self.data.get(key, ""),
                "errors": self.invalid_parameters.get(key, []),
            }
            for key, element_id, label in DATE_INPUTS
        ]

    def error_summary(self) -> list[dict]:
        """Label, element id and reasons for each input whose value cannot be read: the form's summary links to each."""
        inputs = {key: (element_id, label) for key, element_id, label in DATE_INPUTS}
        summary = []
        for key, reasons in self.invalid_parameters.items():
            if key in inputs:
                element_id, label = inputs[key]
            else:
                field = self.form[key]
                # A group of checkboxes is reached through its first box.
                element_id, label = field.id_for_label or f"{field.auto_id}_0", field.label
            summary.append({"id": element_id, "label": label, "reasons": reasons})
        return summary

    @cached_property
    def article_suggestions(self) -> list[tuple[str, str]]:
        """(value, label) for each article a public charge is brought under: the article field's suggestions."""
        articles = self.choices.articles
        return [(str(ArticleReference(article.article, article.part)), str(article)) for article in articles]

    def active_filters(self) -> list[tuple[str, str]]:
        """(description, query string without it) for each filter value in use, to show and remove.

        Values that cannot be read have no chip: they filter nothing; the form marks them instead.
        """
        chips = []
        for name, flt in self.filters.items():
            if name == "sort":
                continue
            is_range = isinstance(flt, django_filters.DateFromToRangeFilter)
            keys = [(f"{name}_after", _("from")), (f"{name}_before", _("until"))] if is_range else [(name, "")]
            choices = self._labels(name, flt)
            for key, qualifier in keys:
                for value in self.data.getlist(key):
                    if not value or not self._is_readable(key, value):
                        continue
                    remaining = self.data.copy()
                    remaining.setlist(key, [other for other in self.data.getlist(key) if other != value])
                    remaining.pop("page", None)
                    shown = choices.get(value, value)
                    label = f"{flt.label} {qualifier}".strip()
                    chips.append((f"{label}: {shown}", remaining.urlencode()))
        return chips

    def filter_q(self, queryset, name, value):
        return queryset.matching(value)

    def filter_released(self, queryset, name, value):
        return queryset.released_between(value.start, value.stop)

    def filter_detained(self, queryset, name, value):
        return queryset.detained_between(value.start, value.stop)

    def filter_article(self, queryset, name, value):
        return queryset.charged_under(value)

    def filter_release_type(self, queryset, name, value):
        return queryset.released_by(value)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A callable: the choices are read only when the select is drawn, so the downloads and
        # the API, which filter by slug and draw no form, never read them.
        self.form.fields["release_group"].widget.choices = self.release_group_choices

    @cached_property
    def choices(self) -> ListChoices:
        """What the form offers from the records, for the request's public state (its ETag's, no second query)."""
        return list_choices(public_state(self.request))

    def release_group_choices(self) -> list[tuple[str, str]]:
        return [("", "---------"), *self.choices.release_groups]

    def _labels(self, name: str, flt) -> dict[str, str]:
        """{value: label} of a filter's choices, to name a chip ("Release group: Pardon of 3 July")."""
        choices = self.release_group_choices() if name == "release_group" else flt.extra.get("choices", [])
        return {str(value): label for value, label in choices}

    @extend_schema_field(OpenApiTypes.STR)  # a release group's slug
    def filter_release_group(self, queryset, name, value):
        return queryset.in_release_group(value)

    def sort_by(self, queryset, name, value):
        key = value.lstrip("-")
        # Names sort by family name, in the reader's alphabet (prisoners.collation).
        field = F(sort_key_field(get_language()) if key == "name" else SORT_FIELDS[key])
        # Unknown dates go last either way, on SQLite and PostgreSQL alike.
        order = field.desc(nulls_last=True) if value.startswith("-") else field.asc(nulls_last=True)
        return queryset.order_by(order, "display_name", "pk")

    def without_invalid_parameters(self) -> str:
        """The query string less the parameters that cannot be read (and the page): the list they leave."""
        remaining = self.data.copy()
        for key in [*self.invalid_parameters, "page"]:
            remaining.pop(key, None)
        return remaining.urlencode()


class PersonApiFilter(PersonFilter):
    """PersonFilter as the API reads it: the same filters, strictly parsed (StrictQueryForm)."""

    class Meta(PersonFilter.Meta):
        form = StrictQueryForm
