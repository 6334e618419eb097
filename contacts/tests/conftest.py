import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached list counts and anchors must not leak between tests: the database is
    rolled back after each test, the (process-wide) local-memory cache is not."""
    cache.clear()
    yield
    cache.clear()
