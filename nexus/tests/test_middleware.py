"""Page-only middleware is skipped for credentialed API requests, and only them."""

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from accounts.services import create_api_key
from assets.models import Asset
from companies.tests.factories import CompanyFactory
from nexus.middleware import SessionMiddleware, has_api_credentials

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/api/assets", {"HTTP_X_API_KEY": "nx_a_b"}, True),
        ("/api/assets", {"HTTP_AUTHORIZATION": "Bearer eyJ.x.y"}, True),
        ("/api/assets", {"HTTP_AUTHORIZATION": "Basic abc"}, False),
        ("/api/assets", {}, False),
        ("/assets/", {"HTTP_X_API_KEY": "nx_a_b"}, False),
        ("/admin/", {"HTTP_AUTHORIZATION": "Bearer x"}, False),
    ],
)
def test_which_requests_skip_page_middleware(path, headers, expected):
    request = RequestFactory().get(path, **headers)
    assert has_api_credentials(request) is expected


def test_skipped_middleware_sets_no_session_but_pages_get_one():
    seen = {}

    def view(request):
        seen["session"] = hasattr(request, "session")
        from django.http import HttpResponse

        return HttpResponse("ok")

    middleware = SessionMiddleware(view)
    middleware(RequestFactory().get("/api/assets", HTTP_X_API_KEY="nx_a_b"))
    assert seen["session"] is False
    middleware(RequestFactory().get("/api/assets"))
    assert seen["session"] is True


def test_api_key_write_records_the_key_user_in_history(technician):
    company = CompanyFactory(account_number=654321)
    _key, plain = create_api_key(technician, name="script")
    response = APIClient().post(
        "/api/assets",
        {"hostname": "H-1", "company_account_number": company.account_number},
        format="json",
        HTTP_X_API_KEY=plain,
    )
    assert response.status_code == 201, response.content
    asset = Asset.objects.get(pk=response.json()["id"])
    assert asset.history.get().history_user == technician
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies


def test_session_api_writes_still_need_csrf(technician):
    company = CompanyFactory(account_number=654322)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(technician)
    payload = {"hostname": "H-2", "company_account_number": company.account_number}
    response = client.post("/api/assets", payload, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_pages_keep_sessions_messages_and_csrf(client, technician):
    client.force_login(technician)
    response = client.get("/assets/")
    assert response.status_code == 200
    assert response.wsgi_request.user == technician
    assert hasattr(response.wsgi_request, "_messages")
    assert hasattr(response.wsgi_request, "htmx")
