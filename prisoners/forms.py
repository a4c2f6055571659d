from django import forms
from django.core.files.uploadedfile import UploadedFile

from sources.documents import clean_upload

from .models import Person


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
