"""Fixtures every test can use: the named cast, tenant scope, API clients."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from qifu.core import tenancy
from qifu.core.testing.cast import Cast, build_cast


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Counters, throttles and cached tenants must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear() if not hasattr(cache, "delete_pattern") else cache.delete_pattern("*")
    yield


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


@pytest.fixture
def in_tenant(cast):
    """Run the test body inside the cast tenant's scope (for calling services directly)."""
    with tenancy.tenant_scope(cast.tenant):
        yield cast.tenant


class ApiClient(Client):
    """A Django test client that speaks JSON to /api/v1/ as a given user."""

    def __init__(self, user=None, host: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.host = host
        if user is not None:
            self.force_login(user)

    def _call(self, method, path, data=None, **extra):
        url = path if path.startswith("/") else "/api/v1/" + path
        if self.host:
            extra.setdefault("HTTP_HOST", self.host)
        fn = getattr(super(), method)
        if method in ("get", "delete") and not isinstance(data, (str, bytes)):
            return fn(url, data, **extra)
        return fn(url, data, content_type=extra.pop("content_type", "application/json"), **extra)

    def get(self, path, data=None, **extra):
        return self._call("get", path, data, **extra)

    def post(self, path, data=None, **extra):
        return self._call("post", path, data, **extra)

    def put(self, path, data=None, **extra):
        return self._call("put", path, data, **extra)

    def patch(self, path, data=None, **extra):
        return self._call("patch", path, data, **extra)

    def delete(self, path, data=None, **extra):
        return self._call("delete", path, data, **extra)


@pytest.fixture
def api(cast):
    """``api(user)`` → a JSON client logged in as that cast member (None for anonymous)."""

    def make(user=None, **kwargs) -> ApiClient:
        return ApiClient(user, **kwargs)

    return make


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="PostgreSQL not configured (set QIFU_TEST_DATABASE_URL)")
    skip_redis = pytest.mark.skip(reason="Redis not configured (set QIFU_TEST_REDIS_URL)")
    on_pg = os.environ.get("QIFU_TEST_DATABASE_URL", "").startswith("postgres")
    for item in items:
        if "postgres" in item.keywords and not on_pg:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not os.environ.get("QIFU_TEST_REDIS_URL"):
            item.add_marker(skip_redis)
