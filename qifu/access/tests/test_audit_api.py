"""The auditors' API: purge entries open like any listed entry, the chain check stays within the
tenant (resuming from a checkpoint), the log obeys the organisation data scope, refusals show as denied."""

from __future__ import annotations

import pytest
from django.db import connection

from qifu.access.models import Role
from qifu.access.services import assign_role
from qifu.core import audit, requestinfo, tenancy
from qifu.core.audit_models import AuditEntry


@pytest.fixture
def auditor(cast, in_tenant):
    assign_role(cast.no_role_user, cast.root, cast.roles["auditor"])
    return cast.no_role_user


def _tamper(entry_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET object_repr = %s WHERE id = %s", ["篡改", entry_id])


def test_a_listed_purge_entry_opens(cast, api, auditor):
    with tenancy.all_tenants():
        purge = audit.record("audit.purge", object_type="core.auditentry", object_repr="清理 0 条日志")
    assert purge.tenant_id is None
    client = api(auditor)
    listed = client.get("access/audit/operations", {"action": "audit.purge"}).json()["items"]
    assert [row["id"] for row in listed] == [purge.id]
    detail = client.get(f"access/audit/operations/{purge.id}")
    assert detail.status_code == 200 and detail.json()["action"] == "audit.purge"


def test_the_chain_check_counts_and_names_only_this_tenants_entries(cast, api, auditor):
    ours = AuditEntry.objects.filter(tenant=cast.tenant).count()
    with tenancy.tenant_scope(cast.other_tenant):
        theirs = AuditEntry.objects.filter(tenant=cast.other_tenant).order_by("id").first()
    client = api(auditor)
    body = client.get("access/audit/chain").json()
    assert body["scope"] == "tenant" and body["intact"] is True
    assert body["checked"] == ours == body["newly_checked"]
    # The next check resumes where this one stopped.
    again = client.get("access/audit/chain").json()
    assert (again["checked"], again["newly_checked"], again["intact"]) == (ours, 0, True)
    # Another tenant's tampered row is not this tenant's finding, nor shown to it.
    _tamper(theirs.id)
    assert client.get("access/audit/chain", {"full": True}).json()["intact"] is True
    platform = api(cast.platform_admin, host="alpha.test").get("access/audit/chain").json()
    assert platform["scope"] == "platform" and platform["intact"] is False and platform["broken_id"] == theirs.id


def test_the_chain_check_finds_this_tenants_edited_row(cast, api, auditor):
    client = api(auditor)
    assert client.get("access/audit/chain").json()["intact"] is True
    victim = AuditEntry.objects.filter(tenant=cast.tenant).order_by("id")[2]
    _tamper(victim.id)
    # Already verified: the resumed check does not walk it again, the full one does.
    assert client.get("access/audit/chain").json()["intact"] is True
    full = client.get("access/audit/chain", {"full": True}).json()
    assert full["intact"] is False and full["broken_id"] == victim.id and "被修改" in full["reason"]


def test_editing_the_checkpoint_entry_is_noticed(cast, api, auditor):
    client = api(auditor)
    client.get("access/audit/chain")
    newest = AuditEntry.objects.filter(tenant=cast.tenant).order_by("-id").first()
    _tamper(newest.id)
    body = client.get("access/audit/chain").json()
    assert body["intact"] is False and body["broken_id"] == newest.id


def test_the_log_obeys_the_organisation_scope(cast, api, in_tenant):
    town_auditor = Role.objects.create(
        code="town_auditor", name="街道审计", permissions=["audit.log.view"], data_scope="org_and_below"
    )
    assign_role(cast.staff_a, cast.town_a, town_auditor)
    with requestinfo.acting(cast.tenant_admin, organisation_id=cast.town_a.id):
        in_a = audit.record("test.in_a", object_repr="A 街道的操作")
    with requestinfo.acting(cast.tenant_admin, organisation_id=cast.town_b.id):
        in_b = audit.record("test.in_b", object_repr="B 镇的操作")
    client = api(cast.staff_a)
    ids = {row["id"] for row in client.get("access/audit/operations", {"action": "test."}).json()["items"]}
    assert ids == {in_a.id}
    assert client.get(f"access/audit/operations/{in_b.id}").status_code == 404
    assert client.get(f"access/audit/operations/{in_a.id}").status_code == 200


def test_refusals_are_listed_as_denied(cast, api, auditor, in_tenant):
    manager = Role.objects.create(
        code="town_manager", name="镇街管理员", permissions=["access.role.view", "access.role.manage"], data_scope="org"
    )
    assign_role(cast.staff_a, cast.town_a, manager)
    refused = api(cast.staff_a).post(
        "access/roles", {"code": "sneaky", "name": "越权", "permissions": ["audit.log.view"]}
    )
    assert refused.status_code == 403
    rows = api(auditor).get("access/audit/operations", {"outcome": "denied"}).json()["items"]
    assert [(r["action"], r["actor_id"]) for r in rows] == [("access.role.create", cast.staff_a.id)]
    assert "查询操作日志" in rows[0]["changes"]["reason"]


# -- the platform admin's whole-chain check resumes too ---------------------------------------------
def _platform(cast, api):
    client = api(cast.platform_admin, host="alpha.test")
    return lambda **params: client.get("access/audit/chain", params).json()


def _report(body):
    return body["scope"], body["intact"], body["checked"], body["newly_checked"]


def test_the_platform_check_resumes_after_its_checkpoint(cast, api, in_tenant):
    check = _platform(cast, api)
    total = AuditEntry.objects.count()
    assert _report(check()) == ("platform", True, total, total)
    assert _report(check()) == ("platform", True, total, 0)  # nothing new: nothing walked
    audit.record("test.platform_resume", cast.town_a)
    assert _report(check()) == ("platform", True, total + 1, 1)
    assert _report(check(full=True)) == ("platform", True, total + 1, total + 1)


def test_the_platform_check_finds_an_old_edit_only_in_full(cast, api, in_tenant):
    check = _platform(cast, api)
    check()
    victim = AuditEntry.objects.order_by("id")[2]
    _tamper(victim.id)
    assert check()["intact"] is True  # verified before the edit, not walked again
    full = check(full=True)
    assert full["intact"] is False and full["broken_id"] == victim.id and "被修改" in full["reason"]


def test_the_platform_check_notices_its_checkpoint_entry_edited_or_removed(cast, api, in_tenant):
    check = _platform(cast, api)
    check()
    newest = AuditEntry.objects.order_by("-id").first()
    _tamper(newest.id)
    body = check()
    assert body["intact"] is False and body["broken_id"] == newest.id and body["newly_checked"] == 0
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [newest.id])
    body = check()
    assert body["intact"] is False and "删除" in body["reason"]


def test_the_platform_check_finds_what_changed_after_its_checkpoint(cast, api, in_tenant):
    check = _platform(cast, api)
    check()
    first, second = (audit.record("test.after_checkpoint", cast.town_a) for _ in range(2))
    audit.record("test.after_checkpoint", cast.town_a)
    with connection.cursor() as cursor:  # an entry removed right after the checkpoint
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [first.id])
    body = check()
    assert body["intact"] is False and body["broken_id"] == second.id and body["newly_checked"] == 0
    # A failed check records no progress: the finding stays until the chain is repaired.
    assert check()["broken_id"] == second.id
    with connection.cursor() as cursor:  # now only the newest entries are gone
        cursor.execute("DELETE FROM core_auditentry WHERE id > %s", [first.id])
    body = check()
    assert body["intact"] is False and "链尾" in body["reason"]


def test_the_platform_check_resumes_after_a_purge(cast, api, in_tenant):
    from qifu.core.tests.test_audit_chain import _age

    check = _platform(cast, api)
    check()
    _age(set(AuditEntry.objects.values_list("id", flat=True)), 400)  # everything verified becomes old
    audit.record("test.kept", cast.town_a)
    assert audit.purge(365) > 0
    body = check()  # resumes after the purge checkpoint: the kept entry and the purge's own entry
    assert _report(body)[:2] == ("platform", True) and body["newly_checked"] == 2
