"""Encrypted model fields (ID numbers, phone numbers) with keys from QIFU_FIELD_KEY.

QIFU_FIELD_KEY holds one Fernet key, or several separated by commas (newest first) while keys are
rotated: the first encrypts, every one of them decrypts. A value that none of them decrypts is an
error (``FieldDecryptionError``), never a placeholder — a placeholder would be encrypted and saved
over the real value the next time the row is saved.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

from qifu.config import parse_field_keys


class FieldDecryptionError(RuntimeError):
    """A stored encrypted value cannot be decrypted with the configured keys."""


@lru_cache(maxsize=4)
def _fernet_for(raw: str, secret_key: str) -> MultiFernet:
    if not raw:
        # Development/test only (production refuses to start without QIFU_FIELD_KEY):
        # derive a stable key from SECRET_KEY so demo data stays readable across restarts.
        raw = base64.urlsafe_b64encode(hashlib.sha256(secret_key.encode()).digest()).decode()
    return MultiFernet(parse_field_keys(raw))


def _fernet() -> MultiFernet:
    return _fernet_for(settings.QIFU_FIELD_KEY or "", settings.SECRET_KEY)


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
            model = getattr(self, "model", None)
            where = f"{model._meta.label}.{self.name}" if model is not None else "an encrypted value"
            raise FieldDecryptionError(
                f"{where} cannot be decrypted with QIFU_FIELD_KEY: the key differs from the one the value was "
                "written with (during a key change list the new key first and the old one after it, separated "
                "by a comma). Refusing to read it rather than hand out a placeholder that a save would store."
            ) from None

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
