"""A read-only e-mail or URL of a column that may be blank allows `""` in the
schema (nexus.schema.BlankReadOnlyFormat; contract fuzzing with rows in the
database: a staff reply's `author_email` is `""`, which `format: email` refused)."""

import pytest

from tickets.tests.factories import CommentFactory


def test_blank_read_only_email_allows_empty_string(components):
    author_email = components["Comment"]["properties"]["author_email"]
    assert author_email["readOnly"] is True
    assert author_email["oneOf"] == [
        {"type": "string", "format": "email"},
        {"type": "string", "maxLength": 0},
    ]


def test_email_that_is_never_blank_keeps_its_format_alone(components):
    email = components["BillingUser"]["properties"]["email"]
    assert email == {"type": "string", "format": "email"}


@pytest.mark.django_db
def test_staff_comment_sends_the_blank_email_the_schema_allows(admin_api, components):
    comment = CommentFactory(author_email="")
    body = admin_api.get(f"/api/comments/{comment.pk}/").json()
    assert body["author_email"] == ""
    allowed = components["Comment"]["properties"]["author_email"]["oneOf"]
    assert {"type": "string", "maxLength": 0} in allowed
