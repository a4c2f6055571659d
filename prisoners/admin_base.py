"""What every record admin shares: writes go through the services, history is read-only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from . import roles, services


def change_reason(request, default: str) -> str:
    return f"{default} in the admin"


def checked_form(form_class, user):
    """`form_class` whose validation asks the services whether `user` may save the result.

    The services refuse anyway; asking first turns a refusal into a form error next to what the
    user typed, instead of a 403 page that loses it.
    """

    class ServiceCheckedForm(form_class):
        def _post_clean(self):
            super()._post_clean()
            if self.errors:
                return
            try:
                services.record_check(acting_user=user, obj=self.instance)
            except PermissionDenied as refusal:
                self.add_error(None, str(refusal))
            except ValidationError as refusal:
                self.add_error(None, refusal)

    ServiceCheckedForm.__name__ = form_class.__name__
    return ServiceCheckedForm


class ServiceInlineMixin:
    """For inlines of a ServiceAdmin: each row is checked by the services before anything is saved."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = checked_form(formset.form, request.user)
        return formset


class ServiceAdmin(SimpleHistoryAdmin):
    """A ModelAdmin whose every write is a call to prisoners.services.

    save_model() saves nothing: the record is saved in save_related() with its many-to-many
    values in one record_save() call (so a permission decided by the whole new state can
    refuse it), then each inline row through record_save()/record_delete(). Django's admin
    runs all of this in one transaction, so a refusal leaves nothing behind.
    """

    object_history_form_template = "admin/history_version.html"

    def get_form(self, request, obj=None, change=False, **kwargs):
        return checked_form(super().get_form(request, obj, change=change, **kwargs), request.user)

    def save_model(self, request, obj, form, change):
        pass  # saved by save_related() through the service, with its many-to-many values

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        m2m = {
            field.name: form.cleaned_data[field.name]
            for field in obj._meta.many_to_many
            if field.name in form.cleaned_data
        }
        if self.saves_instead(request, form):
            for formset in formsets:  # nothing of theirs is saved; the change message reads these
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        services.record_save(
            acting_user=request.user, obj=obj, m2m=m2m, reason=change_reason(request, "changed" if change else "added")
        )
        held = services.is_held_for_review(obj)
        for formset in formsets:
            held += self.save_formset(request, form, formset, change=change)
        if held:
            message = ngettext(
                "%(count)d change waits for an editor's review; readers see it once it is approved.",
                "%(count)d changes wait for an editor's review; readers see them once they are approved.",
                held,
            ) % {"count": held}
            self.message_user(request, message, messages.WARNING)

    def save_formset(self, request, form, formset, change) -> int:
        """Save the rows through the services; returns how many of them wait for review."""
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.record_delete(acting_user=request.user, obj=obj, reason=change_reason(request, "deleted"))
        handled_by_form = {id(form.instance) for form in formset.forms if self.saves_instead(request, form)}
        instances = [obj for obj in instances if id(obj) not in handled_by_form]
        for obj in instances:
            services.record_save(acting_user=request.user, obj=obj, reason=change_reason(request, "saved"))
        formset.save_m2m()
        return sum(services.is_held_for_review(obj) for obj in instances)

    def saves_instead(self, request, form) -> bool:
        """Whether `form` is saved some other way than as its own record (see CitingAdminMixin)."""
        return False

    def delete_model(self, request, obj):
        services.record_delete(acting_user=request.user, obj=obj, reason=change_reason(request, "deleted"))

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.record_delete(acting_user=request.user, obj=obj, reason=change_reason(request, "deleted"))

    # --- History: read-only, with "restore this version" for editors -------------------------

    def get_urls(self):
        opts = self.model._meta
        restore = path(
            "<path:object_id>/history/<int:history_id>/restore/",
            self.admin_site.admin_view(self.restore_version_view),
            name=f"{opts.app_label}_{opts.model_name}_restore_version",
        )
        return [restore, *super().get_urls()]

    def has_restore_permission(self, request) -> bool:
        return request.user.has_perm(roles.REMOVE_PERSON)

    def revert_disabled(self, request, obj=None):
        return True  # the library's revert saves the old form as is; restore_version_view replaces it

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # django-simple-history saves a POSTed old version after checking only view-or-change
        # permission, publication state included: the form is for reading, never for writing.
        if request.method != "GET":
            raise PermissionDenied
        opts = self.model._meta
        extra = {
            **(extra_context or {}),
            "may_restore": self.has_restore_permission(request),
            "restore_url": reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_restore_version",
                args=[object_id, version_id],
            ),
        }
        return super().history_form_view(request, object_id, version_id, extra_context=extra)

    def restore_version_view(self, request, object_id, history_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_restore_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(self.model._default_manager, pk=object_id)
        services.record_restore_version(acting_user=request.user, obj=obj, history_id=history_id)
        self.message_user(request, _("The earlier version was restored."), messages.SUCCESS)
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        )
