"""A faithful fake of the Freshservice API v2 (§3 and §5 of the upstream reference)."""

from __future__ import annotations

import base64
import copy
import math
import time
from collections import deque

from .common import Request, Response, SandboxServer
from .seed import CUSTOM_FIELDS, NUMBER_FIELDS, World, build_world

ID = r"(?P<id>\d+)"
PLAN_LIMITS = {  # overall, list-requesters, list-agents per minute
    "starter": (100, 40, 40),
    "growth": (200, 70, 70),
    "pro": (400, 120, 120),
    "enterprise": (500, 140, 140),
}
DEPARTMENT_FIELDS = ("name", "description", "head_user_id", "prime_user_id",
                     "domains", "custom_fields", "workspace_id")  # fmt: skip


def _validation(field: str, message: str, code: str) -> Response:
    return Response(
        400,
        {
            "description": "Validation failed",
            "errors": [{"field": field, "message": message, "code": code}],
        },
    )


class FreshserviceSandbox(SandboxServer):
    """Freshservice on loopback: key auth, Link paging, per-minute limits, faults.

    Options: `api_key`; `plan` ("starter", "growth", "pro", "enterprise") or
    None for no rate limit; `window` seconds of the per-minute buckets.
    """

    name = "freshservice"
    page_base = 1
    routes = (
        ("GET", r"/api/v2/departments", "departments", "list_departments"),
        ("POST", r"/api/v2/departments", "department_create", "create_department"),
        ("GET", rf"/api/v2/departments/{ID}", "department", "get_department"),
        ("PUT", rf"/api/v2/departments/{ID}", "department_update", "update_department"),
        ("DELETE", rf"/api/v2/departments/{ID}", "department_delete",
         "delete_department"),
        ("GET", r"/api/v2/department_fields", "department_fields", "department_fields"),
        ("GET", r"/api/v2/requesters", "requesters", "list_requesters"),
        ("GET", rf"/api/v2/requesters/{ID}", "requester", "get_requester"),
        ("DELETE", rf"/api/v2/requesters/{ID}", "requester_delete", "delete_requester"),
        ("GET", r"/api/v2/agents", "agents", "list_agents"),
        ("GET", r"/api/v2/agents/me", "agent_me", "agent_me"),
    )  # fmt: skip

    def __init__(
        self,
        world: World | None = None,
        *,
        api_key: str = "sandbox-fs-key",
        plan: str | None = None,
        window: float = 60.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        world = world or build_world()
        self.api_key = api_key
        self.window = window
        self.plan = plan
        limits = PLAN_LIMITS.get(plan or "", (0, 0, 0))
        self.buckets = {
            "overall": (limits[0], deque()),
            "requesters": (limits[1], deque()),
            "agents": (limits[2], deque()),
        }
        self.departments = {d["id"]: copy.deepcopy(d) for d in world.departments}
        self.requesters = {r["id"]: copy.deepcopy(r) for r in world.requesters}
        self.agents = {a["id"]: dict(a) for a in world.agents}
        self.next_id = 21009000000

    # -- auth, rate limits, headers ------------------------------------------------------
    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization") or ""
        if not header.startswith("Basic "):
            return False
        try:
            user = base64.b64decode(header[6:]).decode().split(":", 1)[0]
        except ValueError:
            return False
        return user == self.api_key

    def _consume(self, route: str) -> tuple[bool, float]:
        """Count the call (failed calls count too); (allowed, retry_after)."""
        now = time.monotonic()
        names = ["overall"]
        if route == "requesters":
            names.append("requesters")
        elif route == "agents":
            names.append("agents")
        with self.lock:
            for name in names:
                limit, calls = self.buckets[name]
                while calls and now - calls[0] >= self.window:
                    calls.popleft()
                if limit and len(calls) >= limit:
                    return False, self.window - (now - calls[0])
            for name in names:
                self.buckets[name][1].append(now)
        return True, 0.0

    def decorate(self, request: Request, response: Response, route: str) -> None:
        limit, calls = self.buckets["overall"]
        total = limit or 5000
        response.headers.setdefault("X-Ratelimit-Total", total)
        response.headers.setdefault("X-Ratelimit-Remaining", max(0, total - len(calls)))
        response.headers.setdefault("X-Ratelimit-Used-CurrentRequest", 1)
        response.headers.setdefault(
            "X-Freshservice-Api-Version", "latest=v2; requested=v2"
        )

    def dispatch(self, handler, request: Request) -> None:
        if request.path.startswith("/api/"):
            route = next(
                (n for m, rx, n, _ in self._compiled
                 if m == request.method and rx.match(request.path)),
                "unknown",
            )  # fmt: skip
            allowed, retry = self._consume(route)
            refused = None
            if not allowed:
                refused = Response(
                    429,
                    {"message": "You have exceeded the limit of requests per minute"},
                    {"Retry-After": str(max(1, math.ceil(retry)))},
                )
            elif not self._authorised(request):
                refused = Response(
                    401,
                    {"code": "invalid_credentials",
                     "message": "You have to be logged in to perform this action."},
                )  # fmt: skip
            if refused is not None:
                self.decorate(request, refused, route)
                self._log(request, route, refused.status)
                self._write(handler, refused)
                return
        super().dispatch(handler, request)

    # -- paging --------------------------------------------------------------------------
    def _page(self, request: Request, items: list, key: str, *, max_page=None):
        try:
            page = int(request.query.get("page", 1))
        except ValueError:
            return _validation(
                "page", "It should be a/an Positive Integer", "invalid_value"
            )
        try:
            per_page = int(request.query.get("per_page", 30))
        except ValueError:
            return _validation("per_page", "It should be a/an Positive Integer",
                               "invalid_value")  # fmt: skip
        if page < 1:
            return _validation(
                "page", "It should be a/an Positive Integer", "invalid_value"
            )
        if not 1 <= per_page <= 100:
            return _validation("per_page", "Has to be less than or equal to 100",
                               "invalid_value")  # fmt: skip
        if max_page is not None and page > max_page:
            return _validation("page", f"Has to be less than or equal to {max_page}",
                               "invalid_value")  # fmt: skip
        with self.lock:
            chunk = copy.deepcopy(items[(page - 1) * per_page : page * per_page])
        headers = {}
        if page * per_page < len(items):
            query = {**request.query, "per_page": per_page, "page": page + 1}
            headers["Link"] = f'<{request.url(request.path, query)}>; rel="next"'
        return Response(200, {key: chunk}, headers)

    # -- departments --------------------------------------------------------------------
    def list_departments(self, request):
        workspace = int(request.query.get("workspace_id") or 2)
        with self.lock:
            items = [
                d
                for d in self.departments.values()
                if d.get("workspace_id", 2) == workspace
            ]
        return self._page(request, items, "departments")

    def get_department(self, request):
        dept = self.departments.get(int(request.params["id"]))
        if dept is None:
            return Response(404, {"message": "Record not found"})
        return Response(200, {"department": copy.deepcopy(dept)})

    def _validate_department(self, data) -> Response | None:
        if not isinstance(data, dict):
            return _validation("body", "Request body has invalid json format",
                               "invalid_json")  # fmt: skip
        for key in data:
            if key not in DEPARTMENT_FIELDS:
                return _validation(key, "Unexpected/invalid field in request",
                                   "invalid_field")  # fmt: skip
        if not str(data.get("name") or "").strip():
            return _validation("name", "It should be a/an String", "missing_field")
        custom = data.get("custom_fields") or {}
        if not isinstance(custom, dict):
            return _validation("custom_fields", "It should be a/an key/value pair",
                               "datatype_mismatch")  # fmt: skip
        for key, value in custom.items():
            if key not in CUSTOM_FIELDS:
                return _validation(key, "Unexpected/invalid field in request",
                                   "invalid_field")  # fmt: skip
            if (
                key in NUMBER_FIELDS
                and value is not None
                and (not isinstance(value, int) or isinstance(value, bool))
            ):
                return _validation(
                    key,
                    "The value provided is of type String. It should be of type Integer",
                    "datatype_mismatch",
                )
        return None

    def update_department(self, request):
        dept_id = int(request.params["id"])
        if dept_id not in self.departments:
            return Response(404, {"message": "Record not found"})
        data = request.json()
        problem = self._validate_department(data)
        if problem is not None:
            return problem
        with self.lock:
            dept = self.departments[dept_id]
            custom = data.pop("custom_fields", None) or {}
            dept.update(data)
            dept["custom_fields"].update(custom)
            dept["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            return Response(200, {"department": copy.deepcopy(dept)})

    def create_department(self, request):
        data = request.json()
        problem = self._validate_department(data)
        if problem is not None:
            return problem
        with self.lock:
            self.next_id += 1
            custom = dict.fromkeys(CUSTOM_FIELDS)
            custom.update(data.pop("custom_fields", None) or {})
            dept = {"id": self.next_id, "description": None, "head_user_id": None,
                    "prime_user_id": None, "domains": [], "workspace_id": 2,
                    "head_name": None, "prime_user_name": None, **data,
                    "custom_fields": custom}  # fmt: skip
            self.departments[dept["id"]] = dept
        return Response(
            201,
            {"department": copy.deepcopy(dept)},
            {"Location": f"/api/v2/departments/{dept['id']}"},
        )

    def delete_department(self, request):
        with self.lock:
            if self.departments.pop(int(request.params["id"]), None) is None:
                return Response(404, {"message": "Record not found"})
        return Response(204)

    def department_fields(self, request):
        fields = [
            {"name": name, "label": name.replace("_", " ").title(), "mandatory": name == "name",
             "is_default_field": name in ("name", "description", "head_name",
                                          "prime_user_name", "domains")}
            for name in ("name", "description", "head_name", "prime_user_name",
                         "domains", *CUSTOM_FIELDS)
        ]  # fmt: skip
        return Response(200, {"department_fields": fields})

    # -- requesters and agents -------------------------------------------------------------
    def list_requesters(self, request):
        with self.lock:
            items = list(self.requesters.values())
            if request.query.get("include_agents") == "true":
                items += [{**a, "is_agent": True, "primary_email": a["email"]}
                          for a in self.agents.values()]  # fmt: skip
        email = (request.query.get("email") or "").lower()
        if email:
            items = [
                r for r in items if (r.get("primary_email") or "").lower() == email
            ]
        items.sort(key=lambda r: (r.get("first_name") or "", r["id"]))
        max_page = 40 if "query" in request.query else None
        return self._page(request, items, "requesters", max_page=max_page)

    def get_requester(self, request):
        requester = self.requesters.get(int(request.params["id"]))
        if requester is None:
            return Response(404, {"message": "Record not found"})
        return Response(200, {"requester": copy.deepcopy(requester)})

    def delete_requester(self, request):
        """DELETE deactivates, as upstream (the /forget endpoint would erase)."""
        with self.lock:
            requester = self.requesters.get(int(request.params["id"]))
            if requester is None:
                return Response(404, {"message": "Record not found"})
            requester["active"] = False
        return Response(204)

    def list_agents(self, request):
        return self._page(request, list(self.agents.values()), "agents")

    def agent_me(self, request):
        return Response(200, {"agent": next(iter(self.agents.values()))})

    # -- mutations between runs -------------------------------------------------------------
    def mutate_rename_department(self, department_id: int, name: str) -> int:
        with self.lock:
            self.departments[int(department_id)]["name"] = name
        return department_id

    def mutate_delete_department(self, department_id: int) -> int:
        with self.lock:
            self.departments.pop(int(department_id))
        return department_id

    def mutate_set_custom_field(self, department_id: int, name: str, value) -> int:
        with self.lock:
            self.departments[int(department_id)]["custom_fields"][name] = value
        return department_id

    def mutate_update_requester(self, requester_id: int, **fields) -> int:
        with self.lock:
            self.requesters[int(requester_id)].update(fields)
        return requester_id

    def account_numbers(self) -> list:
        with self.lock:
            return [d["custom_fields"].get("account_number")
                    for d in self.departments.values()]  # fmt: skip

    def state(self) -> dict:
        return {**super().state(), "departments": len(self.departments),
                "requesters": len(self.requesters)}  # fmt: skip
