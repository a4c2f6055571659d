"""Who may do what: the staff roles, defined here once and applied on every migrate.

Researchers enter and correct records; Editors also decide what is public (publish,
withdraw, make a citation, a name or a document public), delete, merge and restore;
Admins also manage accounts. Roles are computed from the models that exist when migrate
runs, so a model added later is covered without a new data migration.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db.models.signals import post_migrate

RESEARCHER = "Researcher"
EDITOR = "Editor"
ADMIN = "Admin"

# The apps that hold research records.
RECORD_APPS = ("prisoners", "sources")
# Permission codenames start with the action: "add_person", "publish_document".
ROLE_ACTIONS = {
    RESEARCHER: frozenset({"add", "change", "view"}),
    EDITOR: frozenset({"add", "change", "view", "delete", "publish"}),
}

# The permission that decides what the public sees, per model (services check these).
PUBLISH_PERMISSIONS = {
    "prisoners.person": "prisoners.publish_person",
    "prisoners.namevariant": "prisoners.publish_person",
    "sources.citation": "sources.publish_citation",
    "sources.document": "sources.publish_document",
}
# Approving or rejecting what a Researcher changed on a published person: the same decision
# as publishing, what readers see (prisoners.services.proposal_approve).
REVIEW = "prisoners.publish_person"
# Deleting, restoring and merging people.
REMOVE_PERSON = "prisoners.delete_person"


def role_permissions(apps=global_apps) -> dict[str, list]:
    """The Permission rows each role should hold, from the models installed now."""
    Permission = apps.get_model("auth", "Permission")
    records = list(Permission.objects.filter(content_type__app_label__in=RECORD_APPS).select_related("content_type"))
    wanted = {
        role: [p for p in records if p.codename.split("_", 1)[0] in actions] for role, actions in ROLE_ACTIONS.items()
    }
    wanted[ADMIN] = list(Permission.objects.all())
    return wanted


def roles_apply(apps=global_apps, **kwargs) -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    # Permissions are created per app after its migrations; make sure all of them exist now.
    for app_config in apps.get_app_configs():
        if app_config.models_module is not None:
            create_permissions(app_config, verbosity=0, apps=apps)
    Group = apps.get_model("auth", "Group")
    for role, permissions in role_permissions(apps).items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set(permissions)


def _on_post_migrate(sender, apps=global_apps, **kwargs):
    roles_apply(apps=global_apps)


def connect(app_config) -> None:
    # Once per migrate (and per test-database flush), after the records' own app is migrated.
    post_migrate.connect(_on_post_migrate, sender=app_config, dispatch_uid="casetracker-roles")


def may_see_unpublished(user, permission: str) -> bool:
    """Whether `user` may see records and files that are not public (photos, restricted documents).

    Staff with the view permission, and, where staff logins need a second factor, only once
    this session passed it: a password alone must not open what the admin would not.
    """
    from django.conf import settings

    if not (user.is_active and user.is_staff and user.has_perm(permission)):
        return False
    if getattr(settings, "STAFF_2FA_REQUIRED", False):
        is_verified = getattr(user, "is_verified", None)
        return bool(is_verified and is_verified())
    return True


class SystemActor:
    """The acting user of work nobody started by hand (the demo loader, scheduled tasks).

    Has every permission and records no user in history; passed explicitly, so a missing
    user is never silently treated as the system.
    """

    is_active = True
    is_staff = False
    is_superuser = True
    pk = None

    def has_perm(self, perm, obj=None) -> bool:
        return True

    def __str__(self):
        return "system"


SYSTEM = SystemActor()
