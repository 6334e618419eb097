"""Article attachments and session documents use the shared upload pipeline
(`nexus.uploads`) with the document allow-list; this module keeps the names that
models, services and migrations refer to."""

import uuid

from nexus.uploads import DOCUMENT_TYPES, FileKind, check_upload, clean_filename
from nexus.uploads import kind_for as _kind_for

__all__ = [
    "ALLOWED_EXTENSIONS",
    "EXTRACTABLE_KINDS",
    "TEXT_KINDS",
    "FileKind",
    "attachment_upload_to",
    "document_upload_to",
    "kind_for",
    "safe_filename",
    "validate_upload",
]

ALLOWED_EXTENSIONS: dict[str, FileKind] = {
    f".{ext}": kind for ext, kind in DOCUMENT_TYPES.items()
}
TEXT_KINDS = frozenset({"text", "markdown", "html"})
EXTRACTABLE_KINDS = frozenset({"pdf", "docx", *TEXT_KINDS})


def attachment_upload_to(instance, filename: str) -> str:
    return f"knowledge/attachments/{uuid.uuid4().hex}"


def document_upload_to(instance, filename: str) -> str:
    return f"knowledge/sessions/{uuid.uuid4().hex}"


def safe_filename(name: str) -> str:
    """A display name without paths, control or bidi characters, at most 200 long."""
    return clean_filename(name, max_length=200)


def validate_upload(upload) -> FileKind:
    """Check an uploaded file; return its kind or raise ValidationError({"file": …})."""
    return check_upload(upload, allowed=DOCUMENT_TYPES).kind


def kind_for(name: str) -> FileKind | None:
    return _kind_for(name, DOCUMENT_TYPES)
