"""The default API throttles (nexus.throttling): counters, not request lists."""

import os
import uuid

import pytest
from django.core.cache import caches

from nexus.throttling import AnonRateThrottle, UserRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_rate(monkeypatch):
    """DRF reads the rates once, into the class; set them there."""

    def _set(rate):
        rates = {**UserRateThrottle.THROTTLE_RATES, "user": rate, "anon": rate}
        monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
        monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
        caches["default"].clear()

    return _set


def test_default_classes_are_the_counter_throttles(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "nexus.throttling.AnonRateThrottle",
        "nexus.throttling.UserRateThrottle",
    ]


def test_user_over_the_rate_gets_429_with_retry_after(
    api_for, technician, make_user, user_rate
):
    user_rate("3/min")
    api = api_for(technician)
    codes = [api.get("/api/assets").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api.get("/api/assets")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    # Another user has a budget of its own.
    assert api_for(make_user("Technician")).get("/api/assets").status_code == 200


def test_anonymous_callers_are_counted_per_address(user_rate):
    from django.contrib.auth.models import AnonymousUser

    user_rate("2/min")

    def allowed(address):
        request = _Request(AnonymousUser())
        request.META["REMOTE_ADDR"] = address
        return AnonRateThrottle().allow_request(request, None)

    assert [allowed("192.0.2.1") for _ in range(3)] == [True, True, False]
    assert allowed("192.0.2.2")


class _Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def _throttle(clock, rate="10/min"):
    throttle = UserRateThrottle()
    throttle.timer = clock
    throttle.rate = rate
    throttle.num_requests, throttle.duration = throttle.parse_rate(rate)
    return throttle


class _Request:
    def __init__(self, user):
        self.user = user
        self.META = {"REMOTE_ADDR": "192.0.2.9"}
        self.headers = {}


def test_sliding_window_counts_the_previous_window(technician):
    caches["default"].clear()
    clock = _Clock(6000.0)  # the start of a 60 s window
    request = _Request(technician)
    assert all(_throttle(clock).allow_request(request, None) for _ in range(10))
    assert not _throttle(clock).allow_request(request, None)
    # 15 s into the next window three quarters of the previous one still count:
    # 11 × 0.75 = 8.25 requests, so only two more fit (9.25 < 10, 10.25 ≥ 10).
    clock.now = 6075.0
    assert _throttle(clock).allow_request(request, None)
    assert _throttle(clock).allow_request(request, None)
    refused = _throttle(clock)
    assert not refused.allow_request(request, None)
    assert 0 < refused.wait() <= 60
    # A whole window later the old requests no longer count.
    clock.now = 6180.0
    assert all(_throttle(clock).allow_request(request, None) for _ in range(10))
    assert not _throttle(clock).allow_request(request, None)


@pytest.fixture
def redis_cache(settings):
    location = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    settings.CACHES = {
        "default": {
            "BACKEND": "nexus.cache.ResilientRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"test-throttle-{uuid.uuid4().hex}",
        }
    }
    yield caches["default"]
    caches["default"].close()


def test_redis_counters_in_one_round_trip(redis_cache, technician):
    clock = _Clock(12000.0)
    request = _Request(technician)
    assert all(_throttle(clock, "5/min").allow_request(request, None) for _ in range(5))
    assert not _throttle(clock, "5/min").allow_request(request, None)
    key = _throttle(clock, "5/min").get_cache_key(request, None)
    assert redis_cache.get(f"{key}:200") == 6  # the counter, readable by the cache
    clock.now = 12060.0  # next window: the previous one (6) still weighs fully
    assert not _throttle(clock, "5/min").allow_request(request, None)
    clock.now = 12120.0
    assert _throttle(clock, "5/min").allow_request(request, None)


def test_throttle_allows_while_redis_is_down(settings, technician):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "nexus.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    try:
        assert _throttle(_Clock(100.0), "1/min").allow_request(
            _Request(technician), None
        )
        assert _throttle(_Clock(100.0), "1/min").allow_request(
            _Request(technician), None
        )
    finally:
        caches["default"].close()
