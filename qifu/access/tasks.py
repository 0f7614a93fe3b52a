"""Scheduled jobs of the audit capability."""

from __future__ import annotations

from huey import crontab

from qifu.core import audit, jobs


@jobs.register(
    "audit.purge", retries=2, retry_delay=300, schedule=crontab(hour="3", minute="17"), label="清理超过保留期的审计日志"
)
def purge_audit_log() -> str:
    """Purge entries beyond the retention (at least 180 days); the purge logs itself in the chain.

    The hash chain spans all tenants, so the purge is platform-wide: the job fans out once
    per tenant and the first run of the night does the work, later ones find nothing left.
    """
    removed = audit.purge()
    return f"purged {removed} entries older than {audit.retention_days()} days"
