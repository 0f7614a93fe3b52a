"""A signed-in user of another tenant calling the API on this tenant's site is refused (403
``tenancy.forbidden``) and the attempt is logged in the targeted tenant's audit log — collapsed per
user and operation like a missing permission, so it cannot flood the hash-chained log."""

from __future__ import annotations

from django.core.cache import cache

from qifu.core import audit
from qifu.core.audit_models import AuditEntry


def _refused():
    return list(AuditEntry.objects.filter(action=audit.TENANCY_DENIED).order_by("id"))


def _window_over(tenant, user, operation):
    per_operation, per_user, _ = audit.denied_keys(tenant.id, user.id, operation)
    cache.delete_many([per_operation, per_user])


def test_another_tenants_user_on_this_site_is_logged_in_this_tenants_log(cast, api):
    before = AuditEntry.objects.count()
    client = api(cast.outsider, host="alpha.test")
    response = client.get("access/enterprises", HTTP_X_REQUEST_ID="req-tenancy-1", REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 403 and response.json()["code"] == "tenancy.forbidden"
    [entry] = _refused()
    assert AuditEntry.objects.count() == before + 1
    assert entry.tenant_id == cast.tenant.id  # the targeted tenant, not the caller's
    assert entry.outcome == AuditEntry.Outcome.DENIED
    # No reference into the other tenant's rows: the account is named in the changes.
    assert entry.actor_id is None and entry.organisation_id is None
    assert entry.changes["account_id"] == cast.outsider.id
    assert entry.changes["account_tenant"] == cast.other_tenant.code
    assert entry.changes["operation"] == entry.object_repr == "GET /api/v1/access/enterprises"
    assert entry.ip == "10.9.8.7" and entry.request_id == "req-tenancy-1"
    assert audit.check_chain().broken is None


def test_on_their_own_site_nothing_is_logged(cast, api):
    assert api(cast.outsider, host="beta.test").get("access/enterprises").status_code == 200
    assert api(None, host="alpha.test").get("access/enterprises").status_code == 401
    assert _refused() == []


def test_repeats_collapse_per_user_and_operation_and_are_counted(cast, api):
    client = api(cast.outsider, host="alpha.test")
    for _ in range(5):
        assert client.get("access/enterprises").status_code == 403
    assert client.post("access/roles", {"code": "x", "name": "x"}).status_code == 403  # another operation
    assert api(cast.staff_a, host="beta.test").get("access/enterprises").status_code == 403  # beta's own entry
    rows = [(e.tenant_id, e.changes["account_id"], e.changes["operation"], e.changes["collapsed"]) for e in _refused()]
    assert rows == [
        (cast.tenant.id, cast.outsider.id, "GET /api/v1/access/enterprises", 0),
        (cast.tenant.id, cast.outsider.id, "POST /api/v1/access/roles", 0),
        (cast.other_tenant.id, cast.staff_a.id, "GET /api/v1/access/enterprises", 0),
    ]
    _window_over(cast.tenant, cast.outsider, "GET /api/v1/access/enterprises")
    assert client.get("access/enterprises").status_code == 403
    latest = _refused()[-1]
    assert (latest.changes["operation"], latest.changes["collapsed"]) == ("GET /api/v1/access/enterprises", 4)
    assert audit.check_chain().broken is None


def test_a_script_walking_many_operations_is_capped_per_window(cast, api, monkeypatch):
    monkeypatch.setattr(audit, "DENIED_PER_USER", 2)
    client = api(cast.outsider, host="alpha.test")
    for path in ("access/roles", "access/users", "access/profiles", "access/enterprises"):
        assert client.get(path).status_code == 403
    assert [e.changes["operation"] for e in _refused()] == ["GET /api/v1/access/roles", "GET /api/v1/access/users"]
