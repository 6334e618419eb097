"""Datto RMM API v2 client (OAuth password grant, nextPageUrl paging, throttling)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from .base import BaseClient, basic_auth_header
from .errors import (
    NotConfigured,
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFound,
    UpstreamValidationError,
)

# Datto's single public OAuth client, shared by every account.
PUBLIC_CLIENT = ("public-client", "public")
PLATFORMS = ("pinotage", "merlot", "concord", "vidal", "zinfandel", "syrah")
PAGE_MAX = 250


def normalize_datto_url(url: str) -> str:
    """Accept a platform name or any base URL; the token path lives outside /api."""
    url = (url or "").strip().rstrip("/")
    if url.lower() in PLATFORMS:
        return f"https://{url.lower()}-api.centrastage.net"
    if url.endswith("/api"):
        url = url[: -len("/api")]
    return url


class DattoRMMClient(BaseClient):
    """Talks to one Datto RMM account; pages are streamed, never held whole."""

    service = "Datto RMM"

    def __init__(self, base_url: str, api_key: str, api_secret: str, **kwargs):
        if not base_url or not api_key or not api_secret:
            raise NotConfigured("Datto RMM: base URL, API key and secret are required")
        kwargs.setdefault("rate_limit_wait", 60.0)
        self.ip_block_seconds = kwargs.pop("ip_block_seconds", 300.0)
        self.page_size = min(PAGE_MAX, kwargs.pop("page_size", PAGE_MAX))
        super().__init__(normalize_datto_url(base_url), **kwargs)
        self._api_key, self._api_secret = api_key, api_secret
        self._token: str | None = None
        self._token_expires_at = 0.0

    # -- auth ------------------------------------------------------------------
    def authenticate(self) -> None:
        try:
            _response, data = self.request(
                "POST",
                f"{self.base_url}/auth/oauth/token",
                data={
                    "grant_type": "password",
                    "username": self._api_key,
                    "password": self._api_secret,
                },
                headers={
                    "Authorization": basic_auth_header(*PUBLIC_CLIENT),
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                authenticated=False,
            )
        except (UpstreamValidationError, UpstreamNotFound) as exc:
            raise UpstreamAuthError(
                f"Datto RMM: the API key or secret was refused ({exc.status})",
                status=exc.status,
            ) from None
        token = (data or {}).get("access_token")
        if not token:
            raise UpstreamAuthError("Datto RMM: the token response had no token")
        self._token = token
        expires_in = float((data or {}).get("expires_in") or 360000)
        # Renew a minute early rather than let a call fail on the boundary.
        self._token_expires_at = self.clock() + max(1.0, expires_in - 60)

    def auth_headers(self) -> dict:
        with self._lock:
            if self._token is None or self.clock() >= self._token_expires_at:
                self.authenticate()
            return {"Authorization": f"Bearer {self._token}"}

    def reauthenticate(self, used_headers: dict) -> bool:
        with self._lock:
            # Only the first thread to see the refusal drops the token; the others
            # simply retry with the fresh one.
            if (
                self._token
                and used_headers.get("Authorization") == f"Bearer {self._token}"
            ):
                self._token = None
                self.stats.reauthentications += 1
        return True

    def ip_block_wait(self, response: httpx.Response) -> float | None:
        # Datto answers persistent over-limit callers with 403 and a temporary IP
        # block, so a 403 is backed off once before it is taken as "forbidden".
        return self.ip_block_seconds

    def error_message(self, response: httpx.Response) -> tuple[str, list]:
        try:
            body = response.json()
        except ValueError:
            return f"HTTP {response.status_code}", []
        if isinstance(body, dict):
            message = body.get("message") or body.get("error_description")
            message = message or body.get("error") or ""
            return f"HTTP {response.status_code} {message}".strip(), []
        return f"HTTP {response.status_code}", []

    # -- reading -----------------------------------------------------------------
    def api_url(self, path: str) -> str:
        return f"{self.base_url}/api{path}"

    def get(self, path: str, params: dict | None = None):
        return self.request("GET", self.api_url(path), params=params)[1]

    def iter_pages(
        self, path: str, key: str, params: dict | None = None
    ) -> Iterator[list[dict]]:
        """Yield each page's items, following pageDetails.nextPageUrl."""
        url: str | None = self.api_url(path)
        query: dict | None = {"max": self.page_size, "page": 0, **(params or {})}
        seen: set[str] = set()
        while url:
            _response, data = self.request("GET", url, params=query)
            data = data or {}
            yield list(data.get(key) or [])
            next_url = (data.get("pageDetails") or {}).get("nextPageUrl")
            if next_url:
                self.check_origin(next_url)
                if next_url in seen:
                    raise UpstreamError(f"Datto RMM: pagination loop at {path}")
                seen.add(next_url)
            url, query = next_url, None

    def iter_sites(self) -> Iterator[dict]:
        for page in self.iter_pages("/v2/account/sites", "sites"):
            yield from page

    def iter_site_device_pages(self, site_uid: str) -> Iterator[list[dict]]:
        yield from self.iter_pages(f"/v2/site/{site_uid}/devices", "devices")

    def iter_account_device_pages(self, **filters) -> Iterator[list[dict]]:
        yield from self.iter_pages("/v2/account/devices", "devices", filters)

    def site(self, site_uid: str) -> dict:
        return self.get(f"/v2/site/{site_uid}")

    def site_variables(self, site_uid: str) -> list[dict]:
        variables: list[dict] = []
        for page in self.iter_pages(f"/v2/site/{site_uid}/variables", "variables"):
            variables.extend(page)
        return variables

    def device(self, device_uid: str) -> dict:
        return self.get(f"/v2/device/{device_uid}")

    def device_audit(self, device_uid: str) -> dict:
        return self.get(f"/v2/audit/device/{device_uid}")

    def account(self) -> dict:
        return self.get("/v2/account")

    def check(self) -> str:
        """Prove the credentials work; returns the account name."""
        return str((self.account() or {}).get("name") or "")

    # -- writing -----------------------------------------------------------------
    def create_site_variable(
        self, site_uid: str, name: str, value: str, *, masked: bool = False
    ):
        return self.request(
            "PUT",
            self.api_url(f"/v2/site/{site_uid}/variable"),
            json={"name": name, "value": value, "masked": masked},
        )[1]

    def update_site_variable(
        self, site_uid: str, variable_id: int, name: str, value: str
    ):
        return self.request(
            "POST",
            self.api_url(f"/v2/site/{site_uid}/variable/{variable_id}"),
            json={"name": name, "value": value},
        )[1]
