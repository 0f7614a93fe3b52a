"""C3: the router's refusal for a missing permission code is an audit entry (outcome denied) —
for signed-in users only, and collapsed per user and operation so a script cannot flood the chain."""

from __future__ import annotations

from django.core.cache import cache

from qifu.core import audit
from qifu.core.audit_models import AuditEntry


def _denied(user=None):
    qs = AuditEntry.objects.filter(action=audit.PERMISSION_DENIED).order_by("id")
    return list(qs.filter(actor=user) if user is not None else qs)


def _window_over(cast, user, operation):
    """As if the collapse window had passed: its counters go, the collapsed count stays."""
    per_operation, per_user, _ = audit.denied_keys(cast.tenant.id, user.id, operation)
    cache.delete_many([per_operation, per_user])


def test_a_refused_permission_is_logged_as_denied_with_who_where_and_what(cast, api):
    user = cast.no_role_user
    response = api(user).get("access/roles", HTTP_X_REQUEST_ID="req-denied-1", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 403
    [entry] = _denied(user)
    assert entry.outcome == AuditEntry.Outcome.DENIED
    assert entry.tenant_id == cast.tenant.id
    assert entry.organisation_id == cast.root.id
    assert entry.actor_label == user.name
    assert entry.object_repr == "GET /api/v1/access/roles"
    assert entry.changes["permission"] == "access.role.view"
    assert entry.changes["operation"] == "GET /api/v1/access/roles"
    assert entry.changes["reason"].startswith("缺少权限「")
    assert entry.ip == "10.1.2.3"
    assert entry.request_id == "req-denied-1"
    assert audit.check_chain().broken is None


def test_the_route_names_the_operation_not_the_id(cast, api):
    api(cast.no_role_user).get(f"access/roles/{cast.roles['auditor'].id}")
    [entry] = _denied(cast.no_role_user)
    assert entry.changes["operation"] == "GET /api/v1/access/roles/{role_id}"


def test_anonymous_and_permitted_calls_are_not_logged(cast, api):
    assert api().get("access/roles").status_code == 401
    assert api(cast.tenant_admin).get("access/roles").status_code == 200
    assert _denied() == []


def test_repeats_collapse_into_one_entry_per_user_and_operation_and_are_counted(cast, api):
    client = api(cast.no_role_user)
    for _ in range(5):
        assert client.get("access/roles").status_code == 403
    assert client.get("access/users").status_code == 403  # another operation: its own entry
    assert api(cast.staff_a).get("access/roles").status_code == 403  # another user: their own entry
    rows = _denied()
    assert [(e.actor_id, e.changes["operation"], e.changes["collapsed"]) for e in rows] == [
        (cast.no_role_user.id, "GET /api/v1/access/roles", 0),
        (cast.no_role_user.id, "GET /api/v1/access/users", 0),
        (cast.staff_a.id, "GET /api/v1/access/roles", 0),
    ]
    # The window is over: the next refusal is logged and tells how many were collapsed meanwhile.
    _window_over(cast, cast.no_role_user, "GET /api/v1/access/roles")
    assert client.get("access/roles").status_code == 403
    latest = _denied(cast.no_role_user)[-1]
    assert (latest.changes["operation"], latest.changes["collapsed"]) == ("GET /api/v1/access/roles", 4)


def test_a_user_walking_many_operations_is_capped_per_window(cast, api, monkeypatch):
    monkeypatch.setattr(audit, "DENIED_PER_USER", 2)
    client = api(cast.no_role_user)
    for path in ("access/roles", "access/users", "access/profiles", "access/audit/operations"):
        assert client.get(path).status_code == 403
    assert [e.changes["operation"] for e in _denied()] == ["GET /api/v1/access/roles", "GET /api/v1/access/users"]
