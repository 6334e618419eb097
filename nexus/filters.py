"""API filter backends: query-string filters that refuse what the schema refuses.

django-filter and DRF's search are lenient in ways the OpenAPI schema does not
describe, so a client could send a filter the schema calls invalid and get a 200
with the filter silently dropped — and page through the wrong rows without
noticing:

- `?updated_at__lte=` (blank, where the schema says date-time),
- `?online=maybe` (not a boolean),
- `?company=0.5` (not a whole number, where the schema says integer),
- `?company=1&company=2` (one value expected),
- `?ip=nonsense` on an IP address column (PostgreSQL: a 500),
- `?search=a%00b` (a null character; DRF answers with a bare list, not the
  `Error` object of the schema),
- `?updated_at__lte=0278-01-25T02:35:58-22:43` (an offset Python reads but
  PostgreSQL refuses: a 500 there). Times are compared in UTC.

`FilterBackend` answers those with a 400 and a message per parameter, like any
other bad input: `{"updated_at__lte": ["This field may not be blank."]}`. It
covers every FilterSet, declared (`filterset_class`) or generated
(`filterset_fields`), without the FilterSets having to opt in.

Blank values stay allowed where the schema allows them: text filters (`?name=`
means any name) and the browsable API's filter form, which sends every field,
blank ones included (there a blank field means "any"). Pages build their
FilterSets themselves and are not affected.
"""

from datetime import UTC, datetime

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters import filters, utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework import filters as drf_filters

# What django-filter's yes/no widgets read as a boolean; they drop anything else.
BOOLEAN_VALUES = frozenset({"true", "false", "True", "False"})

# Filters that take a parameter more than once (`?status=new&status=open`).
MULTI_VALUE_FILTERS = (filters.MultipleChoiceFilter,)


def target_field(model, path: str):
    """The model field a filter's `field_name` ends on, following relations to
    the related model's key (`company`, `company_id`, `companies__account_number`)."""
    field = None
    for part in path.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except Exception:  # an annotation, a property or a lookup
            return None
        model = field.related_model if field.is_relation else None
    if field is not None and field.is_relation and field.related_model is not None:
        if field.many_to_many or field.one_to_many:
            return field.related_model._meta.pk
        return field.target_field
    return field


def is_browsable(request) -> bool:
    """The browsable API's filter form, sent by a person from a web page."""
    renderer = getattr(request, "accepted_renderer", None)
    return getattr(renderer, "format", None) == "api"


def use_typed_fields(filterset) -> None:
    """Validate a filter value as what its column holds.

    - drf-spectacular documents a number filter on an integer column (ids,
      account numbers) as `integer`; django-filter reads a decimal, so
      `?company=0.5` matched nothing instead of being refused.
    - A text filter on an IP address column passed any text to the database;
      PostgreSQL's `inet` refuses a non-address with a 500 (SQLite compared text).
    """
    model = filterset._meta.model or filterset.queryset.model
    for f in filterset.filters.values():
        if not isinstance(f.field_name, str):
            continue
        column = target_field(model, f.field_name)
        if (
            type(f) is filters.NumberFilter
            and f.field_class is forms.DecimalField
            and isinstance(column, models.IntegerField | models.AutoField)
        ):
            f.field_class = forms.IntegerField
        elif (
            type(f) is filters.CharFilter
            and f.lookup_expr == "exact"
            and isinstance(column, models.GenericIPAddressField)
        ):
            f.field_class = forms.GenericIPAddressField
        else:
            continue
        f.__dict__.pop("_field", None)  # a copy of one built for the schema


def raw_value_errors(filterset) -> dict[str, list[str]]:
    """Messages for parameters the form fields would have dropped silently."""
    data, errors = filterset.data, filterset.form.errors
    found: dict[str, list[str]] = {}
    for name, f in filterset.filters.items():
        if name not in data or name in errors:
            continue
        values = data.getlist(name) if hasattr(data, "getlist") else [data[name]]
        text = isinstance(f, filters.CharFilter) and not isinstance(
            f, filters.BaseCSVFilter
        )
        if len(values) > 1 and not isinstance(f, MULTI_VALUE_FILTERS):
            found[name] = [_("Give this parameter once.")]
        elif not text and any(str(v).strip() == "" for v in values):
            found[name] = [_("This field may not be blank.")]
        elif isinstance(f, filters.BooleanFilter) and any(
            str(v) not in BOOLEAN_VALUES for v in values
        ):
            found[name] = [_("Must be true or false.")]
    return found


def boolean_param(query_params, name: str) -> bool | None:
    """A boolean query parameter read outside a FilterSet (an action's switch),
    with the filters' rules and messages: given once, `true`/`false` (or 1/0).
    None when it is absent."""
    values = query_params.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise exceptions.ValidationError({name: [_("Give this parameter once.")]})
    if values[0] not in BOOLEAN_VALUES | {"1", "0"}:
        raise exceptions.ValidationError({name: [_("Must be true or false.")]})
    return values[0] in ("true", "True", "1")


def times_in_utc(cleaned_data: dict) -> dict[str, list[str]]:
    """Turn each date-time value into UTC, in place; messages for those that fall
    outside the years a date-time can hold once turned."""
    found: dict[str, list[str]] = {}
    for name, value in cleaned_data.items():
        if isinstance(value, datetime) and value.tzinfo is not None:
            try:
                cleaned_data[name] = value.astimezone(UTC)
            except OverflowError:
                found[name] = [_("Enter a valid date/time.")]
    return found


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, strict about values the schema calls invalid."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            use_typed_fields(filterset)
        return filterset

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        valid = filterset.is_valid()
        errors = {} if is_browsable(request) else raw_value_errors(filterset)
        if valid:
            errors.update(times_in_utc(filterset.form.cleaned_data))
        if not valid or errors:
            detail = (
                {} if valid else utils.translate_validation(filterset.errors).detail
            )
            raise exceptions.ValidationError({**detail, **errors})
        return filterset.qs


class SearchFilter(drf_filters.SearchFilter):
    """DRF's search; a bad `?search=` is a 400 keyed by the parameter, like the
    other filters (DRF raises a bare list, which is not the schema's `Error`)."""

    def get_search_terms(self, request):
        try:
            return super().get_search_terms(request)
        except exceptions.ValidationError as exc:
            raise exceptions.ValidationError({self.search_param: exc.detail}) from exc
