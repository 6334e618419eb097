"""Request-rate throttles that cost one cache round trip and no list.

DRF's `SimpleRateThrottle` keeps, per caller, the list of every request time in
the window and reads and rewrites it (pickled) on each request: at 6000/min that
list holds up to 6000 floats, so a busy API client pays more for its throttle
than for its query. These keep two counters per caller instead (this window and
the one before) and estimate the sliding-window count the usual way:

    used = this_window + previous_window × (share of the previous window that
           still lies within the last `duration` seconds)

which never lets more than the rate through in any window-aligned period and
at most the rate (with the estimate's usual small slack) in any sliding period.
On Redis the increment, its expiry and the read of the previous counter are one
pipelined round trip; other caches use get_many + incr. While the cache is
unreachable requests are allowed (as the cache backend itself degrades).
"""

import logging

from django.core.cache import cache as default_cache
from rest_framework import throttling

logger = logging.getLogger(__name__)


class CounterThrottleMixin:
    cache = default_cache

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = now = self.timer()
        window = int(now // self.duration)
        current, previous = self._hit(
            f"{self.key}:{window}", f"{self.key}:{window - 1}"
        )
        elapsed = now - window * self.duration
        weight = 1 - elapsed / self.duration
        used = current - 1 + previous * weight  # requests before this one
        if used >= self.num_requests:
            # A refused request still counts, as in DRF (a client hammering the
            # API stays throttled). Wait until enough of the previous window has
            # slid out for one more request, or until this window ends.
            room = self.num_requests - current
            if previous and room >= 0:
                self._wait = max(0.0, self.duration * (1 - room / previous) - elapsed)
            else:
                self._wait = (window + 1) * self.duration - now
            return False
        return True

    def wait(self):
        return getattr(self, "_wait", None)

    def _hit(self, current_key: str, previous_key: str) -> tuple[int, int]:
        cache = self.cache
        client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
        if client_of is not None:  # django.core.cache.backends.redis
            try:
                return self._hit_redis(cache, client_of, current_key, previous_key)
            except Exception as exc:  # Redis down: allow (others re-raised)
                if not _is_redis_error(exc):
                    raise
                logger.debug("throttle counters unavailable: %s", exc)
                return 1, 0
        found = cache.get_many([current_key, previous_key])
        if current_key in found:
            try:
                current = cache.incr(current_key)
            except ValueError:  # expired in between
                cache.set(current_key, 1, 2 * self.duration)
                current = 1
        else:
            if cache.add(current_key, 1, 2 * self.duration):
                current = 1
            else:
                current = cache.incr(current_key)
        return current, int(found.get(previous_key) or 0)

    def _hit_redis(self, cache, client_of, current_key, previous_key):
        current_name = cache.make_and_validate_key(current_key)
        previous_name = cache.make_and_validate_key(previous_key)
        pipe = client_of(current_name, write=True).pipeline(transaction=False)
        pipe.incr(current_name)
        pipe.expire(current_name, 2 * int(self.duration) + 1)
        pipe.get(previous_name)
        current, _expiry, previous = pipe.execute()
        return int(current), int(previous or 0)


def _is_redis_error(exc: BaseException) -> bool:
    try:
        import redis
    except ImportError:  # pragma: no cover - the Redis backend imports it
        return False
    return isinstance(exc, redis.exceptions.RedisError)


class AnonRateThrottle(CounterThrottleMixin, throttling.AnonRateThrottle):
    """DRF's AnonRateThrottle (per address), counted cheaply."""


class UserRateThrottle(CounterThrottleMixin, throttling.UserRateThrottle):
    """DRF's UserRateThrottle (per user, or per address when anonymous)."""
