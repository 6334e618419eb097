"""Role → permission grants, declared by each app in `<app>/roles.py`.

Each app's module defines ROLE_PERMISSIONS = {"Technician": ["companies.view_company",
"companies.*", "assets.view_*"], …}. After every migrate the grants are added to the
role Groups (never removed, so an admin's own edits in the admin are kept).
"""

import fnmatch
import importlib

from django.apps import apps

from .choices import Role

ROLE_PERMISSIONS = {
    Role.MANAGER: ["accounts.view_user", "accounts.view_department"],
    Role.TECHNICIAN: ["accounts.view_user", "accounts.view_department"],
    Role.BILLING: ["accounts.view_department"],
}


def collect_role_permissions() -> dict[str, set[str]]:
    grants: dict[str, set[str]] = {}
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.roles")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.roles":
                raise
            continue
        for role, patterns in getattr(module, "ROLE_PERMISSIONS", {}).items():
            grants.setdefault(str(role), set()).update(patterns)
    return grants


def sync_role_permissions(**kwargs) -> None:
    """Create the role Groups and add their declared permissions (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    perms = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    grants = collect_role_permissions()
    for role in Role.values:
        group, _created = Group.objects.get_or_create(name=role)
        if role == Role.ADMIN:
            wanted = set(perms.values())
        else:
            wanted = set()
            for pattern in grants.get(role, ()):
                wanted.update(
                    pk
                    for name, pk in perms.items()
                    if fnmatch.fnmatchcase(name, pattern)
                )
        existing = set(group.permissions.values_list("pk", flat=True))
        missing = wanted - existing
        if missing:
            group.permissions.add(*missing)
