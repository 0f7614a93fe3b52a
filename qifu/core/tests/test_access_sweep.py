"""The generic sweep: every operation, called as anonymous, as a signed-in user
without the permission, and as another tenant's admin, must refuse (401 / 403 /
404) and leave the database exactly as it was."""

from __future__ import annotations

import pytest

from qifu.core.openapi import live_contract, operations
from qifu.core.permissions import AUTHENTICATED, PUBLIC
from qifu.core.testing import sweep


def _call(client, method, path, body):
    return getattr(client, method)(path, body)


@pytest.fixture
def contract():
    return live_contract()


def test_sweep_refuses_and_changes_nothing(cast, api, contract):
    anonymous = api(None)
    no_role = api(cast.no_role_user)
    outsider = api(cast.outsider)
    for client in (no_role, outsider):
        client.get("auth/me")  # first-request session bookkeeping happens before the snapshot
    before = sweep.database_fingerprint()
    failures = []
    for method, path, op in operations(contract):
        permission = op["x-permission"]
        url = sweep.fill_path(path, op.get("x-object"), cast.tenant)
        body = sweep.body_for(contract, op)
        label = f"{method.upper()} {path}"
        if permission != PUBLIC:
            status = _call(anonymous, method, url, body).status_code
            if status != 401:
                failures.append(f"{label} as anonymous: {status}, expected 401")
        if permission not in (PUBLIC, AUTHENTICATED):
            status = _call(no_role, method, url, body).status_code
            if status != 403:
                failures.append(f"{label} without permission: {status}, expected 403")
        if op.get("x-object") and permission != PUBLIC:
            response = _call(outsider, method, url, body)
            if response.status_code not in (403, 404):
                failures.append(f"{label} as another tenant: {response.status_code}, expected 404")
    after = sweep.database_fingerprint()
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k) and k != "sessions.Session"}
    assert not failures, "\n".join(failures)
    assert not changed, f"the sweep changed data: {changed}"


def test_sweep_covers_every_operation(contract):
    assert len(list(operations(contract))) >= 5
