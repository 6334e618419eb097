"""Unicode slugs (Greek article titles) have no ASCII-only pattern in the schema
(nexus.schema.UnicodeSlugField; fuzzing on PostgreSQL found `"mì3-ãy34"` refused
by the schema's `^[-\\w]+$`, which is ASCII in OpenAPI's ECMA-262 regexes)."""

import re

import pytest

from accounts.choices import Role


@pytest.mark.parametrize(
    "component",
    ["Article", "ArticleRequest", "Category", "CategoryRequest", "Tag", "TagBrief"],
)
def test_unicode_slugs_carry_no_ascii_pattern(components, component):
    schemas = [
        schema
        for name, schema in components.items()
        if name == component and "slug" in schema.get("properties", {})
    ]
    assert schemas, f"{component} has no slug property"
    slug = schemas[0]["properties"]["slug"]
    assert "pattern" not in slug
    assert not any(key.startswith("x-nexus") for key in slug)
    assert slug["type"] == "string"


@pytest.mark.django_db
def test_api_sends_a_greek_slug_the_schema_accepts(make_user, api_client, components):
    editor = make_user(Role.ADMIN, username="greek-editor", is_superuser=True)
    api_client.force_authenticate(editor)
    response = api_client.post(
        "/api/knowledge",
        {"title": "Εκτυπωτής χωρίς χαρτί", "body": "Βάλτε χαρτί."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    slug = response.json()["slug"]
    assert slug == "εκτυπωτής-χωρίς-χαρτί"
    assert re.fullmatch(r"[-\w]+", slug)  # Python's \w is Unicode-aware
