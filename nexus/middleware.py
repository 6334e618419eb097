"""Page-only middleware, skipped for API requests that bring their own credentials.

An API request with an API key (`X-API-Key`, or `Authorization: Bearer nx_…`)
or a JWT (`Authorization: Bearer …`) is authenticated by DRF from that header
alone: it has no use for a session, the session user, flash messages or htmx
details. (CSRF stays Django's own middleware for every request: `check --deploy`
requires it by name, and DRF's views are exempt from it anyway.) Each wrapper below runs the
Django/third-party middleware it names for every other request (pages, the
admin, the browsable API used with a session, API calls without a header) and
passes such API requests straight on, saving their per-request cost.

Security headers (SecurityMiddleware, X-Frame-Options), request ids, locale
(translated API errors) and CommonMiddleware still run for every request.
"""

from django.contrib.auth import middleware as auth_middleware
from django.contrib.messages import middleware as messages_middleware
from django.contrib.sessions import middleware as sessions_middleware
from django_htmx import middleware as htmx_middleware


def has_api_credentials(request) -> bool:
    """An /api/ request that carries an API key or a bearer token."""
    if not request.path_info.startswith("/api/"):
        return False
    meta = request.META
    return "HTTP_X_API_KEY" in meta or meta.get("HTTP_AUTHORIZATION", "").startswith(
        "Bearer "
    )


class PageOnlyMixin:
    """Put before a middleware class: that middleware runs except for
    credentialed API requests (see the module docstring). Subclasses stay
    subclasses of the original, so Django's and the apps' checks still see it."""

    def __call__(self, request):
        if has_api_credentials(request):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(PageOnlyMixin, sessions_middleware.SessionMiddleware):
    pass


class AuthenticationMiddleware(PageOnlyMixin, auth_middleware.AuthenticationMiddleware):
    pass


class MessageMiddleware(PageOnlyMixin, messages_middleware.MessageMiddleware):
    pass


class HtmxMiddleware(PageOnlyMixin, htmx_middleware.HtmxMiddleware):
    pass
