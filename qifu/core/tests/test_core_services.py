"""Audit chain, uploads, jobs and the demo seed."""

import datetime as dt
import io
import itertools
import secrets

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


def _seeded_dump() -> dict[str, list[tuple]]:
    """Every row of every capability table, column by column."""
    from django.apps import apps as django_apps
    from django.conf import settings as django_settings

    labels = {a.rsplit(".", 1)[-1] for a in django_settings.QIFU_APPS}
    dump = {}
    with tenancy.all_tenants():
        for model in django_apps.get_models(include_auto_created=True):
            if model._meta.app_label not in labels or model._meta.proxy:
                continue
            skip = SEED_RANDOM.get(model._meta.label, ())
            names = [f.attname for f in model._meta.concrete_fields if f.name not in skip]
            dump[model._meta.label] = list(model._base_manager.order_by("pk").values_list(*names))
    return dump


# Columns random by design, not by accident: salted password hashes, generated storage names and
# measured durations.
SEED_RANDOM = {
    "accounts.User": ("password",),
    "core.StoredFile": ("storage_name",),
    "messaging.PushAttempt": ("duration_ms",),
}
SEED_CLOCK = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)


def _seed_into_fresh_database(seed: int, monkeypatch, *, keep: bool = False) -> dict[str, list[tuple]]:
    """Seed and dump from the same starting point every time: the seed is rolled back (unless ``keep``), the id
    sequences reset (PostgreSQL's do not roll back), the clock stopped, per-process counters fresh,
    and order numbers — drawn from ``secrets`` on purpose, outside the seed's reach — numbered in
    sequence. Anything else that differs between two runs is a seeder not using ``ctx.rng``."""
    from django.apps import apps as django_apps
    from django.core.cache import cache
    from django.core.management.color import no_style
    from django.db import transaction
    from django.utils import timezone

    from qifu.accounts.models import User
    from qifu.core.seeding import seed_all
    from qifu.messaging.channels import console

    counter = itertools.count(1)
    monkeypatch.setattr(timezone, "now", lambda: SEED_CLOCK)
    monkeypatch.setattr(User._meta.get_field("date_joined"), "_get_default", lambda: SEED_CLOCK)
    monkeypatch.setattr(secrets, "token_hex", lambda n=32: f"{next(counter):0{2 * n}x}"[-2 * n :])
    # A fresh process: the console channel numbers what it "sends" from 1.
    monkeypatch.setattr(console, "_ids", itertools.count(1))
    monkeypatch.setattr(console, "_references", {})
    cache.clear()
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), django_apps.get_models(include_auto_created=True)):
            cursor.execute(sql)
    with transaction.atomic():
        seed_all(seed=seed, scale=0.05)
        dump = _seeded_dump()
        transaction.set_rollback(not keep)
    return dump


def test_demo_seed_is_deterministic_and_idempotent(db, settings, tmp_path, monkeypatch):
    from qifu.core.seeding import seed_all
    from qifu.orgs.codes import credit_code_error
    from qifu.orgs.models import Enterprise

    settings.MEDIA_ROOT = tmp_path
    first = _seed_into_fresh_database(7, monkeypatch)
    second = _seed_into_fresh_database(7, monkeypatch, keep=True)
    differing = [label for label in first if first[label] != second[label]]
    assert not differing, f"two seeds with the same number into an empty database differ in {differing}"
    assert sum(len(rows) for rows in first.values()) > 500
    seed_all(seed=7, scale=0.05)  # again, on top: nothing is added twice
    again = _seeded_dump()
    assert again["orgs.Enterprise"] == second["orgs.Enterprise"] and again["accounts.User"] == second["accounts.User"]
    with tenancy.all_tenants():
        codes = list(Enterprise.objects.values_list("credit_code", flat=True))
    assert len(codes) >= 10 and all(credit_code_error(code) is None for code in codes)


def test_seed_demo_refuses_production_without_the_flag(db, settings):
    from django.core.management import CommandError, call_command

    from qifu.accounts.models import User
    from qifu.core.models import Tenant

    settings.QIFU_ENV = "production"
    with pytest.raises(CommandError, match="QIFU_ENV=production"):
        call_command("seed_demo")
    assert not User.objects.filter(username="admin").exists() and not Tenant.objects.exists()
    Tenant.objects.create(code="demo", name="示范区")  # already seeded: the flagged run only prints
    err, out = io.StringIO(), io.StringIO()
    call_command("seed_demo", "--allow-production", stdout=out, stderr=err)
    assert "警告" in err.getvalue() and "演示账号" in out.getvalue()
