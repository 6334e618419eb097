"""Errors under /api/ are JSON even when no API view handles the request (issue 10:
fuzzing found HTML 404 pages for ids like `0.5` that no route matches)."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/assets/0.5/",
        "/api/companies/%C2%84/",
        "/api/tickets/0.5/comments/",
        "/api/no-such-endpoint/",
    ],
)
def test_unmatched_api_url_is_a_json_404(admin_api, path):
    response = admin_api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_unmatched_page_url_keeps_the_html_404(staff_client):
    response = staff_client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
