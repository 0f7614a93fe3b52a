"""Fixtures every test can use: the named cast, tenant scope, API clients."""

from __future__ import annotations

import os

import pytest

from qifu.core import tenancy
from qifu.core.testing.cast import Cast, build_cast
from qifu.core.testing.client import ApiClient


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
