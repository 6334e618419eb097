from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination as BaseLimitOffsetPagination


class LimitOffsetPagination(BaseLimitOffsetPagination):
    """`?limit=&offset=`; 50 by default, at most 1000 per page.

    Unlike DRF's, a malformed value is a 400 with a message instead of being
    silently replaced by the default (a client would otherwise page wrongly).
    A limit above the maximum is capped, as documented.
    """

    default_limit = 50
    max_limit = 1000

    @staticmethod
    def _parse(request, name: str, *, minimum: int) -> int | None:
        raw = request.query_params.getlist(name)
        if not raw:
            return None
        if len(raw) > 1:
            raise ValidationError({name: [_("Give this parameter once.")]})
        try:
            value = int(raw[0])
        except (TypeError, ValueError):
            raise ValidationError({name: [_("A whole number is required.")]}) from None
        if value < minimum:
            raise ValidationError(
                {name: [_("Ensure this value is at least %(min)d.") % {"min": minimum}]}
            )
        return value

    def get_limit(self, request):
        value = self._parse(request, self.limit_query_param, minimum=1)
        if value is None:
            return self.default_limit
        return min(value, self.max_limit)

    def get_offset(self, request):
        return self._parse(request, self.offset_query_param, minimum=0) or 0

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"]["minimum"] = 0
        return parameters
