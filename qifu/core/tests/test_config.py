import pytest
from django.core.exceptions import ImproperlyConfigured

from qifu import config

PROD = {
    "QIFU_ENV": "production",
    "QIFU_SECRET_KEY": "s" * 40,
    "QIFU_DATABASE_URL": "postgresql://u:p@db:5432/qifu",
    "QIFU_REDIS_URL": "redis://cache:6379/0",
    "QIFU_ALLOWED_HOSTS": "qifu.example.gov.cn",
    "QIFU_FIELD_KEY": "Zp4kQ0x1vB3c8sS2Yh6nJt9uW5eR7aL1mD0gK3fH2iE=",
}


def _env(monkeypatch, values):
    for key in [
        *PROD,
        "QIFU_MAX_BODY_BYTES",
        "QIFU_DEBUG",
        "QIFU_LOG_FORMAT",
        "QIFU_METRICS_ALLOW",
        "QIFU_METRICS_TOKEN",
    ]:
        monkeypatch.delenv(key, raising=False)
    for key, value in values.items():
        monkeypatch.setenv(key, value)


def test_complete_production_configuration_loads(monkeypatch):
    _env(monkeypatch, PROD)
    loaded = config.load()
    assert loaded.env == "production" and loaded.allowed_hosts == ["qifu.example.gov.cn"]
    assert loaded.log_format == "json"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    _env(monkeypatch, {**PROD, "QIFU_SECRET_KEY": ""})
    with pytest.raises(ImproperlyConfigured) as err:
        config.load()
    assert "QIFU_SECRET_KEY: required in production" in str(err.value)


def test_every_problem_is_reported_on_its_own_line(monkeypatch):
    _env(monkeypatch, {"QIFU_ENV": "production", "QIFU_MAX_BODY_BYTES": "lots", "QIFU_DEBUG": "maybe"})
    with pytest.raises(ImproperlyConfigured) as err:
        config.load()
    lines = [line.strip() for line in str(err.value).splitlines()[1:]]
    names = {line.split(":")[0] for line in lines}
    assert {
        "QIFU_SECRET_KEY",
        "QIFU_DATABASE_URL",
        "QIFU_REDIS_URL",
        "QIFU_ALLOWED_HOSTS",
        "QIFU_FIELD_KEY",
        "QIFU_MAX_BODY_BYTES",
        "QIFU_DEBUG",
    } <= names


def test_bad_database_scheme(monkeypatch):
    _env(monkeypatch, {"QIFU_DATABASE_URL": "mysql://x/y"})
    with pytest.raises(ImproperlyConfigured, match="QIFU_DATABASE_URL: unsupported scheme"):
        config.load()


def test_production_refuses_sqlite(monkeypatch):
    _env(monkeypatch, {**PROD, "QIFU_DATABASE_URL": "sqlite:////srv/qifu/qifu.sqlite3"})
    with pytest.raises(ImproperlyConfigured) as err:
        config.load()
    (line,) = [ln.strip() for ln in str(err.value).splitlines()[1:]]
    assert line.startswith("QIFU_DATABASE_URL: SQLite is the embedded development database")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * 44, "QIFU_FIELD_KEY: the value is not a Fernet key"),
        ("too-short", "QIFU_FIELD_KEY: the value is not a Fernet key"),
        (PROD["QIFU_FIELD_KEY"] + ",nope", "QIFU_FIELD_KEY: key 2 of 2 is not a Fernet key"),
    ],
)
def test_field_key_format_is_checked_at_start_up(monkeypatch, value, message):
    _env(monkeypatch, {**PROD, "QIFU_FIELD_KEY": value})
    with pytest.raises(ImproperlyConfigured) as err:
        config.load()
    (line,) = [ln.strip() for ln in str(err.value).splitlines()[1:]]
    assert line.startswith(message)


def test_several_field_keys_for_rotation_load(monkeypatch):
    _env(monkeypatch, {**PROD, "QIFU_FIELD_KEY": f" {PROD['QIFU_FIELD_KEY']} , {PROD['QIFU_FIELD_KEY']}"})
    assert config.load().field_key


def test_metrics_access_settings_are_checked(monkeypatch):
    _env(monkeypatch, {"QIFU_METRICS_ALLOW": "10.0.0.0/8,not-a-network", "QIFU_METRICS_TOKEN": "short"})
    with pytest.raises(ImproperlyConfigured) as err:
        config.load()
    lines = [ln.strip() for ln in str(err.value).splitlines()[1:]]
    assert lines == [
        "QIFU_METRICS_ALLOW: 'not-a-network' is not an IP address or network (e.g. 10.0.0.0/8)",
        "QIFU_METRICS_TOKEN: at least 24 characters when set (a random bearer token)",
    ]
    _env(monkeypatch, {})
    assert config.load().metrics_allow == ["127.0.0.0/8", "::1/128"]


def test_development_needs_nothing(monkeypatch):
    _env(monkeypatch, {})
    assert config.load().env == "development"
