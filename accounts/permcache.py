"""A shared cache of each user's permissions and roles.

Every API request checks model permissions, which costs Django two queries (user
and group permissions) plus one for the roles that scope querysets. Permissions
change rarely, so they are cached under a version that any change to groups,
permissions or memberships bumps (signals in `accounts.signals`); a change takes
effect on the next request, in every process sharing the cache.
"""

import uuid

from django.core.cache import cache

VERSION_KEY = "nexus:perms:version"
TTL = 600


def current_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(VERSION_KEY, version, None)
        version = cache.get(VERSION_KEY, version)
    return version


def bump_version(**kwargs) -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def cached(user, name: str, compute):
    # API-key authentication reads the version with the key (one round trip).
    version = user.__dict__.get("_permcache_version") or current_version()
    key = f"nexus:perms:{name}:{user.pk}:{version}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TTL)
    return value
