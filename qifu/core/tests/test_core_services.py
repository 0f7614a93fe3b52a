"""Audit chain, uploads, jobs and the demo seed."""

import io

import pytest
from django.db import connection

from qifu.core import audit, files, jobs, tenancy
from qifu.core.audit_models import AuditEntry
from qifu.core.errors import ApiError
from qifu.core.jobs_models import JobRun


def test_audit_chain_verifies_and_detects_tampering(cast):
    checked, broken = audit.verify_chain()
    assert broken is None and checked == AuditEntry.objects.count() > 0
    victim = AuditEntry.objects.order_by("id")[3]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action = %s WHERE id = %s", ["tampered", victim.id])
    checked, broken = audit.verify_chain()
    assert broken is not None and broken.id == victim.id and checked == 3


def test_audit_diff_masks_sensitive_values():
    changes = audit.diff({"phone": "13900001111", "name": "甲"}, {"phone": "13900002222", "name": "乙"})
    assert changes["phone"] == {"before": "139****1111", "after": "139****2222"}
    assert changes["name"] == {"before": "甲", "after": "乙"}


def _upload(data: bytes, name: str):
    handle = io.BytesIO(data)
    handle.name = name
    handle.size = len(data)
    return handle


def test_upload_type_is_sniffed_not_trusted(in_tenant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    stored = files.save_upload(_upload(b"%PDF-1.7 body", "licence.png"), purpose="licence")
    assert stored.content_type == "application/pdf" and stored.storage_name.endswith(".pdf")
    assert "licence" not in stored.storage_name
    with pytest.raises(ApiError) as err:
        files.save_upload(_upload(b"<html><script>", "licence.pdf"), purpose="licence")
    assert err.value.status == 415 and "PDF" in err.value.message


def test_upload_size_is_capped(in_tenant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ApiError) as err:
        files.save_upload(_upload(b"%PDF-" + b"0" * 4096, "big.pdf"), purpose="licence", max_bytes=1024)
    assert err.value.status == 413


def test_jobs_record_runs_and_refuse_unknown_names(cast):
    if "tests.double" not in jobs.REGISTRY:

        @jobs.register("tests.double", retries=0)
        def double(value: int) -> int:
            if value < 0:
                raise ValueError("负数")
            from qifu.orgs.models import Enterprise

            return Enterprise.objects.count() * value  # proves the tenant scope is open

    assert jobs.run_now("tests.double", cast.tenant, value=2) == 4
    run = JobRun.objects.get(job="tests.double")
    assert run.status == "success" and run.output == "4" and run.tenant_id == cast.tenant.id
    with pytest.raises(ValueError):
        jobs.run_now("tests.double", cast.tenant, value=-1)
    failed = JobRun.objects.filter(job="tests.double").order_by("-id").first()
    assert failed.status == "failed" and "负数" in failed.error
    with pytest.raises(KeyError):
        jobs.enqueue("os.system", cast.tenant, command="rm -rf /")
    assert tenancy.scope_state() == "none"


def test_demo_seed_is_deterministic_and_idempotent(db):
    from qifu.core.seeding import seed_all
    from qifu.orgs.codes import credit_code_error
    from qifu.orgs.models import Enterprise

    seed_all(seed=7, scale=0.05)
    with tenancy.all_tenants():
        first = list(Enterprise.objects.order_by("id").values_list("name", "credit_code"))
    seed_all(seed=7, scale=0.05)
    with tenancy.all_tenants():
        second = list(Enterprise.objects.order_by("id").values_list("name", "credit_code"))
    assert first == second and len(first) >= 10
    assert all(credit_code_error(code) is None for _, code in first)
