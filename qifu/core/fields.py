"""Encrypted model fields (ID numbers, phone numbers) with a key from QIFU_FIELD_KEY."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


def _fernet() -> Fernet:
    key = settings.QIFU_FIELD_KEY
    if not key:
        # Development/test only (production refuses to start without QIFU_FIELD_KEY):
        # derive a stable key from SECRET_KEY so demo data stays readable across restarts.
        key = base64.urlsafe_b64encode(hashlib.sha256(settings.SECRET_KEY.encode()).digest()).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def blind_index(value: str) -> str:
    """A keyed hash for exact-match lookups on an encrypted value (e.g. find a user by phone)."""
    return hmac.new(settings.SECRET_KEY.encode(), value.strip().encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Stored as a Fernet token; read back as plain text. Not searchable: pair with a blind index."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        try:
            return _fernet().decrypt(value.encode()).decode()
        except InvalidToken:
            return "<无法解密>"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return _fernet().encrypt(str(value).encode()).decode()


def mask(value: str | None, keep_start: int = 3, keep_end: int = 4) -> str:
    """'110101199003074512' → '110***********4512'."""
    if not value:
        return ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * (len(value) - keep_start - keep_end) + value[-keep_end:]
