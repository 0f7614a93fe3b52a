"""Platform housekeeping jobs of qifu.core.

``files.purge_orphans`` (daily, per tenant): ``files.save_upload`` writes the bytes before the
``StoredFile`` row so that a row never points at nothing. The price is the other way round: when
the row's transaction rolls back after the bytes were written (a caller's later step fails, the
process dies between the write and the commit), the bytes stay on disk with no row naming them.
Callers clean up what they can (marketplace evidence does), and this job is the net under all of
them: it deletes files in the tenant's storage directory that no row names, once they are older
than a grace period long enough that no transaction can still be about to commit their row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.core.files.storage import default_storage
from django.utils import timezone
from huey import crontab

from qifu.core import audit, jobs, tenancy
from qifu.core.files_models import StoredFile

PURGE_ORPHANS = "files.purge_orphans"
# Far longer than any request or job transaction; a file younger than this may still get its row.
ORPHAN_GRACE = dt.timedelta(hours=24)


def _walk(directory: str) -> Iterator[str]:
    """Every file name under ``directory`` of the default storage (relative to the storage root)."""
    try:
        subdirs, names = default_storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in names:
        yield f"{directory}/{name}"
    for sub in subdirs:
        yield from _walk(f"{directory}/{sub}")


def orphan_files(now: dt.datetime | None = None) -> list[str]:
    """Storage names under the current tenant's directory, older than the grace period, with no row."""
    tenant = tenancy.current_tenant()
    cutoff = (now or timezone.now()) - ORPHAN_GRACE
    candidates = [name for name in _walk(f"t{tenant.pk}") if default_storage.get_modified_time(name) < cutoff]
    known: set[str] = set()
    for start in range(0, len(candidates), 500):  # bounded IN lists
        chunk = candidates[start : start + 500]
        known.update(StoredFile.objects.filter(storage_name__in=chunk).values_list("storage_name", flat=True))
    return [name for name in candidates if name not in known]


@jobs.register(PURGE_ORPHANS, retries=1, schedule=crontab(minute="50", hour="3"), label="清理无记录的上传文件")
def purge_orphans() -> str:
    orphans = orphan_files()
    freed = 0
    for name in orphans:
        freed += default_storage.size(name)
        default_storage.delete(name)
    if orphans:
        # Deleting bytes is a change of the tenant's data like any other: it is audited, with how
        # many and how much, and a sample of names for an investigation.
        audit.record(
            "file.purge_orphans",
            None,
            changes={"files": {"after": len(orphans)}, "bytes": {"after": freed}, "sample": {"after": orphans[:20]}},
        )
    return f"{len(orphans)} 个无记录文件已删除（{freed} 字节）"
