from django.core.management.base import BaseCommand

from qifu.core import audit


class Command(BaseCommand):
    help = (
        "Delete operation-log entries older than the retention (QIFU_AUDIT_RETENTION_DAYS, at least 180 days), "
        "leaving a checkpoint so the chain still verifies. The purge is itself logged."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="retention in days (at least 180)")

    def handle(self, *args, days=None, **options):
        if days is not None and days < audit.MIN_RETENTION_DAYS:
            self.stderr.write(f"保留天数不能少于 {audit.MIN_RETENTION_DAYS} 天，已按 {audit.MIN_RETENTION_DAYS} 天执行")
        removed = audit.purge(days)
        self.stdout.write(
            f"已清理 {removed} 条超过保留期（{max(audit.MIN_RETENTION_DAYS, days or audit.retention_days())} 天）的日志"
        )
