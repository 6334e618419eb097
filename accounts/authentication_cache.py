"""A short-lived shared cache of API keys, so that an API request costs no query
to authenticate (issue 3's throughput targets).

An entry holds the key row with its user, and that user's permissions and roles
for one permission-cache version (`accounts.permcache`). It is found, together
with the address's bad-key counter and the permission version, in one cache
round trip. Correctness does not depend on the entry's lifetime:

* every save or delete of a key, and every save of its user (deactivation,
  company change…), replaces the key's *generation* token, now and again after
  commit; an entry is used only if it was stored under the current generation,
  so a reader that loaded the row just before a revocation cannot keep it;
* permissions and roles are used only for the current permission version;
* the secret is still compared (HMAC) on every request, and revocation and
  expiry are checked on every request against the cached row.

Writes that bypass the ORM (`QuerySet.update()`) send no signals; entries also
expire after `ENTRY_TTL` seconds for those.
"""

import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

ENTRY_TTL = 30
GENERATION_TTL = 24 * 3600


def entry_key(prefix: str) -> str:
    return f"nexus:apikey:{prefix}"


def generation_key(prefix: str) -> str:
    return f"nexus:apikey-gen:{prefix}"


def _new_generation(prefix: str) -> None:
    cache.set(generation_key(prefix), uuid.uuid4().hex, GENERATION_TTL)


def invalidate(prefix: str) -> None:
    """Forget a key's cached entry (now, and after commit: see the docstring)."""
    _new_generation(prefix)
    cache.delete(entry_key(prefix))
    transaction.on_commit(lambda: _new_generation(prefix))


def _key_changed(sender, instance, **kwargs) -> None:
    if instance.prefix:
        invalidate(instance.prefix)


def _user_saved(sender, instance, created=False, **kwargs) -> None:
    if created:
        return
    from .models import ApiKey

    for prefix in ApiKey.objects.filter(user_id=instance.pk).values_list(
        "prefix", flat=True
    ):
        invalidate(prefix)


post_save.connect(_key_changed, sender="accounts.ApiKey", dispatch_uid="apikey-save")
post_delete.connect(_key_changed, sender="accounts.ApiKey", dispatch_uid="apikey-del")
post_save.connect(_user_saved, sender="accounts.User", dispatch_uid="apikey-user")
