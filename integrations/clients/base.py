"""The shared HTTP machinery of both clients: retries, waits, pacing and statistics.

Every wait goes through the injectable `sleep`, so tests and the bench never
really wait, and the time spent waiting on the network is measured apart from
the time spent processing locally.
"""

from __future__ import annotations

import base64
import email.utils
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from .errors import (
    ForeignOriginError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamUnavailable,
    UpstreamValidationError,
)

logger = logging.getLogger(__name__)

USER_AGENT = "Nexus-sync/1.0"


@dataclass
class ClientStats:
    """What one client did: requests, retries and where the time went."""

    requests: int = 0
    http_seconds: float = 0.0
    wait_seconds: float = 0.0
    retries: int = 0
    reauthentications: int = 0
    rate_limited: int = 0
    ratelimit_remaining: int | None = None
    waits: list[tuple[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["http_seconds"] = round(self.http_seconds, 3)
        data["wait_seconds"] = round(self.wait_seconds, 3)
        data["waits"] = [[reason, round(s, 3)] for reason, s in self.waits[-20:]]
        return data


class SlidingWindowPacer:
    """Client-side pacing below an upstream's per-minute limit.

    Above the cut-off (90 % of the limit, Datto's own threshold) each request
    waits `slowdown` seconds, as Datto would add on its side; at the limit it
    waits until the oldest request leaves the window, so no 429 is provoked.
    """

    def __init__(
        self,
        limit: int,
        *,
        window: float = 60.0,
        cutoff: float = 0.9,
        slowdown: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit, self.window, self.cutoff, self.slowdown = (
            limit,
            window,
            cutoff,
            slowdown,
        )
        self.clock = clock
        self.calls: deque[float] = deque()

    def delay(self) -> float:
        """Seconds to wait before the next request (and record it as made)."""
        if not self.limit:
            return 0.0
        now = self.clock()
        while self.calls and now - self.calls[0] >= self.window:
            self.calls.popleft()
        wait = 0.0
        if len(self.calls) >= self.limit:
            wait = self.window - (now - self.calls[0])
        elif len(self.calls) >= self.limit * self.cutoff:
            wait = self.slowdown
        self.calls.append(now + wait)
        return max(wait, 0.0)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def basic_auth_header(user: str, password: str) -> str:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return f"Basic {token}"


def origin_of(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


class BaseClient:
    """httpx client with bounded retries, Retry-After, re-auth and pacing hooks."""

    service = "upstream"

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_retries: int = 4,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        rate_limit_wait: float = 60.0,
        max_rate_limit_waits: int = 5,
        max_retry_after: float = 600.0,
        rate_limit_per_minute: int = 0,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.origin = origin_of(self.base_url)
        if self.origin[0] not in ("http", "https") or not self.origin[1]:
            raise UpstreamError(f"{self.service}: invalid base URL")
        self.sleep, self.clock = sleep, clock
        self.max_retries, self.backoff_base, self.backoff_max = (
            max_retries,
            backoff_base,
            backoff_max,
        )
        self.rate_limit_wait = rate_limit_wait
        self.max_rate_limit_waits = max_rate_limit_waits
        self.max_retry_after = max_retry_after
        self.pacer = SlidingWindowPacer(rate_limit_per_minute, clock=clock)
        self.stats = ClientStats()
        # Several threads may share a client (read-ahead of pages): the pacer and
        # the token are guarded; httpx's pool is thread-safe.
        self._lock = threading.RLock()
        self.http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # never carry credentials to another place
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
            transport=transport,
        )

    # -- lifecycle -------------------------------------------------------------
    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- hooks for subclasses ----------------------------------------------------
    def auth_headers(self) -> dict:
        return {}

    def reauthenticate(self, used_headers: dict) -> bool:
        """Drop the credentials that were refused; False if retrying cannot help."""
        return False

    def ip_block_wait(self, response: httpx.Response) -> float | None:
        """Seconds to back off for a 403 that is a rate block, else None."""
        return None

    def error_message(self, response: httpx.Response) -> tuple[str, list]:
        return f"HTTP {response.status_code}", []

    def observe(self, response: httpx.Response) -> None:
        """Read rate-limit headers and the like from every response."""

    # -- machinery ---------------------------------------------------------------
    def wait(self, seconds: float, reason: str) -> None:
        if seconds <= 0:
            return
        self.stats.wait_seconds += seconds
        self.stats.waits.append((reason, seconds))
        logger.info("%s: waiting %.1fs (%s)", self.service, seconds, reason)
        self.sleep(seconds)

    def backoff(self, attempt: int) -> float:
        delay = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return delay + random.uniform(0, delay * 0.1)

    def retry_transient(
        self,
        attempt: int,
        failure: str,
        reason: str,
        *,
        url: str,
        status=None,
        cause: BaseException | None = None,
    ) -> None:
        """Back off before retry number `attempt` of a transient failure, or give
        up with UpstreamUnavailable once the retries are spent."""
        if attempt > self.max_retries:
            raise UpstreamUnavailable(
                f"{self.service}: {failure}", status=status, url=url
            ) from cause
        self.stats.retries += 1
        self.wait(self.backoff(attempt), reason)

    def check_origin(self, url: str) -> None:
        if origin_of(url) != self.origin:
            raise ForeignOriginError(
                f"{self.service}: refusing to follow a link to another origin "
                f"({urlsplit(url).hostname})",
                url=url,
            )

    @staticmethod
    def describe(method: str, url: str) -> str:
        return f"{method} {urlsplit(url).path}"

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        json=None,
        data: dict | None = None,
        headers: dict | None = None,
        authenticated: bool = True,
        expect_json: bool = True,
    ):
        """Send one logical request; returns (response, parsed JSON or None).

        Transport errors, time-outs, 409, 5xx and unreadable bodies are retried
        with bounded exponential back-off; 429 waits for Retry-After (bounded
        count); 401 gets one fresh token; other 4xx raise at once.
        """
        self.check_origin(url)
        what = self.describe(method, url)
        transient = rate_waits = blocks = 0
        reauthed = False
        while True:
            with self._lock:
                pace = self.pacer.delay()
            if pace:
                self.wait(pace, "client pacing")
            request_headers = dict(headers or {})
            if authenticated:
                request_headers.update(self.auth_headers())
            started = time.perf_counter()
            try:
                response = self.http.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    headers=request_headers,
                )
                body = response.content
            except httpx.TransportError as exc:
                self.stats.requests += 1
                self.stats.http_seconds += time.perf_counter() - started
                transient += 1
                self.retry_transient(
                    transient,
                    f"{what} failed: {type(exc).__name__}",
                    f"{type(exc).__name__} on {what}",
                    url=url,
                    cause=exc,
                )
                continue
            self.stats.requests += 1
            self.stats.http_seconds += time.perf_counter() - started
            self.observe(response)
            status = response.status_code

            if status == 401 and authenticated and not reauthed:
                reauthed = True
                if self.reauthenticate(request_headers):
                    continue
            if status == 429:
                self.stats.rate_limited += 1
                rate_waits += 1
                delay = parse_retry_after(response.headers.get("Retry-After"))
                if rate_waits > self.max_rate_limit_waits or (
                    delay is not None and delay > self.max_retry_after
                ):
                    raise UpstreamRateLimited(
                        f"{self.service}: {what} rate limited (429)",
                        status=429,
                        url=url,
                    )
                if delay is None:
                    delay = self.rate_limit_wait * rate_waits
                self.wait(delay, f"429 on {what}")
                continue
            if status == 403:
                block = self.ip_block_wait(response)
                if block is not None:
                    self.stats.rate_limited += 1
                    blocks += 1
                    if blocks > 1:
                        raise UpstreamRateLimited(
                            f"{self.service}: {what} blocked (403)", status=403, url=url
                        )
                    self.wait(block, f"403 block on {what}")
                    continue
            if status == 409 or status >= 500:
                transient += 1
                self.retry_transient(
                    transient,
                    f"{what} failed with HTTP {status}",
                    f"HTTP {status} on {what}",
                    url=url,
                    status=status,
                )
                continue
            if 200 <= status < 300:
                if not expect_json or status == 204 or not body:
                    return response, None
                try:
                    return response, response.json()
                except ValueError:
                    transient += 1
                    self.retry_transient(
                        transient,
                        f"{what} returned an unreadable body",
                        f"bad body on {what}",
                        url=url,
                        status=status,
                    )
                    continue
            message, errors = self.error_message(response)
            text = f"{self.service}: {what}: {message}"
            if status == 400:
                raise UpstreamValidationError(
                    text, errors=errors, status=status, url=url
                )
            if status == 401:
                raise UpstreamAuthError(text, status=status, url=url)
            if status == 404:
                raise UpstreamNotFound(text, status=status, url=url)
            raise UpstreamError(text, status=status, url=url)
