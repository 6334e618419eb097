from rest_framework.pagination import LimitOffsetPagination as BaseLimitOffsetPagination


class LimitOffsetPagination(BaseLimitOffsetPagination):
    """`?limit=&offset=`; 50 by default, at most 1000 per page."""

    default_limit = 50
    max_limit = 1000
