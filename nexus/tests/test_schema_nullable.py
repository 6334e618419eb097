"""Nested objects read from a nullable relation are `nullable` in the schema
(nexus.schema.NullableNestedSerializer, issue 10: the API sent `null` where the
schema promised an object, e.g. the department of a user without one)."""

import pytest

from accounts.choices import Role


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("Me", "department"),
        ("User", "department"),
        ("Thread", "company"),
        ("Thread", "project"),
        ("Ticket", "requester"),
        ("Ticket", "assignee"),
        ("Category", "parent"),
    ],
)
def test_nested_object_of_a_nullable_relation_is_nullable(components, component, field):
    assert components[component]["properties"][field].get("nullable") is True


def test_nested_object_of_a_required_relation_is_not_nullable(components):
    assert "nullable" not in components["SyncRun"]["properties"]["job"]


@pytest.mark.django_db
def test_me_without_a_department_matches_the_schema(api_for, make_user, components):
    user = make_user(Role.TECHNICIAN, department=None)
    body = api_for(user).get("/api/auth/me/").json()
    assert body["department"] is None
    assert components["Me"]["properties"]["department"]["nullable"] is True
