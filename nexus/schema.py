"""OpenAPI: stable enum names and the error contract on every operation."""

import importlib
import inspect

from django.apps import apps
from django.conf import settings
from django.db import models

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
