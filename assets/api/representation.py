"""Fast read path for large API lists (issue 3's req/s targets).

DRF's `Serializer.to_representation` walks every field through `get_attribute` and
`to_representation`, a few microseconds each: 45 columns × 1000 rows is most of a
request. `FastRepresentationMixin` builds, once per serializer instance (so once per
request for a list), a plan that reads plain model columns straight from the
instance's `__dict__` and converts only the types JSON cannot carry as they are
(datetimes, dates). Every other field (method fields, dotted sources, many=True
relations, custom classes) goes through DRF's normal path, so the output is exactly
what DRF would produce; a test compares the two.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils import timezone
from rest_framework import relations, serializers
from rest_framework.settings import ISO_8601, api_settings

from nexus.api import VisiblePKField

# DRF field classes whose to_representation returns a database value unchanged.
_IDENTITY_FIELDS = frozenset(
    {
        serializers.CharField,
        serializers.EmailField,
        serializers.URLField,
        serializers.SlugField,
        serializers.IntegerField,
        serializers.BooleanField,
        serializers.ChoiceField,
        serializers.JSONField,
        serializers.ReadOnlyField,
        serializers.ModelField,
    }
)
_PK_FIELDS = frozenset({relations.PrimaryKeyRelatedField, VisiblePKField})
_PK_SENTINEL = "0__pk__0"


class DetailUrlField(serializers.HyperlinkedIdentityField):
    """A row's API URL, reversed once per serializer rather than once per row."""

    def to_representation(self, value):
        template = self.__dict__.get("_template")
        if template is None:
            request = self.context.get("request")
            path = reverse(self.view_name, kwargs={self.lookup_url_kwarg: _PK_SENTINEL})
            url = request.build_absolute_uri(path) if request is not None else path
            template = self._template = url.split(_PK_SENTINEL)
        return f"{template[0]}{getattr(value, self.lookup_field)}{template[1]}"


def _model_attname(model, source: str) -> str | None:
    try:
        field = model._meta.get_field(source)
    except FieldDoesNotExist:  # a property or method, not a column
        return None
    if not getattr(field, "concrete", False) or field.many_to_many:
        return None
    return field.attname


class FastRepresentationMixin:
    """Mix into a ModelSerializer; declare nothing else (see the module docstring)."""

    def _representation_plan(self):
        plan = self.__dict__.get("_fast_plan")
        if plan is not None:
            return plan
        model = self.Meta.model
        tz = timezone.get_current_timezone()
        iso_datetime = api_settings.DATETIME_FORMAT == ISO_8601
        iso_date = api_settings.DATE_FORMAT == ISO_8601
        plain, converted, generic = [], [], []
        for name, field in self.fields.items():
            if field.write_only:
                continue
            kind = type(field)
            attname = None
            if len(field.source_attrs) == 1:
                attname = _model_attname(model, field.source_attrs[0])
            if attname is None:
                generic.append((name, field))
            elif kind in _PK_FIELDS and field.pk_field is None:
                plain.append((name, attname))
            elif kind in _IDENTITY_FIELDS and not isinstance(
                model._meta.get_field(field.source_attrs[0]), models.ForeignKey
            ):
                plain.append((name, attname))
            elif (
                kind is serializers.DateTimeField
                and iso_datetime
                and getattr(field, "format", ISO_8601) == ISO_8601
                and not hasattr(field, "timezone")
            ):
                converted.append((name, attname, _datetime_converter(tz)))
            elif (
                kind is serializers.DateField
                and iso_date
                and getattr(field, "format", ISO_8601) == ISO_8601
            ):
                converted.append((name, attname, _iso_date))
            else:
                generic.append((name, field))
        plan = self._fast_plan = (tuple(plain), tuple(converted), tuple(generic))
        return plan

    def to_representation(self, instance):
        plain, converted, generic = self._representation_plan()
        values = instance.__dict__
        try:
            data = {name: values[attname] for name, attname in plain}
            for name, attname, convert in converted:
                value = values[attname]
                data[name] = None if value is None else convert(value)
        except KeyError:  # a deferred column: let DRF load it the usual way
            return super().to_representation(instance)
        for name, field in generic:
            try:
                attribute = field.get_attribute(instance)
            except serializers.SkipField:
                continue
            check = (
                attribute.pk
                if isinstance(attribute, relations.PKOnlyObject)
                else attribute
            )
            data[name] = None if check is None else field.to_representation(attribute)
        # Keep the declared field order (clients and the schema read it that way).
        return {name: data[name] for name in self._field_order() if name in data}

    def _field_order(self):
        order = self.__dict__.get("_fast_order")
        if order is None:
            order = self._fast_order = tuple(
                name for name, field in self.fields.items() if not field.write_only
            )
        return order


def _datetime_converter(tz):
    def convert(value):
        text = value.astimezone(tz).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


def _iso_date(value):
    return value.isoformat()
