from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    """django.contrib.admin, with admin.site a StaffAdminSite, so @admin.register keeps working."""

    # A dotted path, imported in ready(): the site's module needs the auth models.
    default_site = "casetracker.security.StaffAdminSite"
