"""Rows rendered to JSON by PostgreSQL, for the largest API lists (issue 3).

A page of 1,000 assets cost ~100 ms of Python even on the fast representation
path: psycopg parsing five datetimes, a decimal and a JSON document per row,
Django building an instance, and the serializer turning the values back into
text. For a serializer whose every field is one of the kinds below, this module
builds, once per serializer class, a `json_build_object(...)` select list that
produces exactly what `FastRepresentationMixin.to_representation` (and so DRF)
produces, and the view embeds the database's JSON text in the response with
`orjson.Fragment`, without parsing it.

Supported field kinds (anything else, and any other database than PostgreSQL
or a current time zone other than UTC, keeps the Python path):

* plain columns of text, integer, boolean and JSON types (and foreign-key ids);
* datetimes as DRF's ISO 8601 in UTC (`…Z`, microseconds only when non-zero),
  dates as `YYYY-MM-DD`, decimals with the column's own scale (as text);
* the row's API URL (`DetailUrlField`), `__str__` when the serializer names the
  columns it is made of (`sql_str_columns`: the first non-empty one);
* a nested fast serializer over a foreign key (of the kinds above), and a slug
  of a foreign key (e.g. `company_account_number`).

Every page query is ONE statement: the caller's id query (with its tenant
scope, filters, ordering and slice) is a subquery that the documents are joined
to, so a row is never read outside the scope it was selected in. Tests compare
the documents with the serializer's output field by field.
"""

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.utils import timezone

from nexus.representation import (
    _CONVERT,
    _NESTED,
    _SLUG,
    _STR,
    _URL,
    FastRepresentationMixin,
    _date,
    _datetime,
    url_template,
)

_PLAIN_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "CharField",
        "TextField",
        "EmailField",
        "URLField",
        "SlugField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "PositiveBigIntegerField",
        "BooleanField",
        "JSONField",
        "ForeignKey",
        "OneToOneField",
    }
)
_MAX_PAIRS = 50  # json_build_object takes at most 100 arguments
_UNSUPPORTED = object()


def _literal(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _datetime_sql(column: str) -> str:
    # Python's isoformat() leaves out a zero fraction; to_char always writes it.
    return (
        f"""replace(to_char({column} AT TIME ZONE 'UTC', """
        f"""'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '.000000Z', 'Z')"""
    )


def _column_sql(model, attname: str, alias: str, converter=None) -> str | None:
    """The SQL of one column as the serializer shows it, or None if unsupported."""
    field = next((f for f in model._meta.concrete_fields if f.attname == attname), None)
    if field is None:
        return None
    quote = connection.ops.quote_name
    column = f"{alias}.{quote(field.column)}"
    kind = field.get_internal_type()
    if converter is None:
        if kind not in _PLAIN_TYPES:
            return None
        if kind == "JSONField" and (field.encoder or field.decoder):
            return None
        return column
    if converter is _datetime and kind == "DateTimeField":
        return _datetime_sql(column)
    if converter is _date and kind == "DateField":
        return f"to_char({column}, 'YYYY-MM-DD')"
    places = getattr(converter, "decimal_places", None)
    if kind == "DecimalField" and places is not None and places == field.decimal_places:
        return f"({column})::text"
    return None


class _Builder:
    def __init__(self, serializer_class):
        self.serializer_class = serializer_class
        self.model = serializer_class.Meta.model
        self.quote = connection.ops.quote_name
        self.joins: dict[str, tuple[str, str]] = {}  # fk name -> (alias, sql)
        self.url_specs: list[tuple[str, str]] = []

    def _join(self, fk_name: str) -> str | None:
        if fk_name in self.joins:
            return self.joins[fk_name][0]
        try:
            fk = self.model._meta.get_field(fk_name)
        except Exception:
            return None
        if not (fk.many_to_one and fk.concrete):
            return None
        alias = f"j{len(self.joins)}"
        target = fk.related_model
        sql = (
            f"LEFT JOIN {self.quote(target._meta.db_table)} {alias} "
            f"ON {alias}.{self.quote(fk.target_field.column)} "
            f"= t0.{self.quote(fk.column)}"
        )
        self.joins[fk_name] = (alias, sql)
        return alias

    def _object(self, serializer_class, model, alias, *, top: bool) -> str | None:
        (plain_names, getter), others, order = serializer_class._compiled_plan()
        if len(order) > _MAX_PAIRS:
            return None
        attnames = _plain_attnames(serializer_class, plain_names, getter)
        if attnames is None:
            return None
        by_name = {name: ("plain", attname) for name, attname in attnames}
        for name, kind, spec in others:
            by_name[name] = (kind, spec)
        parts = []
        for name in order:
            kind, spec = by_name[name]
            if kind == "plain":
                sql = _column_sql(model, spec, alias)
            elif kind == _CONVERT:
                sql = _column_sql(model, spec[0], alias, spec[1])
            elif kind == _URL and top:
                self.url_specs.append(spec)
                pk = f"{alias}.{self.quote(model._meta.pk.column)}"
                sql = f"(%s::text || {pk}::text || %s::text)"
            elif kind == _STR:
                sql = self._str_sql(serializer_class, model, alias)
            elif kind == _NESTED and top:
                sql = self._nested_sql(spec)
            elif kind == _SLUG and top:
                sql = self._slug_sql(spec)
            else:
                sql = None
            if sql is None:
                return None
            parts.append(f"{_literal(name)}, {sql}")
        return f"json_build_object({', '.join(parts)})"

    def _str_sql(self, serializer_class, model, alias) -> str | None:
        names = getattr(serializer_class, "sql_str_columns", None)
        if not names:
            return None
        columns = []
        for name in names:
            field = model._meta.get_field(name)
            if field.get_internal_type() not in ("CharField", "TextField"):
                return None
            columns.append(f"NULLIF({alias}.{self.quote(field.column)}, '')")
        return f"COALESCE({', '.join(columns)}, '')"

    def _nested_sql(self, spec) -> str | None:
        fk_name, nested_class = spec
        alias = self._join(fk_name)
        if alias is None:
            return None
        target = self.model._meta.get_field(fk_name).related_model
        if nested_class.Meta.model is not target:
            return None
        inner = self._object(nested_class, target, alias, top=False)
        if inner is None:
            return None
        pk = f"{alias}.{self.quote(target._meta.pk.column)}"
        return f"CASE WHEN {pk} IS NULL THEN NULL ELSE {inner} END"

    def _slug_sql(self, spec) -> str | None:
        fk_name, slug_field = spec
        alias = self._join(fk_name)
        if alias is None:
            return None
        target = self.model._meta.get_field(fk_name).related_model
        try:
            field = target._meta.get_field(slug_field)
        except Exception:
            return None
        if not field.concrete or field.get_internal_type() not in _PLAIN_TYPES:
            return None
        return f"{alias}.{self.quote(field.column)}"

    def build(self):
        document = self._object(self.serializer_class, self.model, "t0", top=True)
        if document is None:
            return None
        table = self.quote(self.model._meta.db_table)
        joins = " ".join(sql for _alias, sql in self.joins.values())
        return (
            document,
            table,
            self.quote(self.model._meta.pk.column),
            joins,
            tuple(self.url_specs),
        )


def _plain_attnames(serializer_class, plain_names, getter):
    """(name, attname) of the plan's plain columns (itemgetter keeps no names)."""
    prototype = serializer_class()
    model = serializer_class.Meta.model
    pairs = []
    for name in plain_names:
        field = prototype.fields[name]
        attrs = field.source_attrs
        if len(attrs) != 1:
            return None
        try:
            model_field = model._meta.get_field(attrs[0])
        except Exception:
            return None
        pairs.append((name, model_field.attname))
    return pairs


def plan_for(serializer_class):
    """The compiled SQL plan of a serializer class, or None when unsupported."""
    if not issubclass(serializer_class, FastRepresentationMixin):
        return None
    cache = serializer_class.__dict__.get("_sql_plan_cache", _UNSUPPORTED)
    if cache is _UNSUPPORTED:
        cache = _Builder(serializer_class).build()
        serializer_class._sql_plan_cache = cache
    return cache


def available(serializer_class) -> bool:
    return (
        connection.vendor == "postgresql"
        and timezone.get_current_timezone_name() == "UTC"
        and plan_for(serializer_class) is not None
    )


def documents(
    serializer_class, ids_queryset, ordering, request, *, compiled=None, prepare=False
):
    """Run the page: `ids_queryset` is a values_list() of the ordering fields
    (the pk last), scoped, filtered, ordered and sliced by the caller (or
    `compiled`, its SQL and parameters). Returns rows of (*ordering values, JSON
    text of the document), in its order.

    `prepare`: send it as a prepared statement. Only for queries whose plan does
    not depend on parameter values (no search or filter patterns): PostgreSQL
    moves a prepared statement to a generic plan after five runs, and a generic
    plan for `LIKE $1` scans the whole table."""
    document, table, pk_column, joins, url_specs = plan_for(serializer_class)
    if compiled is None:
        try:
            compiled = ids_queryset.query.sql_with_params()
        except EmptyResultSet:  # e.g. pk__in=[] or an out-of-range id: no rows
            return []
    inner_sql, inner_params = compiled
    width = len(ordering)
    keys = [f"k{i}" for i in range(width)]
    order = ", ".join(
        f"p.k{i} {'DESC' if desc else 'ASC'}" for i, (_f, desc) in enumerate(ordering)
    )
    url_params = []
    for view_name, kwarg in url_specs:
        head, tail = url_template(view_name, kwarg, request)
        url_params += [head, tail]
    sql = (
        f"SELECT {', '.join(f'p.{k}' for k in keys)}, ({document})::text "
        f"FROM ({inner_sql}) AS p({', '.join(keys)}) "
        f"JOIN {table} t0 ON t0.{pk_column} = p.k{width - 1} {joins} "
        f"ORDER BY {order}"
    )
    with _cursor(prepare) as cursor:
        cursor.execute(sql, [*url_params, *inner_params])
        return cursor.fetchall()


_prepared_cursor_class = None


def _cursor(prepare: bool):
    """A cursor that sends the page query as a named prepared statement, so that
    PostgreSQL plans each query shape once per connection (planning this query
    is about a third of its cost). Django's own cursors bind parameters on the
    client and never prepare; this one is still wrapped by Django (query logs,
    execute wrappers, error translation). Off with NEXUS_API_PREPARED_STATEMENTS
    (e.g. behind a pooler in transaction mode without prepared-statement
    support)."""
    if not prepare or not getattr(settings, "NEXUS_API_PREPARED_STATEMENTS", True):
        return connection.cursor()
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    if not is_psycopg3:
        return connection.cursor()
    global _prepared_cursor_class
    if _prepared_cursor_class is None:
        import psycopg

        class PreparedCursor(psycopg.Cursor):
            log_queries = False

            def execute(self, query, params=None, *, prepare=None, binary=None):
                result = super().execute(query, params, prepare=True, binary=binary)
                if self.log_queries and self._query is None:
                    # A prepared execution keeps no query text; Django's query
                    # log reads it there (with $n placeholders, as sent).
                    self._query = self._convert_query(query, params)
                return result

        _prepared_cursor_class = PreparedCursor
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's automatic preparing off (None), which also
        # ignores prepare=True. A threshold no query reaches keeps the automatic
        # preparing off (Django's own cursors bind on the client and never
        # prepare anyway) and lets this cursor prepare explicitly.
        raw.prepare_threshold = 2**31 - 1
    cursor = _prepared_cursor_class(raw)
    cursor.log_queries = connection.queries_logged
    return connection._prepare_cursor(cursor)


def fragment(rows) -> "object":
    """The documents of `rows` (from `documents`) as one JSON array fragment."""
    import orjson

    return orjson.Fragment(("[" + ",".join(row[-1] for row in rows) + "]").encode())
