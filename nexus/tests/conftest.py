"""Hooks and shared fixtures for the project-wide tests."""

import pytest


def pytest_collection_modifyitems(items):
    """Give each schemathesis test (one per API operation, test_fuzz.py) its own
    node id.

    schemathesis 4.32 names the items `test_api_contract[GET /api/…]`, but on
    pytest 9 (which builds node ids from `originalname` plus a parametrize
    callspec, and reads `_id` where schemathesis writes `_nodeid`) they all get
    the node id `…::test_api_contract`. pytest-xdist tells tests apart by node id,
    so under `-n 2` it ran one operation and silently dropped the others, or hung.
    """
    for item in items:
        label = getattr(item, "operation_label", None)
        node_id = getattr(item, "_id", None)
        if label and node_id is not None and node_id.params is None:
            item._id = node_id.with_params(label)


@pytest.fixture(scope="session")
def openapi_schema():
    """The public OpenAPI schema, generated once per test process (read only)."""
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture(scope="session")
def components(openapi_schema):
    return openapi_schema["components"]["schemas"]


@pytest.fixture(scope="session")
def paths(openapi_schema):
    return openapi_schema["paths"]
