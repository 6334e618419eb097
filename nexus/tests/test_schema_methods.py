"""List mechanics belong to GET lists: no write or detail operation documents
the list's search, filter or page parameters (the default schema class is
nexus.schema.ListOnGetAutoSchema; knowledge's `q` is declared on its list only)."""

import pytest

LIST_ONLY = {"q", "search", "ordering", "limit", "offset", "cursor", "page"}


def test_knowledge_search_parameter_is_on_the_list_only(paths):
    names = {p["name"] for p in paths["/api/knowledge/"]["get"]["parameters"]}
    assert {"q", "limit", "offset"} <= names
    for path, operations in paths.items():
        if not path.startswith("/api/knowledge/") or path == "/api/knowledge/":
            continue
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", [])}
            assert "q" not in names, (method, path)


def test_no_write_operation_documents_list_parameters(paths):
    checked = 0
    for path, operations in paths.items():
        for method in ("post", "put", "patch", "delete"):
            operation = operations.get(method)
            if operation is None:
                continue
            checked += 1
            query = {
                p["name"] for p in operation.get("parameters", []) if p["in"] == "query"
            }
            assert not query & LIST_ONLY, (method, path, query & LIST_ONLY)
    assert checked > 100


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["versions", "attachments"])
def test_article_history_and_files_are_plain_lists_as_documented(
    paths, action, admin_user
):
    from rest_framework.test import APIClient

    from knowledge.tests.factories import ArticleFactory

    article = ArticleFactory(title="Gannet", author=admin_user)
    operation = paths[f"/api/knowledge/{{id}}/{action}/"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["type"] == "array"
    query = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert query == set()
    api = APIClient()
    api.force_authenticate(admin_user)
    body = api.get(f"/api/knowledge/{article.pk}/{action}", {"q": "nothing"}).json()
    assert isinstance(body, list)
    assert len(body) == (1 if action == "versions" else 0)
