"""Image captchas (图形验证码): issue an id and a PNG, verify an answer once.

Answers live in the Django cache (Redis in production, so any worker can verify a
captcha another worker issued) for ``TTL_SECONDS``. Verification consumes the entry
whatever the answer, so one captcha allows exactly one guess; the consuming
``cache.delete`` is the atomic step (Redis DEL), so two concurrent verifications of
the same id cannot both succeed.
"""

from __future__ import annotations

import base64
import secrets
from io import BytesIO

from captcha.image import ImageCaptcha
from django.core.cache import cache

TTL_SECONDS = 300
LENGTH = 4
# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: characters people confuse in a distorted image.
ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
_PREFIX = "captcha:"


def _key(captcha_id: str) -> str:
    return _PREFIX + captcha_id


def issue() -> tuple[str, str, bytes]:
    """A new captcha: (id, answer, PNG bytes). The answer never leaves the server."""
    answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    captcha_id = secrets.token_urlsafe(18)
    cache.set(_key(captcha_id), answer, TTL_SECONDS)
    buffer = BytesIO()
    ImageCaptcha(width=120, height=44, font_sizes=(30, 34, 36)).generate_image(answer).save(buffer, format="PNG")
    return captcha_id, answer, buffer.getvalue()


def as_data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def verify(captcha_id: str | None, answer: str | None) -> bool:
    """True once for the right answer (case-insensitive); the captcha is used up either way."""
    if not captcha_id or not answer or len(captcha_id) > 64:
        return False
    key = _key(captcha_id)
    expected = cache.get(key)
    if expected is None or not cache.delete(key):
        return False
    return secrets.compare_digest(expected.upper(), answer.strip().upper())
