"""JSON request bodies are read with the types the OpenAPI schema states (issue 10).

DRF is lenient with JSON input in ways the schema does not describe, and the
contract fuzzing found each of them accepted with a 2xx:

- a string field takes a number (`{"title": 0}` is stored as "0");
- a string field trims whitespace before checking its length, so a value longer
  than `maxLength` passes;
- a boolean field takes 0/1 and strings such as "yes";
- an integer field takes a numeric string ("5");
- a list of related ids takes an object (`{"members": {}}` reads as no members).

For a JSON body, where the client chose the types, those are now 400s with the
field's usual message. Form and multipart bodies (everything a string) and
serializers used without a request keep DRF's behaviour. `enable()` runs once,
from `NexusConfig.ready()`.
"""

from rest_framework import fields, relations

JSON = "application/json"


def is_json_body(field) -> bool:
    request = field.context.get("request")
    content_type = getattr(request, "content_type", "") or ""
    return content_type.partition(";")[0].strip().lower() == JSON


def _strict_char(original):
    def to_internal_value(self, data):
        if is_json_body(self):
            if not isinstance(data, str):
                self.fail("invalid")
            if self.max_length is not None and len(data) > self.max_length:
                self.fail("max_length", max_length=self.max_length)
        return original(self, data)

    return to_internal_value


def _strict_boolean(original):
    def to_internal_value(self, data):
        if is_json_body(self) and not isinstance(data, bool):
            self.fail("invalid", input=data)
        return original(self, data)

    return to_internal_value


def _strict_integer(original):
    def to_internal_value(self, data):
        if is_json_body(self) and isinstance(data, str | bool):
            self.fail("invalid")
        return original(self, data)

    return to_internal_value


def _strict_many_related(original):
    def to_internal_value(self, data):
        if is_json_body(self) and not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return original(self, data)

    return to_internal_value


PATCHES = (
    (fields.CharField, _strict_char),
    (fields.BooleanField, _strict_boolean),
    (fields.IntegerField, _strict_integer),
    (relations.ManyRelatedField, _strict_many_related),
)


def enable() -> None:
    for cls, wrap in PATCHES:
        original = cls.to_internal_value
        if getattr(original, "nexus_strict", False):
            continue
        strict = wrap(original)
        strict.nexus_strict = True
        strict.__doc__ = original.__doc__
        cls.to_internal_value = strict
