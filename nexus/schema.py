"""OpenAPI post-processing: document the error contract on every operation."""

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
