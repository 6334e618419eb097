"""nexus.settings with the fail-open Redis cache (nexus.cache.ResilientRedisCache).

bench/faults.py --resilient-cache runs the stack with this module, to show the
Redis-down behaviour with the cache backend that docs/operations.md recommends.
"""

from nexus.settings import *  # noqa: F403
from nexus.settings import CACHES, REDIS_URL

if REDIS_URL:
    CACHES["default"]["BACKEND"] = "nexus.cache.ResilientRedisCache"
