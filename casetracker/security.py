"""Staff login behind a second factor, and the few pages whose Content-Security-Policy is relaxed."""

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from two_factor.admin import AdminSiteOTPRequiredMixin
from two_factor.utils import default_device


class StaffAdminSite(AdminSiteOTPRequiredMixin, AdminSite):
    """The admin site; with settings.STAFF_2FA_REQUIRED, only for staff verified by a second factor.

    The setting is read on every request, so override_settings switches it in tests. Being an
    AdminSiteOTPRequiredMixin also tells two_factor's login that the admin needs a verified user,
    so a member without a device is sent on to the setup page.
    """

    def has_permission(self, request):
        if not settings.STAFF_2FA_REQUIRED:
            return AdminSite.has_permission(self, request)
        return super().has_permission(request)

    def login(self, request, extra_context=None):
        if not settings.STAFF_2FA_REQUIRED:
            return AdminSite.login(self, request, extra_context)
        # Django's password-only form is never shown: two_factor's asks for the password, then a token.
        next_url = request.POST.get(REDIRECT_FIELD_NAME, request.GET.get(REDIRECT_FIELD_NAME, ""))
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index", current_app=self.name)
        user = request.user
        if user.is_authenticated and user.is_staff and default_device(user) is None:
            # The password was right but there is no device yet: enrol before anything else.
            return redirect("two_factor:setup")
        return redirect_to_login(next_url, reverse("two_factor:login"))


# Inline styles, never inline scripts, and only where a page we do not write needs them:
# - the admin: Django 5.2's change list writes a <style> element, and jQuery and select2 build
#   elements with style attributes;
# - the API docs: Swagger UI's bundle sets style attributes and its page has a <style> element
#   (its one inline script carries the request's nonce: templates/drf_spectacular/swagger_ui.html).
# Injected CSS cannot carry data away: img-src, font-src and connect-src stay 'self'.
# No nonce in style-src anywhere: a nonce would make browsers ignore 'unsafe-inline'.
INLINE_STYLES = {"style-src": ["'unsafe-inline'"]}


def relaxed_directives(path: str) -> dict[str, list[str]] | None:
    """What the policy adds for the page at `path`, or None for the strict policy."""
    if path.startswith(reverse("admin:index")) or path == reverse("api:docs"):
        return INLINE_STYLES
    return None


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the additions of relaxed_directives() for their paths."""

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        additions = relaxed_directives(request.path_info)
        if additions:
            update = dict(parts.update or {})
            for directive, sources in additions.items():
                update[directive] = [*update.get(directive, []), *sources]
            parts.update = update
        return parts
