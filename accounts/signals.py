"""Cache busting only: permission and role changes invalidate accounts.permcache."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_delete, post_save

from .permcache import bump_version

User = get_user_model()

for sender in (
    User.groups.through,
    User.user_permissions.through,
    Group.permissions.through,
):
    m2m_changed.connect(
        bump_version, sender=sender, dispatch_uid=f"permcache-{sender.__name__}"
    )
for model in (Group, Permission):
    post_save.connect(
        bump_version, sender=model, dispatch_uid=f"permcache-save-{model.__name__}"
    )
    post_delete.connect(
        bump_version, sender=model, dispatch_uid=f"permcache-del-{model.__name__}"
    )

# API-key cache invalidation (key and user saves) lives with the cache itself.
from . import authentication_cache  # noqa: E402,F401
