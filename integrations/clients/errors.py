"""Errors raised by the upstream clients; messages never contain credentials."""


class UpstreamError(Exception):
    """An upstream call failed for good (after any retries)."""

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, url: str = ""):
        super().__init__(message)
        self.status = status
        self.url = url


class UpstreamUnavailable(UpstreamError):
    """5xx, 409, time-outs, dropped connections or bad bodies outlasted the retries."""

    retryable = True


class UpstreamRateLimited(UpstreamError):
    """429 (or Datto's 403 IP block) outlasted the allowed waits."""

    retryable = True


class UpstreamAuthError(UpstreamError):
    """The credentials were refused (also after one fresh token)."""


class UpstreamNotFound(UpstreamError):
    """404 for a single object."""


class UpstreamValidationError(UpstreamError):
    """400 with the upstream's field errors, readable."""

    def __init__(self, message: str, *, errors=None, **kwargs):
        super().__init__(message, **kwargs)
        self.errors = errors or []


class ForeignOriginError(UpstreamError):
    """A pagination link pointed away from the API's own origin; never followed."""


class NotConfigured(UpstreamError):
    """The connection has no base URL or credentials."""
