from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from sources.documents import clean_upload

from . import services
from .models import Person

LIKELY_RECORDED = _(
    "This person may already be recorded: %(people)s. Open that record and add to it, or tick "
    "“a different person” to create a new one."
)


class PersonAdminForm(forms.ModelForm):
    """A new photo goes through the document pipeline: checked by content, re-encoded without metadata."""

    class Meta:
        model = Person
        fields = [
            "display_name",
            "name_latin",
            "name_be",
            "name_ru",
            "slug",
            "birth_date",
            "gender",
            "occupation",
            "region",
            "biography",
            "letters_address",
            "photo",
            "publication_state",
            "private_notes",
        ]
        # A plain file field: Django's ImageField would open the upload with Pillow under
        # Pillow's own, far higher pixel limit before clean_photo could check it.
        field_classes = {"photo": forms.FileField}

    not_a_duplicate = forms.BooleanField(
        required=False,
        label=_("a different person"),
        help_text=_("Tick if the people named in the warning above are someone else."),
    )

    def _post_clean(self):
        super()._post_clean()
        # Asked before the first save: a duplicate found afterwards already has facts on two records.
        if self.instance.pk is not None or self.errors or self.cleaned_data.get("not_a_duplicate"):
            return
        duplicates = services.person_likely_duplicates(person=self.instance)
        if duplicates:
            links = format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                (
                    (reverse("admin:prisoners_person_change", args=[d.person.pk]), d.person.display_name)
                    for d in duplicates
                ),
            )
            # The sentence is escaped and the links built with format_html_join: both are safe.
            message = mark_safe(conditional_escape(LIKELY_RECORDED) % {"people": links})  # noqa: S308
            self.add_error(None, message)

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo is False:  # "clear" ticked: no photo, so no type
            self.instance.photo_content_type = ""
            return photo
        if not isinstance(photo, UploadedFile):
            return photo  # the stored photo, kept as it is, with the type recorded when it was uploaded
        checked, cleaned = clean_upload(photo, images_only=True)
        self.instance.photo_content_type = checked.content_type
        return cleaned
