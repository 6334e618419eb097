"""Fast read path for API lists (issue 3's req/s targets, issue 8's search).

Two DRF costs dominate a list of assets: building the serializer's fields (a
ModelSerializer maps every model field to a serializer field on every request,
~45 fields here) and walking each row through every field's `get_attribute` and
`to_representation`. `FastRepresentationMixin` compiles, once per serializer class
and process, a plan for the field kinds we use: plain columns read straight from
the instance's `__dict__`, datetimes/dates/decimals converted exactly as DRF does,
URLs from a per-request template, nested fast serializers, slugs and pk lists.
Reads then never build the fields at all. A field of any other kind makes the
serializer build its fields and use DRF's own path for that field, so the output
is always what DRF would produce (tests compare the two).
"""

import operator

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.fields.related_descriptors import (
    ManyToManyDescriptor,
    ReverseManyToOneDescriptor,
)
from django.urls import reverse
from django.utils import timezone
from rest_framework import relations, serializers
from rest_framework.settings import ISO_8601, api_settings

from nexus.api import VisiblePKField, VisibleSlugField

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
_SLUG_FIELDS = frozenset({relations.SlugRelatedField, VisibleSlugField})
_PK_SENTINEL = "0__pk__0"

# Plan entry kinds.
_CONVERT, _ATTR, _STR, _URL, _NESTED, _NESTED_MANY, _SLUG, _PK_LIST, _HOOK, _DRF = (
    range(10)
)


class DetailUrlField(serializers.HyperlinkedIdentityField):
    """A row's API URL, reversed once per serializer rather than once per row."""

    def to_representation(self, value):
        template = self.__dict__.get("_template")
        if template is None:
            template = self._template = url_template(
                self.view_name, self.lookup_url_kwarg, self.context.get("request")
            )
        return f"{template[0]}{getattr(value, self.lookup_field)}{template[1]}"


def url_template(view_name: str, kwarg: str, request) -> tuple[str, str]:
    path = reverse(view_name, kwargs={kwarg: _PK_SENTINEL})
    url = request.build_absolute_uri(path) if request is not None else path
    head, tail = url.split(_PK_SENTINEL)
    return head, tail


def _model_field(model, name: str):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def prefetch_cache_name(model, attr: str) -> str | None:
    """Where prefetch_related keeps the rows of `model.attr` (a to-many relation)
    on an instance, or None for anything else."""
    descriptor = getattr(model, attr, None)
    if isinstance(descriptor, ManyToManyDescriptor):
        field = descriptor.field
        return field.related_query_name() if descriptor.reverse else field.name
    if isinstance(descriptor, ReverseManyToOneDescriptor):
        return descriptor.field.remote_field.cache_name
    return None


PREFETCHED = "prefetched_{}"


def prefetch_rows(lookup: str, queryset=None) -> models.Prefetch:
    """Prefetch a to-many relation into the plain list `prefetched_<lookup>`.

    A plain prefetch builds a related manager and a queryset per row to hold the
    rows (about 0.1 ms each: 80 for a page of 20 with four relations); a list
    attribute costs nothing. Serializers read it through `related_rows`,
    templates as `obj.prefetched_<lookup>`."""
    return models.Prefetch(lookup, queryset=queryset, to_attr=PREFETCHED.format(lookup))


def related_rows(instance, attr: str, cache_name: str | None = None):
    """The rows of a to-many relation: the `prefetch_rows` list or the prefetched
    rows when there are some (without building a related manager, which costs
    more than reading the rows), else the manager's `.all()`."""
    rows = instance.__dict__.get(PREFETCHED.format(attr))
    if rows is not None:
        return rows
    if cache_name is None:
        cache_name = prefetch_cache_name(type(instance), attr)
    cache = instance.__dict__.get("_prefetched_objects_cache")
    if cache and cache_name in cache:
        return cache[cache_name]
    return getattr(instance, attr).all()


class PrefetchedListSerializer(serializers.ListSerializer):
    """A nested to-many field that reads the relation through `related_rows`, so
    DRF's own path shows the same (possibly scoped) prefetched rows as the fast
    path rather than the manager's whole relation."""

    def get_attribute(self, instance):
        return related_rows(instance, self.source)


def nested_many(serializer_class, **kwargs) -> PrefetchedListSerializer:
    """`serializer_class(many=True, read_only=True, **kwargs)` reading prefetched
    rows (see PrefetchedListSerializer)."""
    return PrefetchedListSerializer(child=serializer_class(), read_only=True, **kwargs)


def _datetime(value, tz):
    if value.tzinfo is not tz:
        value = value.astimezone(tz)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _date(value, _tz):
    return value.isoformat()


def _decimal_converter(field):
    quantize = field.quantize  # stateless: reads only the field's declared options

    def convert(value, _tz):
        return f"{quantize(value):f}"

    convert.decimal_places = field.decimal_places  # for assets.api.sqljson
    return convert


def _plain_converter(field, model_field):
    """A converter for a column, or None when DRF would change nothing."""
    kind = type(field)
    if kind in _PK_FIELDS:
        return None if field.pk_field is None else False
    if kind in _IDENTITY_FIELDS and not isinstance(model_field, models.ForeignKey):
        return None
    if kind is serializers.BigIntegerField and not getattr(
        field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING
    ):
        return None
    if (
        kind is serializers.DateTimeField
        and api_settings.DATETIME_FORMAT == ISO_8601
        and getattr(field, "format", ISO_8601) == ISO_8601
        and not hasattr(field, "timezone")
    ):
        return _datetime
    if (
        kind is serializers.DateField
        and api_settings.DATE_FORMAT == ISO_8601
        and getattr(field, "format", ISO_8601) == ISO_8601
    ):
        return _date
    if (
        kind is serializers.DecimalField
        and getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
        and not field.localize
        and not field.normalize_output
    ):
        return _decimal_converter(field)
    return False


class FastRepresentationMixin:
    # Mix into a ModelSerializer (before it); see the module docstring. (A comment,
    # not a docstring: the schema would show it for serializers without their own.)

    @classmethod
    def _compiled_plan(cls):
        plan = cls.__dict__.get("_fast_plan_cache")
        if plan is None:
            plan = cls._compile_plan()
            cls._fast_plan_cache = plan
        return plan

    @classmethod
    def _compile_plan(cls):
        prototype = cls()
        model = cls.Meta.model
        plain, others, order = [], [], []
        for name, field in prototype.fields.items():
            if field.write_only:
                continue
            order.append(name)
            entry = cls._plan_entry(model, name, field)
            if entry[0] is None:
                plain.append((name, entry[1]))
            else:
                others.append((name, *entry))
        plain_names = tuple(name for name, _attname in plain)
        attnames = [attname for _name, attname in plain]
        # itemgetter returns a tuple even for a single name only when given 2+.
        getter = (
            operator.itemgetter(*attnames)
            if len(attnames) > 1
            else (lambda values, a=attnames[0]: (values[a],))
            if attnames
            else (lambda values: ())
        )
        return (plain_names, getter), tuple(others), tuple(order)

    @staticmethod
    def _plan_entry(model, name, field):
        kind = type(field)
        attrs = field.source_attrs
        if kind is DetailUrlField:
            return (_URL, (field.view_name, field.lookup_url_kwarg))
        if hasattr(kind, "fast_value") and (len(attrs) == 1 or field.source == "*"):
            # The field class knows how to render itself from the instance alone.
            return (_HOOK, (kind.fast_value, attrs[0] if attrs else None))
        if field.source == "*":
            return (_DRF, None)
        if len(attrs) == 1:
            model_field = _model_field(model, attrs[0])
            is_column = (
                model_field is not None
                and getattr(model_field, "concrete", False)
                and not model_field.many_to_many
            )
            if is_column:
                converter = _plain_converter(field, model_field)
                if converter is None:
                    return (None, model_field.attname)
                if converter is not False:
                    return (_CONVERT, (model_field.attname, converter))
            if attrs[0] == "__str__" and kind in _IDENTITY_FIELDS:
                return (_STR, None)
            if isinstance(field, FastRepresentationMixin) and field.read_only:
                return (_NESTED, (attrs[0], type(field)))
            if (
                isinstance(field, serializers.ListSerializer)
                and isinstance(field.child, FastRepresentationMixin)
                and field.read_only
            ):
                return (
                    _NESTED_MANY,
                    (attrs[0], type(field.child), prefetch_cache_name(model, attrs[0])),
                )
            if kind in _SLUG_FIELDS and model_field is not None:
                return (_SLUG, (attrs[0], field.slug_field))
            if (
                isinstance(field, relations.ManyRelatedField)
                and type(field.child_relation) in _PK_FIELDS
                and field.child_relation.pk_field is None
            ):
                return (_PK_LIST, (attrs[0], prefetch_cache_name(model, attrs[0])))
        if kind in _IDENTITY_FIELDS and not (
            len(attrs) == 1 and _model_field(model, attrs[0]) is not None
        ):
            # An annotation or a read-only path such as software.name.
            return (_ATTR, tuple(attrs))
        return (_DRF, None)

    def _fast_state(self):
        state = self.__dict__.get("_fast_state_cache")
        if state is None:
            state = self._fast_state_cache = {
                "tz": timezone.get_current_timezone(),
                "urls": {},
                "nested": {},
            }
        return state

    def to_representation(self, instance):
        (plain_names, getter), others, order = self._compiled_plan()
        values = instance.__dict__
        # Keys in declared order first, so filling them in keeps that order.
        data = dict.fromkeys(order)
        try:
            data.update(zip(plain_names, getter(values), strict=True))
        except KeyError:  # a deferred column: let DRF load it the usual way
            return super().to_representation(instance)
        state = self._fast_state()
        for name, kind, spec in others:
            if kind == _CONVERT:
                attname, convert = spec
                value = values.get(attname, _MISSING)
                if value is _MISSING:
                    return super().to_representation(instance)
                data[name] = None if value is None else convert(value, state["tz"])
            elif kind == _URL:
                template = state["urls"].get(spec)
                if template is None:
                    template = state["urls"][spec] = url_template(
                        spec[0], spec[1], self.context.get("request")
                    )
                data[name] = f"{template[0]}{instance.pk}{template[1]}"
            elif kind == _STR:
                data[name] = str(instance)
            elif kind == _NESTED:
                related = getattr(instance, spec[0])
                data[name] = (
                    None if related is None else self._nested(spec[1], state, related)
                )
            elif kind == _NESTED_MANY:
                data[name] = [
                    self._nested(spec[1], state, item)
                    for item in related_rows(instance, spec[0], spec[2])
                ]
            elif kind == _SLUG:
                related = getattr(instance, spec[0])
                data[name] = None if related is None else getattr(related, spec[1])
            elif kind == _PK_LIST:
                data[name] = [item.pk for item in related_rows(instance, *spec)]
            elif kind == _HOOK:
                value = instance if spec[1] is None else getattr(instance, spec[1])
                data[name] = spec[0](value, self.context)
            elif kind == _ATTR:
                value = instance
                for attr in spec:
                    value = getattr(value, attr, None)
                    if value is None:
                        break
                data[name] = value() if callable(value) else value
            else:
                value = self._drf_field_value(name, instance)
                if value is _MISSING:
                    del data[name]  # DRF leaves a skipped field out
                else:
                    data[name] = value
        return data

    def _nested(self, serializer_class, state, item):
        nested = state["nested"].get(serializer_class)
        if nested is None:
            nested = state["nested"][serializer_class] = serializer_class(
                context=self.context
            )
        return nested.to_representation(item)

    def _drf_field_value(self, name, instance):
        field = self.fields[name]
        try:
            attribute = field.get_attribute(instance)
        except serializers.SkipField:
            return _MISSING
        check = (
            attribute.pk if isinstance(attribute, relations.PKOnlyObject) else attribute
        )
        return None if check is None else field.to_representation(attribute)


_MISSING = object()
