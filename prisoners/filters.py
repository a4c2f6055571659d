"""The public list's filters: every parameter maps to one PersonQuerySet predicate."""

import django_filters
from django import forms
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .models import Gender, Person, Region, ReleaseGroup, ReleaseType, Status

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
SORT_FIELDS = {
    "name": "display_name",
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
    q = django_filters.CharFilter(label=_("Name"), method="filter_q")
    status = django_filters.MultipleChoiceFilter(
        label=_("Current status"),
        field_name="current_status",
        choices=[
            (value, label)
            for value, label in Status.choices
            if value not in {"recognised", "recognition_withdrawn", "transferred"}
        ],
        widget=forms.CheckboxSelectMultiple,
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
    region = django_filters.ChoiceFilter(label=_("Region"), choices=Region.choices)
    article = django_filters.CharFilter(label=_("Article"), method="filter_article")
    release_type = django_filters.ChoiceFilter(
        label=_("Release type"), choices=ReleaseType.choices, method="filter_release_type"
    )
    # A slug, not a model choice: an unknown or unpublished group then lists no one, exactly
    # alike, instead of a 400 that would tell the two apart. The select offers public groups.
    release_group = django_filters.CharFilter(
        label=_("Release group"), method="filter_release_group", widget=forms.Select
    )
    gender = django_filters.ChoiceFilter(label=_("Gender"), choices=Gender.choices)
    sort = django_filters.ChoiceFilter(label=_("Sort by"), choices=SORT_CHOICES, method="sort_by", empty_label=None)

    class Meta:
        model = Person
        fields: list[str] = []

    def active_filters(self) -> list[tuple[str, str]]:
        """(description, query string without it) for each filter value in use, to show and remove."""
        chips = []
        for name, flt in self.filters.items():
            if name == "sort":
                continue
            is_range = isinstance(flt, django_filters.DateFromToRangeFilter)
            keys = [(f"{name}_after", _("from")), (f"{name}_before", _("until"))] if is_range else [(name, "")]
            choices = {str(value): label for value, label in flt.extra.get("choices", [])}
            for key, qualifier in keys:
                for value in self.data.getlist(key):
                    if not value:
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
        groups = [("", "---------"), *ReleaseGroup.objects.public().values_list("slug", "name")]
        self.form.fields["release_group"].widget.choices = groups
        self.filters["release_group"].extra["choices"] = groups

    @extend_schema_field(OpenApiTypes.STR)  # a release group's slug
    def filter_release_group(self, queryset, name, value):
        return queryset.in_release_group(value)

    def sort_by(self, queryset, name, value):
        field = F(SORT_FIELDS[value.lstrip("-")])
        # Unknown dates go last either way, on SQLite and PostgreSQL alike.
        order = field.desc(nulls_last=True) if value.startswith("-") else field.asc(nulls_last=True)
        return queryset.order_by(order, "display_name", "pk")


class PersonApiFilter(PersonFilter):
    """PersonFilter as the API reads it: the same filters, strictly parsed (StrictQueryForm)."""

    class Meta(PersonFilter.Meta):
        form = StrictQueryForm
