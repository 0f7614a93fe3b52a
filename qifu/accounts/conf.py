"""Identity settings (C1), read from the environment and validated.

Each value is looked up as ``settings.QIFU_<NAME>`` first (tests override it with
pytest-django's ``settings`` fixture), then the environment variable ``QIFU_<NAME>``,
then the default below. ``validate()`` runs at start-up (AccountsConfig.ready) so a
bad value stops the process with one line per variable, like qifu.config.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Option:
    name: str
    kind: type
    default: object
    minimum: int | None = None
    choices: tuple[str, ...] = ()


OPTIONS = {
    o.name: o
    for o in (
        # Password policy
        Option("PASSWORD_MIN_LENGTH", int, 10, minimum=6),
        Option("PASSWORD_MIN_CLASSES", int, 3, minimum=1),
        Option("PASSWORD_HISTORY", int, 5, minimum=0),
        Option("PASSWORD_ROTATION_DAYS", int, 0, minimum=0),  # 0 = off; applies to staff and institution accounts
        # Lockout
        Option("LOCKOUT_THRESHOLD", int, 5, minimum=1),
        Option("LOCKOUT_IP_THRESHOLD", int, 5, minimum=1),
        Option("LOCKOUT_WINDOW_MINUTES", int, 15, minimum=1),
        Option("LOCKOUT_MINUTES", int, 30, minimum=1),
        Option("LOGIN_CAPTCHA", str, "after_failure", choices=("always", "after_failure", "off")),
        # SMS codes
        Option("SMS_CODE_TTL_SECONDS", int, 300, minimum=30),
        Option("SMS_CODE_MAX_ATTEMPTS", int, 5, minimum=1),
        Option("SMS_RESEND_SECONDS", int, 60, minimum=1),
        Option("SMS_DAILY_LIMIT", int, 10, minimum=1),
        Option("SMS_IP_DAILY_LIMIT", int, 50, minimum=1),
        # Sessions
        Option("SESSION_IDLE_MINUTES", int, 30, minimum=1),
        Option("SESSION_ABSOLUTE_HOURS", int, 12, minimum=1),
        # Second factor: required for platform and tenant admins in production unless set to false.
        Option("TOTP_REQUIRED_FOR_ADMINS", bool, lambda: settings.QIFU_ENV == "production"),
        # External registry verification (certification)
        Option("REGISTRY_URL", str, ""),
        Option("REGISTRY_TOKEN", str, ""),
        Option("REGISTRY_TIMEOUT_SECONDS", int, 5, minimum=1),
    )
}


def _parse(option: Option, raw: object) -> object:
    if not isinstance(raw, str):
        return raw
    if option.kind is int:
        value = int(raw)
        if option.minimum is not None and value < option.minimum:
            raise ValueError(f"must be at least {option.minimum}")
        return value
    if option.kind is bool:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off", ""):
            return False
        raise ValueError("must be true or false")
    if option.choices and raw not in option.choices:
        raise ValueError(f"must be one of {', '.join(option.choices)}")
    return raw


def get(name: str):
    option = OPTIONS[name]
    override = getattr(settings, f"QIFU_{name}", None)
    if override is not None:
        return override
    raw = os.environ.get(f"QIFU_{name}")
    if raw is None or raw == "":
        return option.default() if callable(option.default) else option.default
    return _parse(option, raw)


def validate() -> None:
    errors = []
    for option in OPTIONS.values():
        raw = os.environ.get(f"QIFU_{option.name}")
        if raw:
            try:
                _parse(option, raw)
            except ValueError as exc:
                errors.append(f"QIFU_{option.name}: {exc}, got {raw!r}")
    if errors:
        raise ImproperlyConfigured("Qifu identity configuration is invalid:\n" + "\n".join(f"  {e}" for e in errors))


def totp_required_for_admins() -> bool:
    """On by default in production (QIFU_ENV=production), off elsewhere (development, demo);
    QIFU_TOTP_REQUIRED_FOR_ADMINS=true/false overrides either way (docs/configuration.md)."""
    return bool(get("TOTP_REQUIRED_FOR_ADMINS"))
