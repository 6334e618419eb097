"""Upload rules shared by article attachments and session documents: size limit,
an allow-list checked against both the extension and the content (magic bytes),
and random storage names (the user's file name is never part of a path)."""

import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SNIFF_BYTES = 4096


@dataclass(frozen=True)
class FileKind:
    name: str  # "pdf", "docx", "text", "markdown", "html", "image"
    content_type: str


# extension -> (kind, content type). Only these may be uploaded.
ALLOWED_EXTENSIONS: dict[str, FileKind] = {
    ".pdf": FileKind("pdf", "application/pdf"),
    ".docx": FileKind(
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ".txt": FileKind("text", "text/plain"),
    ".log": FileKind("text", "text/plain"),
    ".csv": FileKind("text", "text/csv"),
    ".md": FileKind("markdown", "text/markdown"),
    ".markdown": FileKind("markdown", "text/markdown"),
    ".html": FileKind("html", "text/html"),
    ".htm": FileKind("html", "text/html"),
    ".png": FileKind("image", "image/png"),
    ".jpg": FileKind("image", "image/jpeg"),
    ".jpeg": FileKind("image", "image/jpeg"),
    ".gif": FileKind("image", "image/gif"),
}
TEXT_KINDS = frozenset({"text", "markdown", "html"})
EXTRACTABLE_KINDS = frozenset({"pdf", "docx", *TEXT_KINDS})

_IMAGE_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


def attachment_upload_to(instance, filename: str) -> str:
    return f"knowledge/attachments/{uuid.uuid4().hex}"


def document_upload_to(instance, filename: str) -> str:
    return f"knowledge/sessions/{uuid.uuid4().hex}"


def safe_filename(name: str) -> str:
    """A display name without paths, control or bidi characters, at most 200 long."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(
        ch
        for ch in unicodedata.normalize("NFC", name)
        if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    ).strip(" .")
    if not name:
        name = "file"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (
            (stem[: 200 - len(ext) - 1] + dot + ext)
            if dot and len(ext) < 12
            else name[:200]
        )
    return name


def _extension(name: str) -> str:
    match = re.search(r"(\.[A-Za-z0-9]+)$", name)
    return match.group(1).lower() if match else ""


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character may be cut at the end of the sniffed block.
        if exc.start < len(head) - 4:
            return False
    return True


def _is_docx(upload) -> bool:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)
    return "word/document.xml" in names and "[Content_Types].xml" in names


def validate_upload(upload) -> FileKind:
    """Check an uploaded file; return its kind or raise ValidationError({"file": …})."""
    size = getattr(upload, "size", None)
    if size is None:
        raise ValidationError({"file": _("No file was sent.")})
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    limit = settings.NEXUS_MAX_UPLOAD_BYTES
    if size > limit:
        raise ValidationError(
            {"file": _("The file is larger than %(limit)s bytes.") % {"limit": limit}}
        )
    kind = ALLOWED_EXTENSIONS.get(_extension(safe_filename(upload.name)))
    if kind is None:
        allowed = ", ".join(sorted(ALLOWED_EXTENSIONS))
        raise ValidationError(
            {
                "file": _("This file type is not allowed (allowed: %(allowed)s).")
                % {"allowed": allowed}
            }
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    ok = {
        "pdf": lambda: head.startswith(b"%PDF-"),
        "docx": lambda: head.startswith(b"PK\x03\x04") and _is_docx(upload),
        "image": lambda: head.startswith(_IMAGE_MAGIC[kind.content_type]),
    }.get(kind.name, lambda: _looks_like_text(head))()
    if not ok:
        raise ValidationError(
            {"file": _("The file's content does not match its extension.")}
        )
    return kind


def kind_for(name: str) -> FileKind | None:
    return ALLOWED_EXTENSIONS.get(_extension(name))
