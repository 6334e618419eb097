"""API-key authentication: `X-API-Key: nx_<prefix>_<secret>` or `Bearer nx_…`."""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiKey

# Writing last_used_at on every request would turn reads into writes; once a
# minute is precise enough for "when was this key last used".
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _failure_key(request) -> str:
    return f"apikey-failures:{request.META.get('REMOTE_ADDR', '')}"


def _refuse(request, message):
    """Count a bad key against the caller's address, then refuse it."""
    key = _failure_key(request)
    window = getattr(settings, "NEXUS_API_KEY_FAILURE_WINDOW", 600)
    cache.add(key, 0, window)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
    raise exceptions.AuthenticationFailed(message)


def parse_key(raw: str) -> tuple[str, str] | None:
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != ApiKey.PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Claims only values that carry our `nx_` prefix, so JWT can run after it."""

    keyword = "Bearer"

    def authenticate(self, request):
        raw = request.META.get("HTTP_X_API_KEY")
        if raw is None:
            header = authentication.get_authorization_header(request).decode(
                "latin-1", "replace"
            )
            scheme, _sep, value = header.partition(" ")
            if scheme != self.keyword or not value.startswith(f"{ApiKey.PREFIX}_"):
                return None
            raw = value
        limit = getattr(settings, "NEXUS_API_KEY_FAILURE_LIMIT", 50)
        if (cache.get(_failure_key(request)) or 0) >= limit:
            raise exceptions.Throttled(
                detail=_("Too many invalid API keys. Try again later.")
            )
        parsed = parse_key(raw)
        if parsed is None:
            _refuse(request, _("Invalid API key."))
        prefix, secret = parsed
        key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
        if key is None or not key.matches(secret):
            _refuse(request, _("Invalid API key."))
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
        now = timezone.now()
        if key.expires_at is not None and key.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        if not key.user.is_active:
            raise exceptions.AuthenticationFailed(_("The key's user is inactive."))
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return key.user, key

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}
