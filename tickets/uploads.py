"""Ticket attachments use the shared upload pipeline (`nexus.uploads`); this module
keeps the names that models and migrations refer to."""

from nexus.uploads import (
    ATTACHMENT_TYPES,
    CheckedUpload,
    check_upload,
    clean_filename,
    storage_name_under,
)

__all__ = [
    "ATTACHMENT_TYPES",
    "CheckedUpload",
    "check_upload",
    "clean_filename",
    "random_storage_name",
]

_storage_name = storage_name_under("tickets")


def random_storage_name(instance, filename: str) -> str:
    """Where an upload is stored: a random name with no user-controlled part."""
    return _storage_name(instance, filename)
