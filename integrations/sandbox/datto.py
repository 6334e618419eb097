"""A faithful fake of the Datto RMM API v2 (§2 and §5 of the upstream reference)."""

from __future__ import annotations

import base64
import copy
import math
import secrets
import time
from collections import deque
from datetime import UTC, datetime

from .common import Request, Response, SandboxServer
from .seed import ACCOUNT_UID, DELETED_DEVICES, World, build_world

UID = r"(?P<uid>[A-Za-z0-9-]+)"
PUBLIC_CLIENT = "Basic " + base64.b64encode(b"public-client:public").decode()
TIMESTAMP_FIELDS = ("lastSeen", "lastReboot", "lastAuditDate", "creationDate")
WRITE_OPERATIONS = {"variable_create": "site-variable-create",
                    "variable_update": "site-variable-update"}  # fmt: skip


class _Bucket:
    """A sliding-window request counter (one per read/write bucket)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.calls: deque[float] = deque()


class DattoSandbox(SandboxServer):
    """Datto RMM on loopback: OAuth, paging, throttling, faults and mutations.

    Options: `api_key`/`api_secret`; `token_ttl` seconds (100 h by default);
    `timestamps` "ms" (default) or "iso"; `omit_total_count`; `foreign_next_url`;
    `rate_limit` per window for reads and for writes (0 = off), `window`,
    `slowdown` added above 90 %, `retry_after` (send the header on 429),
    `block_after` (429s ignored before a 403 IP block) and `block_seconds`.
    """

    name = "datto"
    page_base = 0
    routes = (
        ("POST", r"/auth/oauth/token", "token", "token"),
        ("GET", r"/api/v2/system/status", "status", "system_status"),
        ("GET", r"/api/v2/system/request_rate", "request_rate", "request_rate"),
        ("GET", r"/api/v2/system/pagination", "pagination", "pagination"),
        ("GET", r"/api/v2/account", "account", "account"),
        ("GET", r"/api/v2/account/sites", "sites", "list_sites"),
        ("GET", r"/api/v2/account/devices", "account_devices", "account_devices"),
        ("GET", rf"/api/v2/site/{UID}", "site", "get_site"),
        ("GET", rf"/api/v2/site/{UID}/devices", "site_devices", "site_devices"),
        ("GET", rf"/api/v2/site/{UID}/variables", "variables", "list_variables"),
        ("PUT", rf"/api/v2/site/{UID}/variable", "variable_create", "create_variable"),
        ("POST", rf"/api/v2/site/{UID}/variable/(?P<vid>\d+)", "variable_update",
         "update_variable"),
        ("DELETE", rf"/api/v2/site/{UID}/variable/(?P<vid>\d+)", "variable_delete",
         "delete_variable"),
        ("GET", rf"/api/v2/device/{UID}", "device", "get_device"),
        ("GET", rf"/api/v2/audit/device/{UID}", "audit", "device_audit"),
        ("GET", rf"/api/v2/audit/device/{UID}/software", "software", "device_software"),
    )  # fmt: skip

    def __init__(
        self,
        world: World | None = None,
        *,
        api_key: str = "sandbox-key",
        api_secret: str = "sandbox-secret",
        token_ttl: float = 360000.0,
        timestamps: str = "ms",
        omit_total_count: bool = False,
        foreign_next_url: bool = False,
        rate_limit: int = 0,
        write_limit: int | None = None,
        window: float = 60.0,
        slowdown: float = 1.0,
        retry_after: bool = True,
        block_after: int = 3,
        block_seconds: float = 300.0,
        expire_tokens_after: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        world = world or build_world()
        self.api_key, self.api_secret = api_key, api_secret
        self.token_ttl = token_ttl
        self.timestamps = timestamps
        self.omit_total_count = omit_total_count
        self.foreign_next_url = foreign_next_url
        self.window, self.slowdown = window, slowdown
        self.retry_after, self.block_after = retry_after, block_after
        self.block_seconds = block_seconds
        self.buckets = {
            "read": _Bucket(rate_limit),
            "write": _Bucket(rate_limit if write_limit is None else write_limit),
        }
        self.throttled_hits = 0
        self.blocked_until = 0.0
        self.tokens: dict[str, float] = {}
        # Expire every token once, after this many authorised API calls (tests).
        self.expire_tokens_after = expire_tokens_after
        self.sites: dict[str, dict] = {s["uid"]: copy.deepcopy(s) for s in world.sites}
        self.devices: dict[str, dict] = {}
        self.site_device_uids: dict[str, list[str]] = {uid: [] for uid in self.sites}
        for device in world.devices:
            self.devices[device["uid"]] = device
            self.site_device_uids[device["siteUid"]].append(device["uid"])
        self.variables = {
            uid: [dict(v) for v in vs] for uid, vs in world.variables.items()
        }
        self.next_variable_id = 100000

    # -- helpers ---------------------------------------------------------------------
    @staticmethod
    def _error(status: int, message: str) -> Response:
        return Response(status, {"message": message})

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization") or ""
        if not header.startswith("Bearer "):
            return False
        with self.lock:
            if self.expire_tokens_after is not None:
                if self.expire_tokens_after <= 0:
                    self.expire_tokens_after = None
                    for token in self.tokens:
                        self.tokens[token] = 0.0
                else:
                    self.expire_tokens_after -= 1
            expires = self.tokens.get(header[7:])
        return expires is not None and time.monotonic() < expires

    def _throttle(self, request: Request, route: str) -> Response | None:
        bucket = self.buckets["write" if request.method != "GET" else "read"]
        if not bucket.limit:
            return None
        now = time.monotonic()
        with self.lock:
            if now < self.blocked_until:
                return self._error(
                    403, "IP blocked: too many requests (AWS DDOS protection)"
                )
            while bucket.calls and now - bucket.calls[0] >= self.window:
                bucket.calls.popleft()
            if len(bucket.calls) >= bucket.limit:
                self.throttled_hits += 1
                if self.throttled_hits > self.block_after:
                    self.blocked_until = now + self.block_seconds
                    self.throttled_hits = 0
                    return self._error(
                        403, "IP blocked: too many requests (AWS DDOS protection)"
                    )
                headers = {}
                if self.retry_after:
                    wait = self.window - (now - bucket.calls[0])
                    headers["Retry-After"] = str(max(1, math.ceil(wait)))
                return Response(429, {"message": "Rate limit exceeded"}, headers)
            self.throttled_hits = 0
            bucket.calls.append(now)
            slow = len(bucket.calls) >= 0.9 * bucket.limit
        if slow and self.slowdown:
            time.sleep(self.slowdown)
        return None

    def dispatch(self, handler, request: Request) -> None:
        # Auth and throttling come before the route's own work, as upstream.
        if request.path.startswith("/api/") and request.path != "/api/v2/system/status":
            if not self._authorised(request):
                self._log(request, "unauthorised", 401)
                self._write(handler, self._error(401, "Request can not be authorized"))
                return
            refused = self._throttle(request, request.path)
            if refused is not None:
                self._log(request, "throttled", refused.status)
                self._write(handler, refused)
                return
        super().dispatch(handler, request)

    def _page(self, request: Request, items: list, key: str) -> Response:
        try:
            page = max(0, int(request.query.get("page", 0)))
            size = int(request.query.get("max", 250))
        except ValueError:
            return self._error(400, "page and max must be integers")
        size = min(250, max(1, size))
        chunk = items[page * size : (page + 1) * size]
        more = (page + 1) * size < len(items)
        host = "foreign.invalid:8443" if self.foreign_next_url else request.host
        query = {k: v for k, v in request.query.items() if k not in ("page", "max")}

        def link(n):
            return f"http://{host}{request.path}?" + "&".join(
                [f"{k}={v}" for k, v in query.items()] + [f"max={size}", f"page={n}"]
            )

        details = {
            "count": len(chunk),
            "totalCount": len(items),
            "prevPageUrl": link(page - 1) if page > 0 else None,
            "nextPageUrl": link(page + 1) if more else None,
        }
        if self.omit_total_count:
            details.pop("totalCount")
        return Response(200, {"pageDetails": details, key: chunk})

    def _render_site(self, site: dict) -> dict:
        uids = self.site_device_uids.get(site["uid"], [])
        online = sum(1 for uid in uids if self.devices[uid]["online"])
        return {
            **site,
            "devicesStatus": {
                "numberOfDevices": len(uids),
                "numberOfOnlineDevices": online,
                "numberOfOfflineDevices": len(uids) - online,
            },
        }

    def _render_device(self, device: dict) -> dict:
        site = self.sites[device["siteUid"]]
        out = {**device, "siteId": site["id"], "siteName": site["name"]}
        if self.timestamps == "iso":
            for name in TIMESTAMP_FIELDS:
                if out.get(name) is not None:
                    out[name] = (
                        datetime.fromtimestamp(out[name] / 1000, UTC)
                        .isoformat()
                        .replace("+00:00", "Z")
                    )
        return out

    # -- routes ------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        if request.headers.get("Authorization") != PUBLIC_CLIENT:
            return Response(401, {"error": "unauthorized", "error_description":
                                  "Full authentication is required"})  # fmt: skip
        from urllib.parse import parse_qs

        form = {k: v[-1] for k, v in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "password" or (
            form.get("username"),
            form.get("password"),
        ) != (self.api_key, self.api_secret):
            return Response(400, {"error": "invalid_grant",
                                  "error_description": "Bad credentials"})  # fmt: skip
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_ttl
        return Response(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "refresh_token": secrets.token_urlsafe(24),
                "expires_in": int(self.token_ttl),
                "scope": "default",
                "jti": secrets.token_hex(8),
            },
        )

    def revoke_all_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()

    def expire_tokens(self) -> None:
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0.0

    def system_status(self, request):
        return Response(200, {"version": "1.22.1", "status": "OK",
                              "started": "2026-01-01T00:00:00Z"})  # fmt: skip

    def request_rate(self, request):
        read = self.buckets["read"]
        return Response(200, {
            "slidingTimeWindowSizeSeconds": int(self.window),
            "accountUid": ACCOUNT_UID,
            "accountCount": len(read.calls),
            "accountRateLimit": read.limit or 600,
            "accountCutOffRatio": 0.9,
        })  # fmt: skip

    def pagination(self, request):
        return Response(200, {"max": 250})

    def account(self, request):
        return Response(200, {
            "id": 1, "uid": ACCOUNT_UID, "name": "Sandbox MSP", "currency": "EUR",
            "descriptor": {"bilingEmail": "billing@sandbox.example",
                           "deviceLimit": 100000, "timeZone": "UTC"},
            "devicesStatus": {"numberOfDevices": len(self.devices)},
        })  # fmt: skip

    def list_sites(self, request):
        like = (request.query.get("siteName") or "").lower()
        with self.lock:
            sites = [
                self._render_site(s)
                for s in self.sites.values()
                if like in s["name"].lower()
            ]
        return self._page(request, sites, "sites")

    def get_site(self, request):
        site = self.sites.get(request.params["uid"])
        if site is None:
            return self._error(404, "Site not found")
        return Response(200, self._render_site(site))

    def site_devices(self, request):
        uid = request.params["uid"]
        with self.lock:
            if uid not in self.sites:
                return self._error(404, "Site not found")
            devices = [
                self._render_device(self.devices[d]) for d in self.site_device_uids[uid]
            ]
        return self._page(request, devices, "devices")

    def account_devices(self, request):
        filters = {
            "hostname": "hostname",
            "siteName": "siteName",
            "operatingSystem": "operatingSystem",
        }
        with self.lock:
            devices = [self._render_device(d) for d in self.devices.values()]
        for param, key in filters.items():
            like = (request.query.get(param) or "").lower()
            if like:
                devices = [d for d in devices if like in (d.get(key) or "").lower()]
        kind = (request.query.get("deviceType") or "").lower()
        if kind:
            devices = [
                d for d in devices if kind in d["deviceType"]["category"].lower()
            ]
        return self._page(request, devices, "devices")

    def get_device(self, request):
        device = self.devices.get(request.params["uid"])
        if device is None:
            return self._error(404, "Device not found")
        return Response(200, self._render_device(device))

    def device_audit(self, request):
        device = self.devices.get(request.params["uid"])
        if device is None:
            return self._error(404, "Device not found")
        if device["deviceClass"] != "device":
            return self._error(400, "Device class is not 'device'")
        serial = "SN" + device["uid"].replace("-", "")[:10].upper()
        return Response(200, {
            "portalUrl": device["portalUrl"], "webRemoteUrl": device["webRemoteUrl"],
            "systemInfo": {"manufacturer": "Dell Inc.", "model": "OptiPlex 7010",
                           "totalPhysicalMemory": 17179869184, "username": "",
                           "dotNetVersion": "4.8", "totalCpuCores": 8},
            "bios": {"instance": "BIOS", "releaseDate": "2024-01-01",
                     "serialNumber": serial, "smBiosVersion": "3.4"},
            "baseBoard": {"manufacturer": "Dell Inc.", "product": "0X8DXD"},
            "nics": [], "logicalDisks": [], "processors": [{"name": "Intel Core i7"}],
            "physicalMemory": [], "displays": [], "videoBoards": [],
            "attachedDevices": [], "mobileInfo": [],
        })  # fmt: skip

    def device_software(self, request):
        if request.params["uid"] not in self.devices:
            return self._error(404, "Device not found")
        software = [{"name": "Google Chrome", "version": "129.0"},
                    {"name": "Microsoft 365 Apps", "version": "16.0"}]  # fmt: skip
        return self._page(request, software, "software")

    def list_variables(self, request):
        uid = request.params["uid"]
        if uid not in self.sites:
            return self._error(404, "Site not found")
        with self.lock:
            variables = [dict(v) for v in self.variables.get(uid, [])]
        return self._page(request, variables, "variables")

    def create_variable(self, request):
        uid = request.params["uid"]
        if uid not in self.sites:
            return self._error(404, "Site not found")
        data = request.json()
        if not isinstance(data, dict) or not data.get("name"):
            return self._error(400, "name is required")
        with self.lock:
            self.next_variable_id += 1
            variable = {
                "id": self.next_variable_id,
                "name": str(data["name"]),
                "value": str(data.get("value") or ""),
                "masked": bool(data.get("masked")),
            }
            self.variables.setdefault(uid, []).append(variable)
        return Response(200, dict(variable))

    def update_variable(self, request):
        uid, vid = request.params["uid"], int(request.params["vid"])
        data = request.json()
        if not isinstance(data, dict):
            return self._error(400, "body must be an object")
        with self.lock:
            for variable in self.variables.get(uid, []):
                if variable["id"] == vid:
                    variable["name"] = str(data.get("name") or variable["name"])
                    variable["value"] = str(data.get("value") or "")
                    return Response(200, dict(variable))
        return self._error(404, "Variable not found")

    def delete_variable(self, request):
        uid, vid = request.params["uid"], int(request.params["vid"])
        with self.lock:
            before = self.variables.get(uid, [])
            after = [v for v in before if v["id"] != vid]
            if len(after) == len(before):
                return self._error(404, "Variable not found")
            self.variables[uid] = after
        return Response(200, {})

    # -- mutations between runs (in-process and via POST /_sandbox/mutate) --------------
    def site_uid_by_name(self, name: str) -> str:
        return next(uid for uid, s in self.sites.items() if s["name"] == name)

    def mutate_rename_site(self, site_uid: str, name: str) -> str:
        with self.lock:
            self.sites[site_uid]["name"] = name
        return site_uid

    def mutate_move_device(self, device_uid: str, site_uid: str) -> str:
        with self.lock:
            device = self.devices[device_uid]
            self.site_device_uids[device["siteUid"]].remove(device_uid)
            device["siteUid"] = site_uid
            self.site_device_uids[site_uid].append(device_uid)
        return device_uid

    def mutate_delete_device(self, device_uid: str) -> str:
        """Move a device into the "Deleted Devices" system site, as Datto does."""
        target = self.site_uid_by_name(DELETED_DEVICES)
        self.mutate_move_device(device_uid, target)
        with self.lock:
            self.devices[device_uid]["deleted"] = True
        return device_uid

    def mutate_remove_device(self, device_uid: str) -> str:
        with self.lock:
            device = self.devices.pop(device_uid)
            self.site_device_uids[device["siteUid"]].remove(device_uid)
        return device_uid

    def mutate_set_variable(self, site_uid: str, name: str, value: str | None) -> str:
        with self.lock:
            variables = self.variables.setdefault(site_uid, [])
            existing = next((v for v in variables if v["name"] == name), None)
            if value is None:
                if existing:
                    variables.remove(existing)
            elif existing:
                existing["value"] = value
            else:
                self.next_variable_id += 1
                variables.append({"id": self.next_variable_id, "name": name,
                                  "value": value, "masked": False})  # fmt: skip
        return site_uid

    def mutate_update_device(self, device_uid: str, **fields) -> str:
        with self.lock:
            self.devices[device_uid].update(fields)
        return device_uid

    def variable(self, site_uid: str, name: str = "AccountNumber") -> str | None:
        for variable in self.variables.get(site_uid, []):
            if variable["name"] == name:
                return variable["value"]
        return None

    def state(self) -> dict:
        return {
            **super().state(),
            "sites": len(self.sites),
            "devices": len(self.devices),
            "tokens": len(self.tokens),
        }
