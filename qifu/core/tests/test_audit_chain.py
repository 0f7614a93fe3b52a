"""The operation log: tamper evidence, the verify command, retention purge with a checkpoint,
masking, append-only guards, and the auditors' search and export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook

from qifu.core import audit, jobs, tenancy
from qifu.core.audit_models import AuditCheckpoint, AuditEntry


def _age(entry_ids, days):
    """Backdate entries and re-seal the chain, as if they had been written ``days`` ago."""
    prev = ""
    with connection.cursor() as cursor:
        for entry in AuditEntry.objects.order_by("id"):
            if entry.id in entry_ids:
                entry.at = timezone.now() - dt.timedelta(days=days)
            entry.prev_hash = prev
            entry.hash = entry.compute_hash()
            cursor.execute(
                "UPDATE core_auditentry SET at = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [entry.at, entry.prev_hash, entry.hash, entry.id],
            )
            prev = entry.hash
        cursor.execute("UPDATE core_auditchainhead SET last_hash = %s WHERE id = 1", [prev])


def test_command_passes_on_an_intact_chain(cast, capsys):
    call_command("verify_audit_chain")
    assert "完整" in capsys.readouterr().out


def test_command_names_the_row_edited_behind_the_applications_back(cast, capsys):
    victim = AuditEntry.objects.order_by("id")[3]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET object_repr = %s WHERE id = %s", ["篡改", victim.id])
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_audit_chain")
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert f"#{victim.id}" in err and "被修改" in err


def test_a_deleted_row_is_found_at_the_next_one(cast):
    rows = list(AuditEntry.objects.order_by("id")[:5])
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [rows[2].id])
    report = audit.check_chain()
    assert report.broken.id == rows[3].id


def test_deleting_the_newest_row_is_found(cast):
    newest = AuditEntry.objects.order_by("-id").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [newest.id])
    report = audit.check_chain()
    assert report.reason and report.broken is None


def test_the_log_is_append_only_through_the_orm(cast):
    entry = AuditEntry.objects.first()
    entry.action = "x"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def test_sensitive_values_are_masked_whatever_the_shape(in_tenant):
    entry = audit.record(
        "test.mask",
        changes={
            "password": "secret1",
            "legal_rep_id_number": {"before": None, "after": "11010519491231002X"},
            "phone": "13912345678",
            "name": "甲",
        },
    )
    assert entry.changes["password"] == "******"
    assert entry.changes["legal_rep_id_number"]["after"] == "******"
    assert entry.changes["phone"] == "139****5678"
    assert entry.changes["name"] == "甲"


def test_purge_keeps_the_chain_verifiable_and_is_itself_logged(cast):
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    old = set(ids[:5])
    _age(old, 400)
    assert audit.check_chain().broken is None
    removed = audit.purge(365)
    assert removed == 5
    assert not AuditEntry.objects.filter(id__in=old).exists()
    report = audit.check_chain()
    assert report.broken is None and not report.reason, report.reason
    checkpoint = AuditCheckpoint.objects.get()
    assert checkpoint.through_id == max(old)
    logged = AuditEntry.objects.filter(action="audit.purge").get()
    assert logged.changes["purged"] == 5 and logged.changes["through_id"] == max(old)


def test_purge_never_goes_below_180_days(cast):
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    _age(set(ids[:3]), 100)
    assert audit.purge(30) == 0
    assert AuditEntry.objects.filter(id__in=ids[:3]).count() == 3


def test_a_forged_checkpoint_is_detected(cast):
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    _age(set(ids[:4]), 400)
    audit.purge(365)
    # Someone deletes more old rows and moves the checkpoint forward to hide it.
    kept = list(AuditEntry.objects.order_by("id"))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [kept[0].id])
    AuditCheckpoint.objects.update(through_id=kept[0].id, through_hash=kept[0].hash)
    report = audit.check_chain()
    assert report.broken is not None


def test_purge_job_is_registered_with_a_schedule_and_runs(cast):
    job = jobs.REGISTRY["audit.purge"]
    assert job.schedule is not None
    _age(set(AuditEntry.objects.order_by("id").values_list("id", flat=True)[:2]), 500)
    output = jobs.run_now("audit.purge", cast.tenant)
    assert "purged 2" in output
    assert audit.check_chain().broken is None


def test_auditor_searches_filters_and_exports(cast, api, in_tenant):
    from qifu.access.services import assign_role

    assign_role(cast.no_role_user, cast.root, cast.roles["auditor"])
    client = api(cast.no_role_user)
    api(None).post("auth/login", {"username": "staff-a", "password": "wrong-password"})
    ops = client.get("access/audit/operations", {"action": "orgs.enterprise.create"})
    assert ops.status_code == 200
    assert ops.json()["total"] == 2
    assert all(row["action"] == "orgs.enterprise.create" for row in ops.json()["items"])
    # Only this tenant's entries: the other tenant's enterprise is not there.
    assert cast.other_enterprise.name not in {row["object_repr"] for row in ops.json()["items"]}
    logins = client.get("access/audit/logins", {"outcome": "failure"})
    assert logins.status_code == 200
    [failure] = logins.json()["items"]
    assert failure["identifier"] == "staff-a" and failure["reason"] == "bad_credentials"
    sheet = load_workbook(io.BytesIO(client.get("access/audit/logins/export").content)).active
    header = [c.value for c in sheet[1]]
    assert "原因" in header and sheet.max_row >= 2
    detail = client.get(f"access/audit/operations/{ops.json()['items'][0]['id']}")
    assert detail.status_code == 200


def test_other_tenants_entries_are_404(cast, api, in_tenant):
    from qifu.access.services import assign_role

    assign_role(cast.no_role_user, cast.root, cast.roles["auditor"])
    with tenancy.tenant_scope(cast.other_tenant):
        theirs = AuditEntry.objects.filter(tenant=cast.other_tenant).first()
    assert api(cast.no_role_user).get(f"access/audit/operations/{theirs.id}").status_code == 404


def test_staff_cannot_read_the_log(cast, api):
    assert api(cast.staff_a).get("access/audit/operations").status_code == 403


def test_deleting_a_user_leaves_the_chain_intact(cast, in_tenant):
    from qifu.accounts.models import User

    user = User.objects.create_user(username="temp-user", password="x-Passw0rd-1", tenant=cast.tenant)
    audit.record("test.by_user", actor=user)
    user.delete()
    assert audit.check_chain().broken is None
    entry = AuditEntry.objects.get(action="test.by_user")
    assert entry.actor_id is not None  # the log still names who acted
