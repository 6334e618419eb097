"""Freshservice API v2 client (Basic key auth, Link-header paging, Retry-After)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from .base import BaseClient, basic_auth_header
from .errors import NotConfigured, UpstreamError

PER_PAGE_MAX = 100


def normalize_freshservice_url(url: str) -> str:
    """Accept "acme", "acme.freshservice.com" or a full URL (with or without /api/v2)."""
    url = (url or "").strip().rstrip("/")
    if url and "://" not in url:
        url = f"https://{url if '.' in url else url + '.freshservice.com'}"
    if url.endswith("/api/v2"):
        url = url[: -len("/api/v2")]
    return url


class FreshserviceClient(BaseClient):
    """Talks to one Freshservice account; lists are streamed page by page."""

    service = "Freshservice"

    def __init__(self, base_url: str, api_key: str, **kwargs):
        if not base_url or not api_key:
            raise NotConfigured("Freshservice: base URL and API key are required")
        kwargs.setdefault("rate_limit_wait", 10.0)
        self.per_page = min(PER_PAGE_MAX, kwargs.pop("per_page", PER_PAGE_MAX))
        super().__init__(normalize_freshservice_url(base_url), **kwargs)
        self._auth = {"Authorization": basic_auth_header(api_key, "X")}

    def auth_headers(self) -> dict:
        return self._auth

    def observe(self, response: httpx.Response) -> None:
        remaining = response.headers.get("X-Ratelimit-Remaining")
        if remaining is not None and remaining.lstrip("-").isdigit():
            self.stats.ratelimit_remaining = int(remaining)

    def error_message(self, response: httpx.Response) -> tuple[str, list]:
        """Turn {"description", "errors": [{field, message, code}]} into text."""
        try:
            body = response.json()
        except ValueError:
            return f"HTTP {response.status_code}", []
        if not isinstance(body, dict):
            return f"HTTP {response.status_code}", []
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        parts = [
            f"{e.get('field') or '-'}: {e.get('message') or ''} ({e.get('code') or ''})"
            for e in errors
        ]
        description = body.get("description") or body.get("message") or ""
        text = f"HTTP {response.status_code} {description}".strip()
        if parts:
            text += " — " + "; ".join(parts)
        return text, errors

    def api_url(self, path: str) -> str:
        return f"{self.base_url}/api/v2{path}"

    def iter_pages(
        self, path: str, key: str, params: dict | None = None
    ) -> Iterator[list[dict]]:
        """Yield each page's items, following the Link rel="next" header."""
        url: str | None = self.api_url(path)
        query: dict | None = {"per_page": self.per_page, "page": 1, **(params or {})}
        seen: set[str] = set()
        while url:
            response, data = self.request("GET", url, params=query)
            yield list((data or {}).get(key) or [])
            next_url = response.links.get("next", {}).get("url")
            if next_url:
                self.check_origin(next_url)
                if next_url in seen:
                    raise UpstreamError(f"Freshservice: pagination loop at {path}")
                seen.add(next_url)
            url, query = next_url, None

    def iter_departments(self, **params) -> Iterator[list[dict]]:
        yield from self.iter_pages("/departments", "departments", params)

    def iter_requesters(self, **params) -> Iterator[list[dict]]:
        yield from self.iter_pages("/requesters", "requesters", params)

    def department(self, department_id: int) -> dict:
        data = self.request("GET", self.api_url(f"/departments/{department_id}"))[1]
        return (data or {}).get("department") or {}

    def update_department(self, department_id: int, payload: dict) -> dict:
        data = self.request(
            "PUT", self.api_url(f"/departments/{department_id}"), json=payload
        )[1]
        return (data or {}).get("department") or {}

    def check(self) -> str:
        """Prove the key works; returns the agent's e-mail."""
        data = self.request("GET", self.api_url("/agents/me"))[1]
        return str(((data or {}).get("agent") or {}).get("email") or "")
