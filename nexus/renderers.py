"""API renderers: orjson for JSON (the default), DRF's browsable API for browsers.

`JSONRenderer` is drf-orjson-renderer's (datetimes, decimals, lazy strings as
DRF's own JSON renderer gives them, ~10× faster). A response may embed JSON that
is already rendered (`orjson.Fragment`, e.g. rows rendered by PostgreSQL in
`assets.api.sqljson`): views do so only when this renderer was negotiated
(`renders_fragments`), never for the browsable API.
"""

from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework.renderers import BrowsableAPIRenderer as DRFBrowsableAPIRenderer


class JSONRenderer(ORJSONRenderer):
    """application/json through orjson."""


class BrowsableAPIRenderer(DRFBrowsableAPIRenderer):
    """text/html for people exploring the API in a browser."""


def renders_fragments(request) -> bool:
    """True when the negotiated renderer writes orjson.Fragment values as is."""
    return isinstance(getattr(request, "accepted_renderer", None), JSONRenderer)
