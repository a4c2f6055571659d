from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from casetracker.dates import PartialDateFormField
from prisoners.models import (
    Charge,
    Defendant,
    Person,
    Regime,
    Release,
    ReleaseGroup,
    ReleaseType,
    SentenceKind,
    Status,
    StatusEvent,
    Term,
)
from prisoners.services import names_likely_duplicates

from .intake import REPEAT_SEPARATE, FactType
from .models import Certainty, Source

NEED_SOURCE_INPUT = _("Give the article's address, paste its text, or upload its HTML or PDF file.")
CHOOSE_ONE_PERSON = _("Choose one person: from the text, from the records, or a new name.")
NEEDS_A_DATE = _("This kind of fact needs a date (EDTF, e.g. 2021 or 2020-05).")
NEEDS_A_STATUS = _("Choose the status the passage reports.")
NEEDS_A_RELEASE_TYPE = _("Choose how the person was released.")
NEEDS_AN_ARTICLE = _("Choose the legal article of the charge.")
CHOOSE_ONE_GROUP = _("Choose a release group or name a new one, not both.")
LIKELY_RECORDED = _(
    "Already in the records as %(names)s? Choose them under “someone else in the records”, "
    "or tick “a different person”."
)
REPEATS_RECORDED = _(
    "This fact is already recorded. Add the passage to it (a detail it gives differently becomes a "
    "disputed claim), or say it is another fact."
)


class IntakeStartForm(forms.Form):
    url = forms.URLField(
        label=_("Article URL"),
        required=False,
        assume_scheme="https",
        max_length=Source._meta.get_field("url").max_length,
    )
    title = forms.CharField(label=_("Title"), required=False, max_length=500)
    text = forms.CharField(label=_("Article text"), required=False, widget=forms.Textarea(attrs={"rows": 12}))
    file = forms.FileField(label=_("or an HTML or PDF file"), required=False)

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("url") or cleaned.get("text") or cleaned.get("file")):
            raise forms.ValidationError(NEED_SOURCE_INPUT)
        return cleaned


FACT_TYPES = [
    (FactType.STATUS_EVENT, _("status event")),
    (FactType.SENTENCE, _("sentence")),
    (FactType.CHARGE, _("charge")),
    (FactType.RELEASE, _("release")),
]


class IntakeFactForm(forms.Form):
    quote = forms.CharField(label=_("Quote"), widget=forms.Textarea(attrs={"rows": 3}))
    person = forms.ModelChoiceField(label=_("Person named in the text"), queryset=Person.objects.none(), required=False)
    other_person = forms.ModelChoiceField(
        label=_("or someone else in the records"),
        queryset=Person.objects.all(),
        required=False,
        widget=AutocompleteSelect(Defendant._meta.get_field("person"), admin.site),
    )
    new_person_name = forms.CharField(label=_("or a new person"), required=False, max_length=200)
    fact_type = forms.ChoiceField(label=_("Fact"), choices=FACT_TYPES)
    date = PartialDateFormField(
        label=_("Date"), required=False, max_length=StatusEvent._meta.get_field("date").max_length
    )
    status = forms.ChoiceField(label=_("Status"), choices=[("", "---------"), *Status.choices], required=False)
    release_type = forms.ChoiceField(
        label=_("Release type"), choices=[("", "---------"), *ReleaseType.choices], required=False
    )
    group = forms.ModelChoiceField(
        label=_("Released together with others"),
        queryset=ReleaseGroup.objects.all(),
        required=False,
        widget=AutocompleteSelect(Release._meta.get_field("group"), admin.site),
    )
    new_group_name = forms.CharField(label=_("or a new release group"), required=False, max_length=200)
    mediator = forms.CharField(label=_("Mediator of the new group"), required=False, max_length=200)
    destination = forms.CharField(
        label=_("Taken to"), required=False, max_length=200, help_text=_("Where this person was taken, if known.")
    )
    term = forms.CharField(label=_("Term"), required=False, help_text=_("e.g. 18y, 1y6m"))
    sentence_kind = forms.ChoiceField(label=_("Sentence kind"), choices=SentenceKind.choices, required=False)
    regime = forms.ChoiceField(label=_("Regime"), choices=[("", "---------"), *Regime.choices], required=False)
    case_title = forms.CharField(
        label=_("Case"), required=False, help_text=_("Empty: the person's only case, or a new one.")
    )
    article = forms.ModelChoiceField(
        label=_("Legal article"),
        queryset=Charge._meta.get_field("article").related_model.objects.all(),
        required=False,
        widget=AutocompleteSelect(Charge._meta.get_field("article"), admin.site),
    )
    certainty = forms.ChoiceField(label=_("Certainty"), choices=Certainty.choices, initial=Certainty.REPORTED)
    # Asked only when the answer matters: the fact is already recorded, or the new name is.
    repeat_choice = forms.CharField(label=_("Already recorded?"), required=False, widget=forms.HiddenInput)
    not_a_duplicate = forms.BooleanField(label=_("a different person"), required=False, widget=forms.HiddenInput)

    def __init__(self, *args, mentioned=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(pk__in=[p.pk for p in mentioned])

    def clean_term(self):
        term = self.cleaned_data["term"]
        if term:
            try:
                Term.from_code(term)
            except ValueError as error:
                raise forms.ValidationError(str(error)) from error
        return term

    def clean(self):
        cleaned = super().clean()
        chosen = [cleaned.get("person"), cleaned.get("other_person"), (cleaned.get("new_person_name") or "").strip()]
        if sum(bool(choice) for choice in chosen) != 1:
            self.add_error(None, CHOOSE_ONE_PERSON)
        cleaned["person"] = cleaned.get("person") or cleaned.get("other_person")
        fact_type = cleaned.get("fact_type")
        if fact_type in (FactType.STATUS_EVENT, FactType.RELEASE, FactType.SENTENCE) and not cleaned.get("date"):
            self.add_error("date", NEEDS_A_DATE)
        if fact_type == FactType.STATUS_EVENT and not cleaned.get("status"):
            self.add_error("status", NEEDS_A_STATUS)
        if fact_type == FactType.RELEASE and not cleaned.get("release_type"):
            self.add_error("release_type", NEEDS_A_RELEASE_TYPE)
        if fact_type == FactType.CHARGE and not cleaned.get("article"):
            self.add_error("article", NEEDS_AN_ARTICLE)
        if cleaned.get("group") and (cleaned.get("new_group_name") or "").strip():
            self.add_error("new_group_name", CHOOSE_ONE_GROUP)
        new_name = (cleaned.get("new_person_name") or "").strip()
        if new_name and not cleaned.get("not_a_duplicate"):
            recorded = names_likely_duplicates(names=[new_name])
            if recorded:
                names = ", ".join(duplicate.person.display_name for duplicate in recorded[:5])
                self.add_error("new_person_name", LIKELY_RECORDED % {"names": names})
                self.fields["not_a_duplicate"].widget = forms.CheckboxInput()
        return cleaned

    def offer_recorded(self, repeats) -> None:
        """Show the recorded facts the passage repeats, to add it to one of them or record it apart."""
        offer_recorded_facts(self, repeats, REPEATS_RECORDED)


def offer_recorded_facts(form: forms.Form, repeats, message) -> None:
    """Turn the form's `repeat_choice` into a choice: one of the recorded facts, or "another fact".

    Shared by the intake form and the admin's fact forms (sources.admin.CitedFactForm).
    """
    form.fields["repeat_choice"].widget = forms.RadioSelect(
        choices=[
            *((str(fact.pk), _("Add this passage to it: %(fact)s") % {"fact": _described(fact)}) for fact in repeats),
            (REPEAT_SEPARATE, _("It is another fact: record it separately")),
        ]
    )
    form.add_error("repeat_choice", message)


def _described(fact) -> str:
    """A recorded fact as the choice names it: its date, itself, and how many citations it has."""
    date = getattr(fact, "date_display", "") or getattr(fact, "start_display", "")
    count = fact.citations.count()
    citations = ngettext("%(count)d citation", "%(count)d citations", count) % {"count": count}
    return f"{date}: {fact} ({citations})" if date else f"{fact} ({citations})"
