"""The HTTP plumbing both fakes share: routing, JSON, faults and an admin endpoint."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

logger = logging.getLogger(__name__)

FAULT_KINDS = frozenset(
    {"500", "502", "503", "504", "409", "400", "403", "429", "429_no_retry_after",
     "drop", "slow", "garbage", "truncated"}
)  # fmt: skip


@dataclass
class Fault:
    """A failure to inject: on `route` (name or "*"), optionally only on `page`."""

    route: str
    kind: str
    page: int | None = None
    times: int | None = 1  # None: every time
    delay: float = 0.0
    method: str | None = None
    match: str | None = None  # only requests whose path contains this (e.g. a uid)

    def matches(self, route: str, method: str, page: int | None, path: str) -> bool:
        if self.route not in ("*", route):
            return False
        if self.method and self.method != method:
            return False
        if self.match and self.match not in path:
            return False
        return self.page is None or self.page == page


class Request:
    def __init__(self, handler: BaseHTTPRequestHandler, method: str, body: bytes):
        parts = urlsplit(handler.path)
        self.method = method
        self.path = parts.path
        self.query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.headers = handler.headers
        self.body = body
        self.host = handler.headers.get("Host") or "127.0.0.1"
        self.params: dict[str, str] = {}

    def json(self):
        return json.loads(self.body or b"null")

    def url(self, path: str, query: dict) -> str:
        return f"http://{self.host}{path}?{urlencode(query)}"


class Response:
    def __init__(self, status: int = 200, body=None, headers: dict | None = None):
        self.status, self.body, self.headers = status, body, dict(headers or {})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server_version = "NexusSandbox/1.0"

    def log_message(self, format, *args):  # quiet: the tests read the request log
        logger.debug(format, *args)

    def _dispatch(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.sandbox.dispatch(self, Request(self, self.command, body))

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch


class SandboxServer:
    """Base of both fakes: a ThreadingHTTPServer on loopback with injectable faults.

    Subclasses list `routes` as (method, regex, name, handler-method-name).
    """

    name = "sandbox"
    routes: tuple = ()
    page_base = 0

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0):
        self.host, self.port = host, port
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.request_log: deque = deque(maxlen=5000)
        self.request_count = 0
        self._compiled = [
            (method, re.compile(f"^{pattern}$"), name, handler)
            for method, pattern, name, handler in self.routes
        ]
        self.httpd: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> SandboxServer:
        self.httpd = ThreadingHTTPServer((self.host, self.port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.sandbox = self
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever,
            name=f"{self.name}-{self.port}",
            daemon=True,
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- faults --------------------------------------------------------------------
    def inject(
        self,
        route: str,
        kind: str,
        *,
        page: int | None = None,
        times: int | None = 1,
        delay: float = 0.0,
        method: str | None = None,
        match: str | None = None,
    ) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}")
        fault = Fault(route, kind, page, times, delay, method, match)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def _take_fault(self, route: str, request: Request) -> Fault | None:
        page = request.query.get("page")
        page_no = int(page) if page and page.lstrip("-").isdigit() else self.page_base
        with self.lock:
            for fault in self.faults:
                if fault.matches(route, request.method, page_no, request.path):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def calls(self, route: str | None = None, method: str | None = None) -> int:
        """How many requests reached a route (for tests)."""
        with self.lock:
            return sum(
                1
                for m, r, _s in self.request_log
                if (route is None or r == route) and (method is None or m == method)
            )

    # -- dispatch --------------------------------------------------------------------
    def dispatch(self, handler: BaseHTTPRequestHandler, request: Request) -> None:
        route_name, func = "unknown", None
        for method, regex, name, attr in self._compiled:
            match = regex.match(request.path)
            if match and method == request.method:
                route_name, func = name, getattr(self, attr)
                request.params = match.groupdict()
                break
        if request.path.startswith("/_sandbox/"):
            route_name, func = "admin", self.admin
        with self.lock:
            self.request_count += 1
        fault = self._take_fault(route_name, request) if func else None
        if fault is not None and fault.kind == "drop":
            self._log(request, route_name, 0)
            handler.close_connection = True
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay or 2.0)
            fault = None
        if func is None:
            response = Response(404, {"message": "Not found"})
        elif fault is not None:
            response = self.fault_response(fault)
        else:
            try:
                response = func(request)
            except (ValueError, KeyError, TypeError) as exc:
                response = Response(400, {"message": f"Bad request: {exc}"})
        self.decorate(request, response, route_name)
        self._log(request, route_name, response.status)
        self._write(handler, response)

    def _log(self, request: Request, route: str, status: int) -> None:
        with self.lock:
            self.request_log.append((request.method, route, status))

    def fault_response(self, fault: Fault) -> Response:
        if fault.kind == "garbage":
            return Response(200, b"<html>upstream proxy error</html>")
        if fault.kind == "truncated":
            return Response(200, b'{"pageDetails": {"count": 3, "nextPa')
        if fault.kind == "429":
            return Response(429, {"message": "Too many requests"}, {"Retry-After": "1"})
        if fault.kind == "429_no_retry_after":
            return Response(429, {"message": "Too many requests"})
        if fault.kind == "403":
            return Response(403, {"message": "IP blocked"})
        return Response(int(fault.kind), {"message": f"Injected {fault.kind}"})

    def decorate(self, request: Request, response: Response, route: str) -> None:
        """Add per-upstream headers (rate-limit counters and the like)."""

    def _write(self, handler: BaseHTTPRequestHandler, response: Response) -> None:
        body = response.body
        if body is None:
            payload = b""
        elif isinstance(body, bytes):
            payload = body
        else:
            payload = json.dumps(body, separators=(",", ":")).encode()
        handler.send_response(response.status)
        if payload or response.status != 204:
            handler.send_header("Content-Type", "application/json;charset=UTF-8")
        for key, value in response.headers.items():
            handler.send_header(key, str(value))
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if payload:
            handler.wfile.write(payload)

    # -- admin endpoint (for `make run` and manual testing) -------------------------
    def admin(self, request: Request) -> Response:
        """POST /_sandbox/faults {route, kind, page, times, delay}; DELETE clears;
        POST /_sandbox/mutate {op, ...}; GET /_sandbox/state."""
        if request.path == "/_sandbox/faults":
            if request.method == "DELETE":
                self.clear_faults()
                return Response(204)
            if request.method == "POST":
                data = request.json() or {}
                self.inject(
                    data["route"],
                    str(data["kind"]),
                    page=data.get("page"),
                    times=data.get("times", 1),
                    delay=float(data.get("delay") or 0),
                    method=data.get("method"),
                    match=data.get("match"),
                )
                return Response(201, {"faults": len(self.faults)})
        if request.path == "/_sandbox/mutate" and request.method == "POST":
            data = dict(request.json() or {})
            op = data.pop("op")
            method = getattr(self, f"mutate_{op}", None)
            if method is None:
                return Response(400, {"message": f"unknown op {op}"})
            return Response(200, {"result": method(**data)})
        if request.path == "/_sandbox/state" and request.method == "GET":
            return Response(200, self.state())
        return Response(404, {"message": "Not found"})

    def state(self) -> dict:
        return {"requests": self.request_count, "faults": len(self.faults)}
