"""Django settings. Everything comes from the environment through ``qifu.config``."""

from __future__ import annotations

import os

import dj_database_url

from qifu import config as _config

CONFIG = _config.load()
BASE_DIR = _config.BASE_DIR
DATA_DIR = CONFIG.data_dir
DATA_DIR.mkdir(parents=True, exist_ok=True)
(DATA_DIR / "static").mkdir(exist_ok=True)

QIFU_ENV = CONFIG.env
SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = CONFIG.allowed_hosts
CSRF_TRUSTED_ORIGINS = CONFIG.csrf_trusted_origins

# One app per capability. The order matters only for migrations' dependencies.
QIFU_APPS = [
    "qifu.core",
    "qifu.accounts",
    "qifu.orgs",
    "qifu.access",
    "qifu.messaging",
    "qifu.content",
    "qifu.policies",
    "qifu.marketplace",
    "qifu.finance",
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "ninja",
    *QIFU_APPS,
]

MIDDLEWARE = [
    "qifu.core.middleware.RequestIdMiddleware",
    "qifu.core.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "qifu.core.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qifu.accounts.middleware.SessionSecurityMiddleware",
    "qifu.core.middleware.TenantMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "qifu.urls"
WSGI_APPLICATION = "qifu.wsgi.application"
ASGI_APPLICATION = "qifu.asgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

# --- Database -------------------------------------------------------------
if CONFIG.env == "test":
    _db_url = os.environ.get("QIFU_TEST_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'test.sqlite3'}"
else:
    _db_url = CONFIG.database_url or f"sqlite:///{DATA_DIR / 'qifu.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(_db_url, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers proceed while the task worker writes; the timeout rides out short write locks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions, tasks ------------------------------------------------
if CONFIG.env == "test":
    _redis_url = os.environ.get("QIFU_TEST_REDIS_URL", "")
else:
    _redis_url = CONFIG.redis_url
QIFU_REDIS_URL = _redis_url

if _redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": _redis_url,
            # Each pytest-xdist worker gets its own keys so clearing between tests is private.
            "KEY_PREFIX": f"qifu-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}" if CONFIG.env == "test" else "qifu",
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "qifu"}}

# Sessions are written through to the database so a cache flush logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_NAME = "qifu_session"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 3600  # absolute ceiling; idle timeout is enforced by accounts
CSRF_COOKIE_NAME = "qifu_csrftoken"

if CONFIG.env == "test":
    HUEY = {"huey_class": "huey.MemoryHuey", "name": "qifu", "immediate": True}
elif _redis_url:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "qifu",
        "url": _redis_url,
        "immediate": CONFIG.huey_immediate,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "qifu",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": CONFIG.huey_immediate,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# --- Security ----------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if CONFIG.env == "test":
    # Argon2 is deliberately slow; tests create hundreds of users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
QIFU_FIELD_KEY = CONFIG.field_key
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if CONFIG.env == "production":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000

DATA_UPLOAD_MAX_MEMORY_SIZE = CONFIG.max_body_bytes
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
QIFU_MAX_BODY_BYTES = CONFIG.max_body_bytes
QIFU_MAX_UPLOAD_BYTES = CONFIG.max_upload_bytes
QIFU_DEFAULT_TENANT = CONFIG.default_tenant
QIFU_AUDIT_RETENTION_DAYS = CONFIG.audit_retention_days
QIFU_EXPORT_MAX_ROWS = CONFIG.export_max_rows
# Reverse proxies in front of the web process that append to X-Forwarded-For (0 = none: REMOTE_ADDR).
QIFU_TRUSTED_PROXY_HOPS = CONFIG.trusted_proxy_hops
QIFU_METRICS_ALLOW = CONFIG.metrics_allow
QIFU_METRICS_TOKEN = CONFIG.metrics_token

# --- i18n ------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.exists() else []
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

# --- Logging -----------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "qifu.core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "qifu.core.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": CONFIG.log_format,
        }
    },
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "huey": {"level": "WARNING"},
        "jieba": {"level": "WARNING"},
    },
}
