"""HTTP clients for the upstream APIs (httpx, retries, pagination, rate limits)."""

from .base import ClientStats
from .datto import DattoRMMClient
from .errors import (
    ForeignOriginError,
    NotConfigured,
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFound,
    UpstreamRateLimited,
    UpstreamUnavailable,
    UpstreamValidationError,
)
from .freshservice import FreshserviceClient

__all__ = [
    "ClientStats",
    "DattoRMMClient",
    "ForeignOriginError",
    "FreshserviceClient",
    "NotConfigured",
    "UpstreamAuthError",
    "UpstreamError",
    "UpstreamNotFound",
    "UpstreamRateLimited",
    "UpstreamUnavailable",
    "UpstreamValidationError",
]
