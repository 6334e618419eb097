"""Security checks (issue 10): CSRF on every form, stored XSS inert, uploads
refused when spoofed/traversing/oversized, formula-safe exports, headers on API
responses. (`check --deploy` runs in CI; headers on pages, CSRF enforcement and
key logging are in test_security.py.)"""

import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(1)>'
SKIP_NAMES = {"logout", "set_language", "revoke_key"}
FORM_RE = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)


def _argless_page_urls():
    """Every named URL pattern of the app URLconf that takes no argument."""

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}{pattern.namespace}:"
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                if pattern.pattern.regex.groups == 0:
                    yield f"{namespace}{pattern.name}"

    for name in walk(get_resolver().url_patterns):
        if name.startswith(("api:", "admin:")) or name.split(":")[-1] in SKIP_NAMES:
            continue
        try:
            yield reverse(name)
        except Exception:
            continue


def test_every_post_form_carries_a_csrf_token(staff_client):
    forms_seen = 0
    for url in sorted(set(_argless_page_urls())):
        response = staff_client.get(url)
        if response.status_code != 200 or "html" not in response.get(
            "Content-Type", ""
        ):
            continue
        for form in FORM_RE.findall(response.content.decode()):
            opening = form[: form.index(">") + 1].lower()
            if 'method="post"' not in opening and "method='post'" not in opening:
                continue
            forms_seen += 1
            assert "csrfmiddlewaretoken" in form, (url, opening)
    assert forms_seen >= 5


@pytest.fixture
def hostile_rows():
    from assets.tests.factories import AssetFactory
    from companies.tests.factories import CompanyFactory
    from contacts.tests.factories import ContactFactory

    company = CompanyFactory(name=f"Evil {XSS_SCRIPT}", description=XSS_ATTR)
    asset = AssetFactory(company=company, hostname=f"h{XSS_ATTR}")
    contact = ContactFactory(name=f"C {XSS_SCRIPT}", title=XSS_ATTR)
    contact.companies.add(company)
    return company, asset, contact


def _assert_inert(body: str, url: str):
    assert XSS_SCRIPT not in body, url
    assert "<img src=x onerror" not in body, url


def test_stored_xss_is_inert_for_staff(staff_client, hostile_rows):
    company, _asset, _contact = hostile_rows
    urls = [
        reverse("companies:company_list"),
        reverse("companies:company_detail", args=[company.account_number]),
        reverse("assets:asset_list"),
        reverse("contacts:contact_list"),
    ]
    for url in urls:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        _assert_inert(response.content.decode(), url)
    listing = staff_client.get(urls[0]).content.decode()
    assert "Evil &lt;script&gt;alert(1)&lt;/script&gt;" in listing


def test_stored_xss_is_inert_for_portal_users(portal_client_for, hostile_rows):
    company, _asset, _contact = hostile_rows
    client = portal_client_for(company)
    for url in (reverse("companies:my_company"), reverse("assets:asset_list")):
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        _assert_inert(response.content.decode(), url)


SPOOFED = [
    ("invoice.pdf", b"MZ\x90\x00\x03 this is a windows executable"),
    ("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n"),
    ("..\\x.pdf", b"<html><script>alert(1)</script></html>"),
    ("photo.png", b"<?php system($_GET['c']); ?>"),
]


@pytest.mark.parametrize(("name", "content"), SPOOFED)
def test_ticket_uploads_refuse_spoofed_types(name, content):
    from tickets.uploads import check_upload

    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile(name, content))


@pytest.mark.parametrize(("name", "content"), SPOOFED)
def test_knowledge_uploads_refuse_spoofed_types(name, content):
    from knowledge.uploads import validate_upload

    with pytest.raises(ValidationError):
        validate_upload(SimpleUploadedFile(name, content))


def test_oversized_uploads_are_refused(settings):
    from knowledge.uploads import validate_upload
    from tickets.uploads import check_upload

    settings.NEXUS_MAX_UPLOAD_BYTES = 1024
    big = b"%PDF-1.4\n" + b"0" * 2048
    for check in (check_upload, validate_upload):
        with pytest.raises(ValidationError):
            check(SimpleUploadedFile("big.pdf", big, content_type="application/pdf"))


def test_ticket_storage_names_ignore_the_client_filename():
    from tickets.uploads import random_storage_name

    name = random_storage_name(None, "../../etc/passwd")
    assert ".." not in name
    assert name.startswith("tickets/")


def test_import_export_escapes_formulae():
    assert settings.IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT is True


def test_api_responses_carry_security_headers(admin_api):
    response = admin_api.get("/api/companies/")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_login_brute_force_locks_the_account_out(client, technician, settings):
    settings.AXES_ENABLED = True
    url = reverse("accounts:login")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": technician.username, "password": "wrong-guess"})
    response = client.post(
        url, {"username": technician.username, "password": "pass-word-123"}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code in (403, 429)
