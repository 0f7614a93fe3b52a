"""The daily net under uploads whose row never committed: bytes no StoredFile row names, older
than the grace period, are deleted (and the deletion audited); everything else stays."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from qifu.core import audit, files, tasks, tenancy
from qifu.core.audit_models import AuditEntry


def _upload(data: bytes, name: str):
    handle = io.BytesIO(data)
    handle.name = name
    handle.size = len(data)
    return handle


def _age(name: str, hours: float) -> None:
    """Set the file's modification time ``hours`` into the past."""
    path = default_storage.path(name)
    then = (timezone.now() - dt.timedelta(hours=hours)).timestamp()
    os.utime(path, (then, then))


class _Boom(Exception):
    pass


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_bytes_of_a_rolled_back_upload_are_purged_after_the_grace_period(in_tenant, media):
    kept = files.save_upload(_upload(b"%PDF-1.7 kept", "kept.pdf"), purpose="test")
    with pytest.raises(_Boom), transaction.atomic():
        lost = files.save_upload(_upload(b"%PDF-1.7 lost", "lost.pdf"), purpose="test")
        raise _Boom  # the caller's later step fails: the row goes, the bytes stay
    assert default_storage.exists(lost.storage_name)

    # Young orphans are left alone: their row may still be about to commit.
    assert tasks.orphan_files() == []
    _age(lost.storage_name, 25)
    _age(kept.storage_name, 25)
    assert tasks.orphan_files() == [lost.storage_name]

    output = tasks.purge_orphans()
    assert "1 个无记录文件已删除" in output
    assert not default_storage.exists(lost.storage_name)
    assert default_storage.exists(kept.storage_name)  # a file with its row is never touched
    [entry] = AuditEntry.objects.filter(action="file.purge_orphans")
    assert entry.tenant_id == in_tenant.id
    assert entry.changes["files"]["after"] == 1 and entry.changes["sample"]["after"] == [lost.storage_name]
    assert audit.check_chain().broken is None


def test_only_the_current_tenants_directory_is_swept(cast, media):
    with tenancy.tenant_scope(cast.other_tenant):
        foreign = default_storage.save(f"t{cast.other_tenant.pk}/2026/01/x.pdf", ContentFile(b"%PDF-1.7"))
    _age(foreign, 48)
    with tenancy.tenant_scope(cast.tenant):
        assert tasks.orphan_files() == []
        tasks.purge_orphans()
    assert default_storage.exists(foreign)
    with tenancy.tenant_scope(cast.other_tenant):
        assert tasks.orphan_files() == [foreign]


def test_nothing_to_do_writes_no_audit_entry(in_tenant, media):
    assert "0 个无记录文件已删除" in tasks.purge_orphans()
    assert not AuditEntry.objects.filter(action="file.purge_orphans").exists()

