"""OpenAPI: stable enum names, the error contract on every operation, and nested
objects that may be null marked so."""

import importlib
import inspect

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import append_meta

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: `detail` for the request as a whole, or one list of "
    "messages per field (nested for nested objects).",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}

ERRORS = {
    "400": "Bad input: field messages, or `detail`.",
    "401": "Not authenticated.",
    "403": "Not allowed for this user.",
    "404": "Not found (or not visible to this user).",
    "429": "Too many requests.",
}


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, text in ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": text,
                        "content": {"application/json": {"schema": ref}},
                    },
                )
    return result


def register_enum_names() -> None:
    """Name each schema enum after its TextChoices class (`TicketStatusEnum`).

    Without this, drf-spectacular names enums after the field ("status") and
    resolves the many collisions with hashes that change between releases, which
    breaks generated clients. Every app's `choices.py` is covered automatically.
    """
    overrides = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
    seen: set[tuple] = set()  # one name per distinct set of values
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.choices")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.choices":
                raise
            continue
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, models.Choices)
                and obj.__module__ == module.__name__
                and tuple(sorted(map(str, obj.values))) not in seen
            ):
                seen.add(tuple(sorted(map(str, obj.values))))
                overrides.setdefault(f"{name}Enum", f"{module.__name__}.{name}")


def _source_fields(field):
    """The model fields along a serializer field's source path (`job.name`: the
    job foreign key, then the job's name), ending with None where the path
    leaves the models (a property, a computed value, `source="*"`)."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    source_attrs = getattr(field, "source_attrs", None)
    if model is None or not source_attrs or field.source == "*":
        yield None
        return
    for attr in source_attrs:
        if model is None:
            yield None
            return
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            yield None
            return
        yield model_field
        model = model_field.related_model


def nullable_source(field) -> bool:
    """Whether a nested serializer field reads a nullable model field (`department`
    of a user without one, `company.plan`): its value is then `null`, not an object."""
    for model_field in _source_fields(field):
        if model_field is None or not model_field.concrete:
            return False
        if model_field.null:
            return True
    return False


class NullableNestedSerializer(OpenApiSerializerFieldExtension):
    """drf-spectacular marks a nested serializer nullable only when it says
    `allow_null=True`; read-only brief objects (`department`, `company`, `category`)
    rarely do, so the schema promised an object where the API sends `null`. Mark
    them from the model instead, so every current and future nested field is right."""

    target_class = "rest_framework.serializers.BaseSerializer"
    match_subclasses = True
    priority = -10

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(
            field, direction, bypass_extensions=True
        )
        if (
            schema is not None
            and not getattr(field, "many", False)
            and not field.allow_null
            and nullable_source(field)
        ):
            schema = append_meta(schema, {"nullable": True})
        return schema


UNICODE_SLUG = "x-nexus-unicode-slug"


class UnicodeSlugField(OpenApiSerializerFieldExtension):
    """A slug that allows Unicode (`SlugField(allow_unicode=True)`: Greek article
    titles give Greek slugs) gets DRF's `^[-\\w]+$` as its schema pattern, but
    OpenAPI patterns are ECMA-262, where `\\w` is ASCII only, so the schema
    rejected slugs the API rightly sends. Such slugs are marked here and lose the
    pattern in `drop_unicode_slug_patterns` (drf-spectacular adds validator
    patterns after the extensions run); ASCII-only slugs keep theirs."""

    target_class = "rest_framework.fields.SlugField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(
            self.target, direction, bypass_extensions=True
        )
        if schema is not None and getattr(self.target, "allow_unicode", False):
            schema = {**schema, UNICODE_SLUG: True}
        return schema


def drop_unicode_slug_patterns(result, generator, request, public):
    """Postprocessing hook: see `UnicodeSlugField`."""
    for component in result.get("components", {}).get("schemas", {}).values():
        for prop in component.get("properties", {}).values():
            if prop.pop(UNICODE_SLUG, False):
                prop.pop("pattern", None)
                prop.setdefault(
                    "description",
                    "Letters (any script), digits, hyphens and underscores.",
                )
    return result


def source_model_field(field):
    """The model field a serializer field reads (`author_email`, `job.name`), or
    None for computed values."""
    model_field = None
    for model_field in _source_fields(field):
        if model_field is None:
            return None
    return model_field


class BlankReadOnlyFormat(OpenApiSerializerFieldExtension):
    """A read-only e-mail or URL of a column that may be blank is sent as `""`.

    drf-spectacular allows `""` beside the `format` only for fields with
    `allow_blank`, which DRF drops from read-only fields (`read_only_fields`), so
    the schema promised an address where the API sends an empty string (contract
    fuzzing: `Comment.author_email` of a staff reply). Add the same `""` option
    for those, from the model."""

    priority = -10

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(
            field, direction, bypass_extensions=True
        )
        column = source_model_field(field)
        if (
            schema is not None
            and field.read_only
            and not getattr(field, "allow_blank", False)
            and isinstance(column, models.CharField | models.TextField)
            and column.blank
            and schema.get("type") == "string"
            and "format" in schema
        ):
            outer = {k: schema.pop(k) for k in list(schema) if k in OUTER_KEYS}
            schema = {**outer, "oneOf": [schema, {"type": "string", "maxLength": 0}]}
        return schema


# What stays beside the `oneOf`, as drf-spectacular does for writable fields.
OUTER_KEYS = frozenset(
    {"readOnly", "writeOnly", "nullable", "deprecated", "description", "title"}
)


class BlankReadOnlyEmail(BlankReadOnlyFormat):
    target_class = "rest_framework.fields.EmailField"
    match_subclasses = True


class BlankReadOnlyURL(BlankReadOnlyFormat):
    target_class = "rest_framework.fields.URLField"
    match_subclasses = True


class DecimalInput(OpenApiSerializerFieldExtension):
    """A decimal is sent as a string (`"99.00"`, DRF's `COERCE_DECIMAL_TO_STRING`)
    and read from a string or a JSON number: the projects seed posts
    `"budget": 100000`. The request schema said string only, so a generated
    client could not send the seed's body and the contract fuzzing reported every
    number it sent as accepted against the schema (`{"monthly_price": 0}`).
    Requests now document both; responses stay strings."""

    target_class = "rest_framework.fields.DecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(
            self.target, direction, bypass_extensions=True
        )
        if direction == "request" and schema and schema.get("type") == "string":
            outer = {k: schema.pop(k) for k in list(schema) if k in OUTER_KEYS}
            schema = {**outer, "oneOf": [schema, {"type": "number"}]}
        return schema


class ListOnGetAutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, with list mechanics (filter and page parameters,
    the `Paginated…List` envelope) for GET only.

    It treats any operation that answers with `many=True` as a list view, so a
    POST answering with the plain list of what it made (one fleet job per
    agent) was documented as a paginated page, with the list's filters as its
    query parameters. Use it as a view's `schema` where that happens."""

    def get_filter_backends(self):
        return super().get_filter_backends() if self.method == "GET" else []

    def _get_pagination_parameters(self):
        return super()._get_pagination_parameters() if self.method == "GET" else []

    def _get_paginator(self):
        return super()._get_paginator() if self.method == "GET" else None
