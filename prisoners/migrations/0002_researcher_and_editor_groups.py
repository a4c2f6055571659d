"""Create the two staff roles: Researchers enter cases, Editors also publish and delete."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

APPS = ("prisoners", "sources")
RESEARCHER_ACTIONS = ("add", "change", "view")
EDITOR_ACTIONS = ("add", "change", "delete", "view")


def _ensure_permissions(apps):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def create_groups(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    in_scope = Permission.objects.filter(content_type__app_label__in=APPS)

    def by_actions(actions):
        return [p for p in in_scope if p.codename.split("_", 1)[0] in actions]

    researcher, _ = Group.objects.get_or_create(name="Researcher")
    researcher.permissions.set(by_actions(RESEARCHER_ACTIONS))
    editor, _ = Group.objects.get_or_create(name="Editor")
    editor.permissions.set([*by_actions(EDITOR_ACTIONS), *in_scope.filter(codename="publish_person")])


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Researcher", "Editor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("prisoners", "0001_initial"),
        ("sources", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
