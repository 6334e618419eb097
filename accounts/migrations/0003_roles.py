from django.db import migrations

ROLES = [
    "Admin",
    "Manager",
    "Technician",
    "Billing",
    "Operator",
    "Quality",
    "Purchasing",
    "Assembly",
    "Engineer",
    "Client",
]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    # Permissions are granted after migrate by accounts.roles.sync_role_permissions,
    # because the permission rows of later apps do not exist yet at this point.
    dependencies = [("accounts", "0002_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
