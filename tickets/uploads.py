"""The upload pipeline: size limit, name clean-up and a type allow-list that is
checked on the file's content (magic bytes) as well as on its name.

A file whose content does not match its extension (a PNG that is really HTML, a
PDF that is really a Windows executable) is refused, whatever it is called.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# extension -> MIME types the content may be detected as. None means a text type,
# which has no magic bytes: it must decode as UTF-8 and must not look like markup.
ALLOWED_TYPES: dict[str, frozenset[str] | None] = {
    "png": frozenset({"image/png"}),
    "jpg": frozenset({"image/jpeg"}),
    "jpeg": frozenset({"image/jpeg"}),
    "gif": frozenset({"image/gif"}),
    "webp": frozenset({"image/webp"}),
    "bmp": frozenset({"image/bmp"}),
    "pdf": frozenset({"application/pdf"}),
    "zip": frozenset({"application/zip"}),
    "docx": frozenset(
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    ),
    "xlsx": frozenset(
        {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    ),
    "pptx": frozenset(
        {"application/vnd.openxmlformats-officedocument.presentationml.presentation"}
    ),
    "txt": None,
    "log": None,
    "csv": None,
    "eml": None,
}
TEXT_CONTENT_TYPES = {
    "txt": "text/plain",
    "log": "text/plain",
    "csv": "text/csv",
    "eml": "message/rfc822",
}
# Markup that a browser would render if it ever sniffed a "text" file.
_MARKUP_SIGNS = (b"<html", b"<script", b"<svg", b"<!doctype", b"<iframe", b"<body")
_SNIFF_BYTES = 8192
# Bidi overrides and other format characters disguise extensions ("gpj.exe").
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


@dataclass(frozen=True)
class CheckedUpload:
    original_name: str
    content_type: str
    size: int
    sha256: str


def clean_filename(name: str) -> str:
    """A display name without path parts, control or bidi characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        ch for ch in name if unicodedata.category(ch) not in _FORBIDDEN_CATEGORIES
    )
    name = name.strip().strip(".")
    if len(name) > 180:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 170 - len(ext)] + dot + ext) if dot else name[:180]
    return name or "file"


def random_storage_name(instance, filename: str) -> str:
    """Where an upload is stored: a random name with no user-controlled part."""
    now = timezone.now()
    return f"tickets/{now:%Y/%m}/{uuid.uuid4().hex}"


def check_upload(upload) -> CheckedUpload:
    """Validate an uploaded file; raise ValidationError({"file": …}) if refused."""
    max_bytes = settings.NEXUS_MAX_UPLOAD_BYTES
    size = upload.size or 0
    if size > max_bytes:
        raise ValidationError(
            {
                "file": _(
                    "The file is too large (%(size)s bytes; the limit is %(max)s)."
                )
                % {"size": size, "max": max_bytes}
            }
        )
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    name = clean_filename(getattr(upload, "name", ""))
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    if ext not in ALLOWED_TYPES:
        raise ValidationError(
            {
                "file": _("Files of type “.%(ext)s” are not allowed.")
                % {"ext": ext or "?"}
            }
        )
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    expected = ALLOWED_TYPES[ext]
    kind = filetype.guess(head)
    if expected is None:
        content_type = TEXT_CONTENT_TYPES[ext]
        if kind is not None or not _looks_like_text(head):
            raise ValidationError(
                {"file": _("The content of the file does not match its name.")}
            )
    else:
        if kind is None or kind.mime not in expected:
            raise ValidationError(
                {"file": _("The content of the file does not match its name.")}
            )
        content_type = kind.mime
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(
        original_name=name,
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
    )


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        # The sniffed prefix may cut a multi-byte character; ignore only that tail.
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            return False
    lowered = head.lower()
    return not any(sign in lowered for sign in _MARKUP_SIGNS)
