"""Shared helpers for benchmarks: a production-like environment on PostgreSQL + Redis."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PG_SERVER = os.environ.get("QIFU_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("QIFU_BENCH_REDIS", "redis://127.0.0.1:6379/8")


def reachable() -> str | None:
    """None when PostgreSQL and Redis answer, else why not."""
    try:
        import psycopg

        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3).close()
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_SERVER}: {exc}"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis not reachable at {REDIS_URL}: {exc}"
    return None


def ensure_database(name: str, *, fresh: bool = False) -> str:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


def production_env(database: str, data_dir: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        QIFU_ENV="production",
        QIFU_SECRET_KEY="bench-secret-key-not-for-real-use-0123456789",
        QIFU_DATABASE_URL=database,
        QIFU_REDIS_URL=REDIS_URL,
        QIFU_ALLOWED_HOSTS="127.0.0.1,localhost",
        QIFU_FIELD_KEY=Fernet.generate_key().decode(),
        QIFU_DATA_DIR=data_dir,
        QIFU_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="qifu.settings",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PY, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True, stdout=sys.stderr)
