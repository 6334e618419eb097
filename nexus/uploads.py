"""The one upload pipeline of Nexus: ticket attachments, project thread files,
knowledge attachments and assistant session documents all pass through
`check_upload`.

- size: empty files and files over `NEXUS_MAX_UPLOAD_BYTES` are refused;
- name: only a display name is kept (no path parts, control, bidi or NUL
  characters); it is never part of a storage path;
- type: the extension must be on the caller's allow-list *and* the content must
  match it — magic bytes for binary types (a `.pdf` that is really a Windows
  executable or HTML is refused), the package structure for Office files, UTF-8
  without NUL bytes for text, and no markup in plain-text types (a browser that
  sniffed it would render it);
- storage: `storage_name_under(folder)` gives an `upload_to` that stores each
  file as `<folder>/<yyyy>/<mm>/<random hex>` (or `<folder>/<random hex>`),
  below MEDIA_ROOT.
"""

from __future__ import annotations

import hashlib
import posixpath
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

SNIFF_BYTES = 8192
MAX_NAME_LENGTH = 180
# Bidi overrides and other format characters disguise extensions ("gpj.exe").
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
# Markup that a browser would render if it ever sniffed a "text" file.
_MARKUP_SIGNS = (b"<html", b"<script", b"<svg", b"<!doctype", b"<iframe", b"<body")
_OOXML = "application/vnd.openxmlformats-officedocument."


@dataclass(frozen=True)
class FileKind:
    """What an allowed extension is: a kind name ("pdf", "image", "text"…), the
    content type it is stored and served with, and how its content is checked."""

    name: str
    content_type: str
    check: str = "magic"  # "magic", "ooxml", "text" or "markup"
    ooxml_part: str = ""  # the part an Office package must hold


@dataclass(frozen=True)
class CheckedUpload:
    original_name: str
    content_type: str
    size: int
    sha256: str
    kind: FileKind


def _image(mime: str) -> FileKind:
    return FileKind("image", mime)


def _ooxml(name: str, subtype: str, part: str) -> FileKind:
    return FileKind(name, _OOXML + subtype, check="ooxml", ooxml_part=part)


PDF = FileKind("pdf", "application/pdf")
DOCX = _ooxml("docx", "wordprocessingml.document", "word/document.xml")
PLAIN_TEXT = FileKind("text", "text/plain", check="text")
CSV = FileKind("text", "text/csv", check="text")

# Ticket attachments and project thread files.
ATTACHMENT_TYPES: dict[str, FileKind] = {
    "png": _image("image/png"),
    "jpg": _image("image/jpeg"),
    "jpeg": _image("image/jpeg"),
    "gif": _image("image/gif"),
    "webp": _image("image/webp"),
    "bmp": _image("image/bmp"),
    "pdf": PDF,
    "zip": FileKind("archive", "application/zip"),
    "docx": DOCX,
    "xlsx": _ooxml("xlsx", "spreadsheetml.sheet", "xl/workbook.xml"),
    "pptx": _ooxml("pptx", "presentationml.presentation", "ppt/presentation.xml"),
    "txt": PLAIN_TEXT,
    "log": PLAIN_TEXT,
    "csv": CSV,
    "eml": FileKind("text", "message/rfc822", check="text"),
}

# Knowledge attachments and assistant documents: what text can be extracted from.
# Markdown and HTML are markup by nature; they are only ever served as downloads.
DOCUMENT_TYPES: dict[str, FileKind] = {
    "pdf": PDF,
    "docx": DOCX,
    "txt": PLAIN_TEXT,
    "log": PLAIN_TEXT,
    "csv": CSV,
    "md": FileKind("markdown", "text/markdown", check="markup"),
    "markdown": FileKind("markdown", "text/markdown", check="markup"),
    "html": FileKind("html", "text/html", check="markup"),
    "htm": FileKind("html", "text/html", check="markup"),
    "png": _image("image/png"),
    "jpg": _image("image/jpeg"),
    "jpeg": _image("image/jpeg"),
    "gif": _image("image/gif"),
}


def clean_filename(name: str, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """A display name without path parts, control, NUL or bidi characters."""
    name = posixpath.basename((name or "").replace("\\", "/"))
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        ch for ch in name if unicodedata.category(ch) not in _FORBIDDEN_CATEGORIES
    )
    name = name.strip().strip(".").strip()
    if len(name) > max_length:
        stem, dot, ext = name.rpartition(".")
        if dot and len(ext) < 12:
            name = stem[: max_length - len(ext) - 1] + dot + ext
        else:
            name = name[:max_length]
    return name or "file"


def extension_of(name: str) -> str:
    """The lower-case extension of a (cleaned) name, without the dot; "" if none."""
    stem, dot, ext = clean_filename(name).rpartition(".")
    return ext.lower() if dot and stem and ext.isalnum() else ""


def kind_for(name: str, allowed: Mapping[str, FileKind]) -> FileKind | None:
    return allowed.get(extension_of(name))


def storage_name_under(folder: str, *, dated: bool = True) -> Callable[..., str]:
    """A storage-name function that ignores the client's file name entirely (wrap
    it in a module-level function for `upload_to`, so migrations can name it)."""

    def storage_name(instance, filename: str) -> str:
        if dated:
            return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
        return f"{folder}/{uuid.uuid4().hex}"

    return storage_name


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": message})


def check_upload(
    upload, *, allowed: Mapping[str, FileKind] = ATTACHMENT_TYPES
) -> CheckedUpload:
    """Validate an uploaded file; raise ValidationError({"file": …}) if refused."""
    size = getattr(upload, "size", None)
    if size is None:
        raise _refuse(_("No file was sent."))
    if size == 0:
        raise _refuse(_("The file is empty."))
    max_bytes = settings.NEXUS_MAX_UPLOAD_BYTES
    if size > max_bytes:
        raise _refuse(
            _("The file is too large (%(size)s bytes; the limit is %(max)s).")
            % {"size": size, "max": max_bytes}
        )
    raw_name = getattr(upload, "name", "") or ""
    if "\x00" in raw_name:
        raise _refuse(_("The file name is not valid."))
    name = clean_filename(raw_name)
    ext = extension_of(name)
    kind = allowed.get(ext)
    if kind is None:
        raise _refuse(
            _("Files of type “.%(ext)s” are not allowed.") % {"ext": ext or "?"}
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if not _content_matches(kind, head, upload):
        raise _refuse(_("The content of the file does not match its name."))
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(
        original_name=name,
        content_type=kind.content_type,
        size=size,
        sha256=digest.hexdigest(),
        kind=kind,
    )


def _content_matches(kind: FileKind, head: bytes, upload) -> bool:
    guessed = filetype.guess(head)
    if kind.check in ("text", "markup"):
        if guessed is not None or not _looks_like_text(head):
            return False
        return kind.check == "markup" or not _has_markup(head)
    if kind.check == "ooxml":
        return head.startswith(b"PK\x03\x04") and _zip_holds(upload, kind.ooxml_part)
    return guessed is not None and guessed.mime == kind.content_type


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sniffed prefix may cut a multi-byte character; forgive only that tail.
        if exc.start < len(head) - 4:
            return False
    return True


def _has_markup(head: bytes) -> bool:
    lowered = head.lower()
    return any(sign in lowered for sign in _MARKUP_SIGNS)


def _zip_holds(upload, part: str) -> bool:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)
    return part in names and "[Content_Types].xml" in names


def download_response(file, *, filename: str, content_type: str) -> FileResponse:
    """A stored upload served back: always a download, never rendered inline or
    sniffed, sandboxed if a browser opens it anyway, and not kept in shared caches."""
    response = FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
