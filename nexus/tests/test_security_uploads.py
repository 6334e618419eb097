"""Uploads (issue 10): every upload endpoint — ticket attachments, project thread
files, knowledge article attachments and assistant session documents, through
the API and the pages — refuses spoofed types, hostile names and oversized
bodies; what it accepts is stored under a random name below MEDIA_ROOT and is
served only through permission-checked views.

The endpoints are found from the models: every FileField of the project must be
covered by a target below (test_every_file_field_has_an_upload_target)."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from rest_framework.test import APIClient

from accounts.choices import Role
from companies.tests.factories import CompanyFactory
from nexus.uploads import ATTACHMENT_TYPES, DOCUMENT_TYPES, check_upload

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
TEXT = b"plain notes, nothing else\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00 this program cannot be run in DOS mode"
HTML = b"<html><body><script>alert(1)</script></body></html>"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 40

# (name sent, content): none of these may be stored, whichever endpoint.
SPOOFED = [
    ("invoice.pdf", EXE),  # a PE executable called .pdf
    ("report.pdf", HTML),  # HTML called .pdf
    ("photo.png", b"<?php system($_GET['c']); ?>"),
    ("photo.jpg", PNG),  # a real PNG, but not what the name says
    ("notes.txt", HTML),  # markup in a plain-text type
    ("notes.txt", EXE),
    ("tool.exe", EXE),
    ("run.sh", b"#!/bin/sh\nrm -rf /\n"),
    ("image.svg", b"<svg onload=alert(1)></svg>"),
    ("..\\..\\x.pdf", HTML),
    ("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n"),
    ("a.txt\x00.exe", EXE),
    ("picture\u202egnp.exe", EXE),  # right-to-left override hides ".exe"
    ("nothing", ELF),
    ("document.docx", b"PK\x03\x04" + b"\x00" * 60),  # a zip, but not a document
]


@dataclass
class Target:
    """One upload endpoint: where to post, which rows it makes and where they are
    downloaded (None when the files are never served)."""

    name: str
    model: type[models.Model]
    post_url: str
    download_url: object  # callable(row) -> str | None
    page: bool = False  # a page form (redirects/400) rather than the API

    def post(self, client, name, content):
        upload = SimpleUploadedFile(name, content)
        field = "files" if self.name == "ticket-page" else "file"
        data = {field: upload}
        if self.name == "ticket-page":
            data["body"] = "see attached"
        if self.page:
            return client.post(self.post_url, data)
        return client.post(self.post_url, data, format="multipart")


@pytest.fixture
def world(admin_user, portal_user_for):
    from knowledge.choices import ArticleStatus, ArticleVisibility
    from knowledge.services import create_article, start_assistant_session
    from projects.tests.factories import ThreadFactory
    from tickets.tests.factories import TicketFactory

    own, other = CompanyFactory(), CompanyFactory()
    client_a, client_b = portal_user_for(own), portal_user_for(other)
    ticket = TicketFactory(company=own)
    thread = ThreadFactory(company=own, members=[admin_user, client_a])
    article = create_article(
        title="Uploads",
        author=admin_user,
        body="b",
        status=ArticleStatus.PUBLISHED,
        visibility=ArticleVisibility.COMPANIES,
        companies=[own],
    )
    session = start_assistant_session(user=admin_user, title="s")
    return {
        "own": own,
        "client_a": client_a,
        "client_b": client_b,
        "ticket": ticket,
        "thread": thread,
        "article": article,
        "session": session,
    }


def _targets(w) -> list[Target]:
    from knowledge.models import ArticleAttachment, SessionDocument
    from projects.models import ThreadFile
    from tickets.models import Attachment

    t, th, a, s = w["ticket"], w["thread"], w["article"], w["session"]
    return [
        Target(
            "ticket-api",
            Attachment,
            f"/api/tickets/{t.pk}/attachments/",
            lambda row: f"/api/attachments/{row.pk}/download/",
        ),
        Target(
            "ticket-page",
            Attachment,
            f"/tickets/{t.number}/reply/",
            lambda row: f"/api/attachments/{row.pk}/download/",
            page=True,
        ),
        Target(
            "thread-api",
            ThreadFile,
            f"/api/threads/{th.pk}/files/",
            lambda row: f"/api/threads/{th.pk}/files/{row.pk}/download/",
        ),
        Target(
            "thread-page",
            ThreadFile,
            f"/projects/threads/{th.pk}/files/",
            lambda row: f"/projects/files/{row.pk}/download/",
            page=True,
        ),
        Target(
            "article-api",
            ArticleAttachment,
            f"/api/knowledge/{a.pk}/attachments/",
            lambda row: f"/api/knowledge/{a.pk}/attachments/{row.pk}/",
        ),
        Target(
            "article-page",
            ArticleAttachment,
            f"/kb/articles/{a.slug}/attachments/",
            lambda row: f"/kb/attachments/{row.pk}/",
            page=True,
        ),
        Target(
            "session-api",
            SessionDocument,
            f"/api/assistant/sessions/{s.pk}/documents/",
            lambda row: None,
        ),
        Target(
            "session-page",
            SessionDocument,
            f"/kb/assistant/{s.pk}/documents/",
            lambda row: None,
            page=True,
        ),
    ]


TARGET_NAMES = [
    "ticket-api",
    "ticket-page",
    "thread-api",
    "thread-page",
    "article-api",
    "article-page",
    "session-api",
    "session-page",
]


@pytest.fixture(params=TARGET_NAMES)
def target(request, world):
    return next(t for t in _targets(world) if t.name == request.param)


@pytest.fixture
def staff(admin_user, target):
    if target.page:
        from django.test import Client

        client = Client()
        client.force_login(admin_user)
        return client
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def _media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _refused(response, target) -> bool:
    if target.page:
        return response.status_code in (302, 400)
    return response.status_code == 400


def test_every_file_field_has_an_upload_target(world):
    covered = {t.model for t in _targets(world)}
    file_models = {
        model
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.FileField)
    }
    assert file_models, "the project has FileFields"
    assert file_models <= covered, file_models - covered


@pytest.mark.parametrize(("name", "content"), SPOOFED)
def test_spoofed_and_hostile_uploads_are_refused(target, staff, name, content):
    before = _media_files()
    response = target.post(staff, name, content)
    assert _refused(response, target), (target.name, name, response.status_code)
    assert not target.model.objects.exists(), (target.name, name)
    assert _media_files() == before


def test_oversized_uploads_are_refused(target, staff, settings):
    settings.NEXUS_MAX_UPLOAD_BYTES = 1024
    response = target.post(staff, "big.txt", b"a" * 2048)
    assert _refused(response, target), response.status_code
    assert not target.model.objects.exists()
    assert _media_files() == []
    response = target.post(staff, "small.txt", b"a" * 1000)
    assert target.model.objects.count() == 1, response.status_code


@pytest.mark.parametrize(
    "sent_name", ["../../etc/cron.d/evil.txt", "..\\..\\windows\\evil.txt", "evil.txt"]
)
def test_accepted_files_get_random_names_under_media_root(target, staff, sent_name):
    response = target.post(staff, sent_name, TEXT)
    assert response.status_code in (201, 302), response.content[:300]
    row = target.model.objects.get()
    assert row.original_name == "evil.txt"
    stored = Path(row.file.name)
    assert "evil" not in row.file.name and ".." not in stored.parts
    assert len(stored.name) == 32 and uuid.UUID(hex=stored.name)
    path = Path(row.file.path).resolve()
    assert path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert path.read_bytes() == TEXT
    assert [p.resolve() for p in _media_files()] == [path]


def test_files_are_served_only_to_those_who_may_see_them(target, staff, world):
    target.post(staff, "evil.txt", TEXT)
    row = target.model.objects.get()
    url = target.download_url(row)
    if url is None:  # session documents are never served back
        return
    response = staff.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == TEXT

    outsider_api, outsider_page = APIClient(), _page_client(world["client_b"])
    outsider_api.force_authenticate(world["client_b"])
    outsider = outsider_page if url.startswith(("/kb/", "/projects/")) else outsider_api
    assert outsider.get(url).status_code in (403, 404)
    anonymous = APIClient().get(url)
    assert anonymous.status_code in (302, 401, 403)


def _page_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_own_client_downloads_a_ticket_file_other_clients_do_not(world, admin_api):
    admin_api.post(
        f"/api/tickets/{world['ticket'].pk}/attachments/",
        {"file": SimpleUploadedFile("scan.png", PNG)},
        format="multipart",
    )
    from tickets.models import Attachment

    row = Attachment.objects.get()
    url = f"/api/attachments/{row.pk}/download/"
    own, other = APIClient(), APIClient()
    own.force_authenticate(world["client_a"])
    other.force_authenticate(world["client_b"])
    assert own.get(url).status_code == 200
    assert other.get(url).status_code == 404
    assert other.get(f"/api/attachments/{row.pk}/").status_code == 404


def test_a_client_cannot_upload_to_another_companys_ticket(world, portal_user_for):
    from tickets.models import Attachment

    other = APIClient()
    other.force_authenticate(world["client_b"])
    response = other.post(
        f"/api/tickets/{world['ticket'].pk}/attachments/",
        {"file": SimpleUploadedFile("a.txt", TEXT)},
        format="multipart",
    )
    assert response.status_code in (403, 404)
    assert not Attachment.objects.exists()


# The pipeline itself, for names the HTTP layer would already have trimmed.


@pytest.mark.parametrize("allowed", [ATTACHMENT_TYPES, DOCUMENT_TYPES])
@pytest.mark.parametrize(
    ("raw", "display"),
    [
        ("../../etc/notes.txt", "notes.txt"),
        ("..\\..\\boot\\notes.txt", "notes.txt"),
        ("/abs/path/notes.txt", "notes.txt"),
        ("C:\\Users\\x\\notes.txt", "notes.txt"),
        (" ..notes.txt.. ", "notes.txt"),
        ("no\u200btes\u202e.txt", "notes.txt"),
    ],
)
def test_names_are_reduced_to_a_display_name(allowed, raw, display):
    checked = check_upload(SimpleUploadedFile(raw, TEXT), allowed=allowed)
    assert checked.original_name == display


@pytest.mark.parametrize("allowed", [ATTACHMENT_TYPES, DOCUMENT_TYPES])
@pytest.mark.parametrize(("name", "content"), SPOOFED)
def test_the_pipeline_refuses_what_the_endpoints_refuse(allowed, name, content):
    with pytest.raises(ValidationError) as exc:
        check_upload(SimpleUploadedFile(name, content), allowed=allowed)
    assert "file" in exc.value.message_dict


def test_nul_in_a_name_is_refused_not_trimmed():
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile("notes.txt\x00.png", TEXT))


def test_fleet_files_have_their_own_size_limit(make_user, client):
    """Files queued for agents are deliberately any type (installers, scripts) and
    are kept in the database, never under MEDIA_ROOT; they still have a limit."""
    from assets.fleet_forms import MAX_FILE_BYTES, QueueJobForm

    user = make_user(Role.ADMIN, is_superuser=True)
    big = SimpleUploadedFile("setup.exe", b"M" * (MAX_FILE_BYTES + 1))
    form = QueueJobForm(
        {"shell": "sh", "timeout_seconds": 60}, {"file": big}, user=user
    )
    assert not form.is_valid()
    assert "file" in form.errors


def test_media_is_not_served_directly(world, admin_api, client):
    """Stored files are reachable only through the permission-checked views above:
    MEDIA_URL is not routed, whoever asks."""
    admin_api.post(
        f"/api/tickets/{world['ticket'].pk}/attachments/",
        {"file": SimpleUploadedFile("notes.txt", TEXT)},
        format="multipart",
    )
    from tickets.models import Attachment

    stored = Attachment.objects.get().file.name
    client.force_login(world["client_a"])
    for url in (settings.MEDIA_URL + stored, "/media/" + stored, "/" + stored):
        response = client.get(url)
        assert response.status_code == 404, url


@pytest.mark.parametrize("url", ["/api/tickets/", "/api/companies/"])
def test_oversized_request_bodies_are_refused_not_500(admin_user, url):
    """Bodies beyond DATA_UPLOAD_MAX_MEMORY_SIZE are refused before parsing."""
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    body = b'{"title": "' + b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'"}'
    response = client.post(url, body, content_type="application/json")
    assert response.status_code in (400, 413), response.status_code


def _package(*parts: str) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for part in parts:
            archive.writestr(part, "<x/>")
    return buffer.getvalue()


GENUINE = {
    "shot.png": PNG,
    "shot.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40,
    "anim.gif": b"GIF89a" + b"\x00" * 40,
    "report.pdf": b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
    "notes.txt": "Καλημέρα, plain text\n".encode(),
    "data.csv": b"a,b\n1,2\n",
    "letter.docx": _package("word/document.xml"),
}
ATTACHMENT_ONLY = {
    "sheet.xlsx": _package("xl/workbook.xml"),
    "deck.pptx": _package("ppt/presentation.xml"),
    "mail.eml": b"From: a@x.test\nSubject: hi\n\nhello\n",
}
DOCUMENT_ONLY = {
    "guide.md": b"# Guide\n\n<b>bold</b>\n",
    "page.html": b"<html><body><p>Hello</p></body></html>",
}


@pytest.mark.parametrize(
    ("allowed", "files"),
    [
        (ATTACHMENT_TYPES, {**GENUINE, **ATTACHMENT_ONLY}),
        (DOCUMENT_TYPES, {**GENUINE, **DOCUMENT_ONLY}),
    ],
)
def test_genuine_files_of_every_allowed_type_pass(allowed, files):
    for name, content in files.items():
        checked = check_upload(SimpleUploadedFile(name, content), allowed=allowed)
        assert checked.content_type == allowed[name.rsplit(".", 1)[1]].content_type
        assert checked.size == len(content) and len(checked.sha256) == 64


def test_each_allow_list_refuses_the_others_extras():
    for name, content in ATTACHMENT_ONLY.items():
        with pytest.raises(ValidationError):
            check_upload(SimpleUploadedFile(name, content), allowed=DOCUMENT_TYPES)
    for name, content in DOCUMENT_ONLY.items():
        with pytest.raises(ValidationError):
            check_upload(SimpleUploadedFile(name, content), allowed=ATTACHMENT_TYPES)
