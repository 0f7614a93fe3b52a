"""Settings read from the environment and validated once at start-up.

Every problem is collected and reported as one line naming the variable, so an
operator fixes a bad deployment in one pass instead of one crash at a time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("development", "test", "production")
METRICS_ALLOW_DEFAULT = ("127.0.0.0/8", "::1/128")  # /metrics answers local scrapes only unless told otherwise


@dataclass
class Config:
    env: str
    debug: bool
    secret_key: str
    data_dir: Path
    database_url: str
    redis_url: str
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    max_body_bytes: int
    max_upload_bytes: int
    field_key: str
    log_format: str
    log_level: str
    default_tenant: str
    huey_immediate: bool
    audit_retention_days: int
    export_max_rows: int
    trusted_proxy_hops: int = 0
    metrics_allow: list[str] = field(default_factory=lambda: list(METRICS_ALLOW_DEFAULT))
    metrics_token: str = ""
    errors: list[str] = field(default_factory=list)


def _int(name: str, default: int, errors: list[str], minimum: int = 1) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        errors.append(f"{name}: must be an integer, got {raw!r}")
        return default
    if value < minimum:
        errors.append(f"{name}: must be at least {minimum}, got {value}")
    return value


def _bool(name: str, default: bool, errors: list[str]) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    errors.append(f"{name}: must be true or false, got {raw!r}")
    return default


def _list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_field_keys(raw: str) -> list:
    """The Fernet keys of a QIFU_FIELD_KEY value (comma-separated, newest first); ValueError names the bad one."""
    from cryptography.fernet import Fernet

    keys = [k.strip() for k in (raw or "").split(",") if k.strip()]
    result = []
    for n, key in enumerate(keys, start=1):
        try:
            result.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            where = f"key {n} of {len(keys)}" if len(keys) > 1 else "the value"
            raise ValueError(
                f"{where} is not a Fernet key (44 characters of url-safe base64 encoding 32 bytes)"
            ) from None
    return result


def _networks(name: str, default: tuple[str, ...], errors: list[str]) -> list[str]:
    import ipaddress

    values = _list(name, list(default))
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            errors.append(f"{name}: {value!r} is not an IP address or network (e.g. 10.0.0.0/8)")
    return values


def load() -> Config:
    errors: list[str] = []
    env = os.environ.get("QIFU_ENV", "development")
    if env not in ENVIRONMENTS:
        errors.append(f"QIFU_ENV: must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
        env = "development"
    production = env == "production"

    secret_key = os.environ.get("QIFU_SECRET_KEY", "")
    if production and len(secret_key) < 32:
        errors.append("QIFU_SECRET_KEY: required in production, at least 32 characters")
    if not secret_key:
        secret_key = "qifu-insecure-development-key-do-not-use-in-production"

    data_dir = Path(os.environ.get("QIFU_DATA_DIR", str(BASE_DIR / "var"))).resolve()

    database_url = os.environ.get("QIFU_DATABASE_URL", "")
    if database_url:
        scheme = urlparse(database_url).scheme
        if scheme not in ("postgres", "postgresql", "pgsql", "sqlite"):
            errors.append(f"QIFU_DATABASE_URL: unsupported scheme {scheme!r} (use postgresql:// or sqlite:///)")
        elif production and scheme == "sqlite":
            errors.append(
                "QIFU_DATABASE_URL: SQLite is the embedded development database; production needs "
                "PostgreSQL (postgresql://user:pass@host:5432/db)"
            )
    elif production:
        errors.append("QIFU_DATABASE_URL: required in production (postgresql://user:pass@host:5432/db)")

    redis_url = os.environ.get("QIFU_REDIS_URL", "")
    if redis_url and urlparse(redis_url).scheme not in ("redis", "rediss", "unix"):
        errors.append("QIFU_REDIS_URL: must start with redis://, rediss:// or unix://")
    if production and not redis_url:
        errors.append("QIFU_REDIS_URL: required in production (redis://host:6379/0)")

    field_key = os.environ.get("QIFU_FIELD_KEY", "").strip()
    if field_key:
        try:
            parse_field_keys(field_key)
        except ValueError as exc:
            errors.append(f"QIFU_FIELD_KEY: {exc}")
    elif production:
        errors.append(
            "QIFU_FIELD_KEY: required in production (a Fernet key: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        )

    log_format = os.environ.get("QIFU_LOG_FORMAT", "json" if production else "text")
    if log_format not in ("json", "text"):
        errors.append(f"QIFU_LOG_FORMAT: must be json or text, got {log_format!r}")
    log_level = os.environ.get("QIFU_LOG_LEVEL", "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        errors.append(f"QIFU_LOG_LEVEL: must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")

    allowed_hosts = _list("QIFU_ALLOWED_HOSTS", [] if production else ["*"])
    if production and not allowed_hosts:
        errors.append("QIFU_ALLOWED_HOSTS: required in production (comma-separated host names)")

    config = Config(
        env=env,
        debug=_bool("QIFU_DEBUG", False, errors),
        secret_key=secret_key,
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        allowed_hosts=allowed_hosts,
        csrf_trusted_origins=_list("QIFU_CSRF_TRUSTED_ORIGINS", []),
        max_body_bytes=_int("QIFU_MAX_BODY_BYTES", 2 * 1024 * 1024, errors, minimum=1024),
        max_upload_bytes=_int("QIFU_MAX_UPLOAD_BYTES", 10 * 1024 * 1024, errors, minimum=1024),
        field_key=field_key,
        log_format=log_format,
        log_level=log_level,
        default_tenant=os.environ.get("QIFU_DEFAULT_TENANT", "demo"),
        huey_immediate=_bool("QIFU_HUEY_IMMEDIATE", False, errors),
        audit_retention_days=_int("QIFU_AUDIT_RETENTION_DAYS", 365, errors, minimum=180),
        export_max_rows=_int("QIFU_EXPORT_MAX_ROWS", 50_000, errors, minimum=1),
        trusted_proxy_hops=_int("QIFU_TRUSTED_PROXY_HOPS", 0, errors, minimum=0),
        metrics_allow=_networks("QIFU_METRICS_ALLOW", METRICS_ALLOW_DEFAULT, errors),
        metrics_token=os.environ.get("QIFU_METRICS_TOKEN", "").strip(),
        errors=errors,
    )
    if config.metrics_token and len(config.metrics_token) < 24:
        errors.append("QIFU_METRICS_TOKEN: at least 24 characters when set (a random bearer token)")
    if production and config.debug:
        errors.append("QIFU_DEBUG: must be false in production")
    if errors:
        raise ImproperlyConfigured("Qifu configuration is invalid:\n" + "\n".join(f"  {e}" for e in errors))
    return config
