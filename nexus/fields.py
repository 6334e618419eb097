"""Model fields shared by every app."""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.NEXUS_FIELD_ENCRYPTION_KEYS)
    if not keys:
        # Development default: derived from SECRET_KEY (production requires its own
        # keys; see the nexus.E001 deploy check).
        digest = hashlib.sha256(f"nexus-fields:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError(
            "cannot decrypt value: wrong NEXUS_FIELD_ENCRYPTION_KEYS"
        ) from exc


class EncryptedTextField(models.TextField):
    """Text stored encrypted at rest (Fernet); reads back as plain text."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt_text(value)


def mask_secret(value: str | None, *, visible: int = 4) -> str:
    """Show only the last few characters of a secret, for lists and logs."""
    if not value:
        return ""
    return "•" * 8 + value[-visible:] if len(value) > visible else "•" * 8
