"""Background jobs of the policy library."""

from __future__ import annotations

from huey import crontab

from qifu.core import jobs, search
from qifu.policies import collection, services
from qifu.policies.models import CollectionSource, Policy
from qifu.policies.search_index import POLICIES

COLLECT = "policies.collect"
EXPIRE = "policies.expire"
REINDEX = "policies.reindex"


@jobs.register(COLLECT, retries=0, schedule=crontab(minute="15", hour="*/6"), label="政策归集")
def collect(source_id: int | None = None, trigger: str = "schedule") -> str:
    """Collect one source (manual run) or every active source of the tenant (schedule).

    First closes runs that a killed worker left "running" (see ``collection.close_stale_runs``)."""
    stale = collection.close_stale_runs()
    sources = CollectionSource.objects.filter(is_active=True)
    if source_id is not None:
        sources = CollectionSource.objects.filter(pk=source_id)
    lines = []
    for source in sources:
        run = collection.run_source(source, trigger=trigger)
        lines.append(f"{source.name}: {run.message}")
    if stale:
        lines.append(f"{stale} 条未正常结束的运行记录已标记为失败")
    return "\n".join(lines) or "没有启用的归集来源"


@jobs.register(EXPIRE, retries=1, schedule=crontab(minute="5", hour="1"), label="政策到期下架")
def expire() -> str:
    return f"{services.expire_due()} 条政策已过期"


@jobs.register(REINDEX, retries=0, label="重建政策全文索引")
def reindex() -> str:
    return f"已索引 {search.rebuild(POLICIES, Policy.objects.all())} 条政策"
