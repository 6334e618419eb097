"""Pagination for the asset list: cheap counts, cheap deep offsets, keyset cursors.

The plain `LimitOffsetPagination` costs, on 100,000 assets, a `COUNT(*)` on every
page (~6 ms on PostgreSQL) and an `OFFSET` that walks every skipped row (~6 ms at
offset 90,000, more when the skipped rows are fetched with their joins). Here:

* **Counts** are exact and cached per *data version* (see `assets.listcache`):
  any asset write replaces the version, so a cached count is never stale for ORM
  writes; entries also expire after `CACHE_TTL` seconds for writes that bypass the
  ORM. Queries that join other tables (e.g. a search over the company name) are
  not cached, because a write there would not change the version.
* **Deep offsets** (≥ `DIRECT_OFFSET_LIMIT`) are resolved on an index of the sort
  key: the first time a region is read, the key of the row at each multiple of
  `ANCHOR_EVERY` is remembered (in the same versioned cache entry), walking only
  the index (ids, an index-only scan) from the nearest anchor below; later pages
  start at their anchor with a keyset condition, in one query that skips fewer
  than `ANCHOR_EVERY` rows.
* **Cursors**: `?cursor=` (from a previous page's `next`) pages by keyset and
  never skips rows at all; it is exact under concurrent inserts.

Keyset reads need a sort key of non-null columns of the asset table (the default
`hostname, id`, or `?ordering=` on such a column); other orderings fall back to an
id-first OFFSET read and do not offer cursors.
"""

import base64
import hashlib

import orjson
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from nexus.pagination import LimitOffsetPagination

from ..listcache import VERSION_KEY, asset_list_version
from . import sqljson

CACHE_TTL = 300
# Query parameters that never change the page query's plan by their values.
PLAN_NEUTRAL_PARAMS = frozenset({"limit", "offset", "cursor", "ordering", "format"})
ANCHOR_EVERY = 200
DIRECT_OFFSET_LIMIT = 2000


class KeysetOffsetPagination(LimitOffsetPagination):
    """`?limit=&offset=` with cached counts and anchors, plus `?cursor=`."""

    cursor_query_param = "cursor"
    cache_prefix = "nexus:assets:pages"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.cursor_key = None
        self._ids_compiled = None
        # Set by the view: pages are then rows of (*sort key, JSON document text)
        # rendered by PostgreSQL (assets.api.sqljson), not instances.
        self.sql_documents = getattr(view, "sql_documents_serializer", None)
        # Prepared statements only when no filter or search shapes the plan.
        self.sql_prepare = request.query_params.keys() <= PLAN_NEUTRAL_PARAMS
        ordering = self._ordering(queryset)
        self.ordering = ordering
        queryset = queryset.order_by(*self._order_by(ordering))
        self.keyset = ordering if self._keyset_possible(queryset, ordering) else None
        ids = self._ids_query(queryset, ordering)
        state = self._state(ids)
        self.count = self._count(queryset, state)
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True

        raw_cursor = request.query_params.get(self.cursor_query_param)
        if raw_cursor:
            self.offset = 0
            return self._cursor_page(queryset, ids, ordering, raw_cursor)

        self.offset = self.get_offset(request)
        if self.count == 0 or self.offset > self.count:
            return []
        if self.offset < DIRECT_OFFSET_LIMIT:
            if self.sql_documents:
                return self._direct_documents(ids)
            page = list(queryset[self.offset : self.offset + self.limit])
            self._remember_last(page, ordering)
            return page
        return self._deep_page(queryset, ids, ordering, state)

    # -- responses ---------------------------------------------------------------

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "next_cursor": self.get_next_cursor_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["next_cursor"] = {
            "type": "string",
            "nullable": True,
            "format": "uri",
            "description": str(
                _(
                    "The next page by keyset (?cursor=): exact under concurrent "
                    "writes and as fast at any depth."
                )
            ),
        }
        return response

    def get_next_link(self):
        if getattr(
            self, "cursor_key", None
        ) is not None and self.request.query_params.get(self.cursor_query_param):
            return self.get_next_cursor_link()
        return super().get_next_link()

    def get_previous_link(self):
        if self.request.query_params.get(self.cursor_query_param):
            return None
        return super().get_previous_link()

    def get_next_cursor_link(self):
        if self.cursor_key is None:
            return None
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, self.offset_query_param)
        url = replace_query_param(url, self.limit_query_param, self.limit)
        return replace_query_param(
            url, self.cursor_query_param, _encode_cursor(self.cursor_key)
        )

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": str(
                    _("Keyset cursor from a previous page's next_cursor.")
                ),
                "schema": {"type": "string"},
            }
        )
        return parameters

    # -- ordering and keys ---------------------------------------------------------

    def _ordering(self, queryset) -> list[tuple[str, bool]]:
        query = queryset.query
        names = list(query.order_by) or (
            list(query.get_meta().ordering) if query.default_ordering else []
        )
        ordering = []
        for name in names:
            if not isinstance(name, str):
                return [("pk", False)]
            descending = name.startswith("-")
            field = name.lstrip("-")
            field = "pk" if field == "id" else field
            ordering.append((field, descending))
        if not any(field == "pk" for field, _desc in ordering):
            ordering.append(("pk", False))
        return ordering

    @staticmethod
    def _order_by(ordering) -> list[str]:
        return [f"-{field}" if desc else field for field, desc in ordering]

    @staticmethod
    def _keyset_possible(queryset, ordering) -> bool:
        meta = queryset.model._meta
        for field_name, _desc in ordering:
            if field_name == "pk":
                continue
            if "__" in field_name:
                return False
            try:
                field = meta.get_field(field_name)
            except FieldDoesNotExist:
                return False
            if not field.concrete or field.null or field.is_relation:
                return False
        return True

    def _ids_query(self, queryset, ordering):
        fields = [field for field, _desc in ordering]
        return queryset.values_list(*fields)

    # -- cached state ------------------------------------------------------------

    def _state_key(self, ids) -> str | None:
        if len(ids.query.alias_map) > 1:
            return None  # joins other tables: their writes do not move our version
        sql, params = self._ids_compiled = ids.query.sql_with_params()
        digest = hashlib.sha1(repr((sql, params)).encode(), usedforsecurity=False)
        return f"{self.cache_prefix}:{digest.hexdigest()}"

    def _state(self, ids) -> dict:
        """The cached count and anchors of this query, if computed for the
        current data version (read together with the version: one round trip)."""
        key = self._state_key(ids)
        if key is None:
            return {"_key": None}
        found = cache.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY) or asset_list_version()
        state = found.get(key)
        if not state or state.get("_version") != version:
            state = {"_version": version}
        state["_key"] = key
        return state

    def _save_state(self, state: dict) -> None:
        key = state.get("_key")
        if key:
            cache.set(key, {k: v for k, v in state.items() if k != "_key"}, CACHE_TTL)

    def _count(self, queryset, state) -> int:
        count = state.get("count")
        if count is None:
            count = state["count"] = queryset.count()
            self._save_state(state)
        return count

    # -- pages ---------------------------------------------------------------------

    def _deep_page(self, queryset, ids, ordering, state) -> list:
        offset, limit = self.offset, self.limit
        if self.keyset is None:
            if self.sql_documents:
                return self._documents(ids[offset : offset + limit])
            page_ids = [row[-1] for row in ids[offset : offset + limit]]
            return self._fetch(queryset, page_ids, ordering)
        anchors = state.setdefault("anchors", {})
        bucket = offset // ANCHOR_EVERY
        first = bucket * ANCHOR_EVERY
        if bucket in anchors:
            # The usual case: one query that skips fewer than ANCHOR_EVERY rows.
            skip = offset - first
            condition = _keyset_q(self.keyset, anchors[bucket], inclusive=True)
            if self.sql_documents:
                return self._documents(ids.filter(condition)[skip : skip + limit])
            page = list(queryset.filter(condition)[skip : skip + limit])
            self._remember_last(page, ordering)
            return page
        # First visit to this region: walk the index (ids only) from the nearest
        # known anchor below, and remember this bucket's first row as an anchor.
        start = max((b for b in anchors if b < bucket), default=0)
        scoped = ids
        if start:
            scoped = ids.filter(_keyset_q(self.keyset, anchors[start], inclusive=True))
        start_pos = start * ANCHOR_EVERY
        rows = list(scoped[first - start_pos : offset - start_pos + limit])
        if rows:
            anchors[bucket] = tuple(rows[0])
            self._save_state(state)
        rows = rows[offset - first :]
        if self.sql_documents:
            return self._documents(ids.filter(pk__in=[row[-1] for row in rows]))
        self._remember_last_row(rows)
        return self._fetch(queryset, [row[-1] for row in rows], ordering)

    def _cursor_page(self, queryset, ids, ordering, raw_cursor):
        if self.keyset is None:
            raise ValidationError(
                {self.cursor_query_param: _("Cursors need the default ordering.")}
            )
        key = _decode_cursor(raw_cursor, queryset.model, ordering)
        after = ids.filter(_keyset_q(ordering, key, inclusive=False))[: self.limit]
        if self.sql_documents:
            return self._documents(after)
        rows = list(after)
        self._remember_last_row(rows)
        return self._fetch(queryset, [row[-1] for row in rows], ordering)

    def _direct_documents(self, ids) -> list[tuple]:
        """A page at a small offset. The id query was compiled for the cache key
        already; Django ends a sliced query with exactly this LIMIT/OFFSET."""
        compiled = getattr(self, "_ids_compiled", None)
        if compiled is None or ids.query.combinator or ids.query.select_for_update:
            return self._documents(ids[self.offset : self.offset + self.limit])
        sql, params = compiled
        sql = f"{sql} LIMIT {int(self.limit)} OFFSET {int(self.offset)}"
        rows = sqljson.documents(
            self.sql_documents,
            None,
            self.ordering,
            self.request,
            compiled=(sql, params),
            prepare=self.sql_prepare,
        )
        self._remember_last_row([row[:-1] for row in rows])
        return rows

    def _documents(self, ids) -> list[tuple]:
        """The page's rows as (*sort key, JSON text), in one statement."""
        rows = sqljson.documents(
            self.sql_documents,
            ids,
            self.ordering,
            self.request,
            prepare=self.sql_prepare,
        )
        self._remember_last_row([row[:-1] for row in rows])
        return rows

    def _fetch(self, queryset, page_ids, ordering) -> list:
        if not page_ids:
            return []
        by_pk = {obj.pk: obj for obj in queryset.filter(pk__in=page_ids)}
        return [by_pk[pk] for pk in page_ids if pk in by_pk]

    def _remember_last(self, page, ordering) -> None:
        if self.keyset is None or len(page) < self.limit:
            self.cursor_key = None
            return
        last = page[-1]
        self.cursor_key = tuple(
            last.pk if field == "pk" else getattr(last, field) for field, _d in ordering
        )

    def _remember_last_row(self, rows) -> None:
        if self.keyset is None or len(rows) < self.limit:
            self.cursor_key = None
        else:
            self.cursor_key = tuple(rows[-1])


def _keyset_q(ordering, values, *, inclusive: bool) -> Q:
    """Rows after (or at) `values` in `ordering`, as an OR of equal prefixes.

    The first column's bound is repeated as a plain range condition so that the
    database can start its index scan there.
    """
    condition = Q()
    equal = Q()
    for (field, descending), value in zip(ordering, values, strict=True):
        after = Q(**{f"{field}__{'lt' if descending else 'gt'}": value})
        condition |= equal & after
        equal &= Q(**{field: value})
    if inclusive:
        condition |= equal
    first_field, first_desc = ordering[0]
    bound = Q(**{f"{first_field}__{'lte' if first_desc else 'gte'}": values[0]})
    return bound & condition


def _encode_cursor(key) -> str:
    raw = orjson.dumps(list(key), default=str)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(raw: str, model, ordering) -> tuple:
    try:
        padded = raw + "=" * (-len(raw) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(ordering):
            raise ValueError
        meta = model._meta
        return tuple(
            (meta.pk if field == "pk" else meta.get_field(field)).to_python(value)
            for (field, _desc), value in zip(ordering, values, strict=True)
        )
    except Exception as exc:  # any malformed token is a 400, never a 500
        raise ValidationError({"cursor": _("Invalid cursor.")}) from exc
