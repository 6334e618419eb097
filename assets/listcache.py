"""A version token for the asset table, for caching list counts and page anchors.

Any write to assets replaces the token (immediately and again after commit), so a
cached count or offset anchor is only ever used for the data it was computed from.
Writes that bypass the ORM are covered by the cache entries' short lifetime.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "nexus:assets:asset-list-version"
VERSION_TTL = 24 * 3600


def asset_list_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(VERSION_KEY, version, VERSION_TTL)
        version = cache.get(VERSION_KEY, version)
    return version


def _new_version() -> None:
    cache.set(VERSION_KEY, uuid.uuid4().hex, VERSION_TTL)


def bump_asset_list_version() -> None:
    # Now, so this transaction's own later reads do not use old entries; and after
    # commit, so a reader that computed an entry from the pre-commit snapshot
    # under the first new token cannot keep it.
    _new_version()
    transaction.on_commit(_new_version)
