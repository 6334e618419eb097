import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.uploads import check_upload, clean_filename

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def upload(name, data):
    return SimpleUploadedFile(name, data)


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("shot.png", PNG, "image/png"),
        ("report.pdf", PDF, "application/pdf"),
        ("notes.txt", "Καλημέρα, plain text\n".encode(), "text/plain"),
        ("data.csv", b"a,b\n1,2\n", "text/csv"),
    ],
)
def test_allowed_files_pass(name, data, mime):
    checked = check_upload(upload(name, data))
    assert checked.content_type == mime
    assert checked.size == len(data) and len(checked.sha256) == 64


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60),  # an .exe
        ("photo.png", b"<html><script>alert(1)</script></html>"),  # HTML called PNG
        ("photo.png", PDF),  # the wrong allowed type
        ("notes.txt", b"<!DOCTYPE html><script>alert(1)</script>"),  # markup as text
        ("notes.txt", PNG),  # binary as text
        ("page.html", b"<html></html>"),  # not on the list
        ("image.svg", b"<svg onload=alert(1)></svg>"),
        ("run.exe", b"MZ" + b"\x00" * 60),
        ("noextension", b"hello"),
    ],
)
def test_spoofed_or_forbidden_files_are_refused(name, data):
    with pytest.raises(ValidationError) as exc:
        check_upload(upload(name, data))
    assert "file" in exc.value.message_dict


def test_size_limit(settings):
    settings.NEXUS_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationError, match="too large"):
        check_upload(upload("shot.png", PNG + b"\x00" * 100))


def test_office_document_detected_by_content():
    assert check_upload(upload("letter.docx", docx_bytes())).content_type.endswith(
        "wordprocessingml.document"
    )


def test_clean_filename_drops_paths_and_bidi_tricks():
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("C:\\Users\\x\\evil.png") == "evil.png"
    assert clean_filename("invoice\u202egnp.exe") == "invoicegnp.exe"
    assert clean_filename("a\x00b.txt") == "ab.txt"
    assert len(clean_filename("x" * 500 + ".pdf")) <= 180
    assert clean_filename("") == "file"
