"""API-key authentication: `X-API-Key: nx_<prefix>_<secret>` or `Bearer nx_…`."""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from . import authentication_cache as key_cache
from . import permcache
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
    """Claims only values that carry our `nx_` prefix, so JWT can run after it.

    The key row, its user and the user's permissions come from a short-lived
    shared cache (`accounts.authentication_cache`) in the same round trip as the
    bad-key counter, so an authenticated request usually runs no query here.
    """

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
        parsed = parse_key(raw)
        failures = _failure_key(request)
        names = [failures, permcache.VERSION_KEY]
        if parsed is not None:
            names += [
                key_cache.entry_key(parsed[0]),
                key_cache.generation_key(parsed[0]),
            ]
        found = cache.get_many(names)
        limit = getattr(settings, "NEXUS_API_KEY_FAILURE_LIMIT", 50)
        if (found.get(failures) or 0) >= limit:
            raise exceptions.Throttled(
                detail=_("Too many invalid API keys. Try again later.")
            )
        if parsed is None:
            _refuse(request, _("Invalid API key."))
        prefix, secret = parsed
        generation = found.get(key_cache.generation_key(prefix))
        entry = found.get(key_cache.entry_key(prefix))
        if entry is None or entry["generation"] != generation:
            entry = {"generation": generation, "key": None}
            key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
            if key is not None:
                entry["key"] = key
                self._store(prefix, entry)
        key = entry["key"]
        if key is None or not key.matches(secret):
            _refuse(request, _("Invalid API key."))
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
        now = timezone.now()
        if key.expires_at is not None and key.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("This API key has expired."))
        user = key.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("The key's user is inactive."))
        self._attach_permissions(prefix, entry, user, found.get(permcache.VERSION_KEY))
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
            self._store(prefix, entry)
        return user, key

    @staticmethod
    def _store(prefix: str, entry: dict) -> None:
        cache.set(key_cache.entry_key(prefix), entry, key_cache.ENTRY_TTL)

    def _attach_permissions(self, prefix, entry, user, version) -> None:
        """Give the user its permissions and roles for the current permission
        version, from the entry or computed (and then kept in the entry)."""
        version = version or permcache.current_version()
        user.__dict__["_permcache_version"] = version
        perms = entry.get("perms")
        if perms is None or perms[0] != version:
            for stale in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
                user.__dict__.pop(stale, None)
            user.__dict__.pop("roles", None)
            perms = (version, frozenset(user.get_all_permissions()), user.roles)
            entry["perms"] = perms
            self._store(prefix, entry)
        user._perm_cache = set(perms[1])
        user.__dict__["roles"] = perms[2]

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-API-Key"}
