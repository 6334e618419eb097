"""With Redis unreachable the API keeps serving (the cache degrades to a miss)."""

import socket

import pytest
from django.core.cache import caches

from nexus.cache import ResilientRedisCache
from nexus.health import check_cache


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def dead_redis(settings):
    options = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    location = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "nexus.cache.ResilientRedisCache",
            "LOCATION": location,
            "OPTIONS": options,
        },
        "plain": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "OPTIONS": options,
        },
    }
    yield
    caches["default"].close()


def test_operations_fall_back_to_a_miss(dead_redis):
    import redis

    cache = caches["default"]
    assert isinstance(cache, ResilientRedisCache)
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set("k", 1, 30) is None
    assert cache.add("k", 1) is False
    assert cache.has_key("k") is False
    assert cache.delete("k") is False
    assert cache.set_many({"a": 1}) == ["a"]
    with pytest.raises(ValueError):
        cache.incr("k")
    # The plain backend raises: that is what turned every API request into a 500.
    with pytest.raises(redis.exceptions.ConnectionError):
        caches["plain"].get("k")


def test_status_still_reports_the_cache_down(dead_redis):
    ok, detail = check_cache()
    assert not ok and detail == "value not read back"


@pytest.mark.django_db
def test_api_and_pages_serve_with_redis_down(dead_redis, admin_api, staff_client):
    # Throttling (DRF) and the permission cache both read the cache.
    assert admin_api.get("/api/companies/").status_code == 200
    assert admin_api.get("/api/tickets/?search=printer").status_code == 200
    assert staff_client.get("/companies/").status_code == 200
