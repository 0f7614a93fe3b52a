import sys

from django.core.management.base import BaseCommand
from django.utils import timezone

from qifu.core import audit


class Command(BaseCommand):
    help = "Verify the hash chain of the operation log; name the first broken entry and exit 1 if there is one."

    def handle(self, *args, **options):
        report = audit.check_chain()
        start = f"（自清理检查点 #{report.start_after} 之后）" if report.start_after else ""
        if report.broken is None and not report.reason:
            self.stdout.write(f"审计日志哈希链完整：已校验 {report.checked} 条{start}")
            return
        if report.broken is not None:
            entry = report.broken
            self.stderr.write(
                f"审计日志哈希链断裂：第一条异常记录 #{entry.id}"
                f"（{timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S} {entry.action} {entry.object_type}:{entry.object_id}）"
                f"——{report.reason}；此前 {report.checked} 条校验通过{start}"
            )
        else:
            self.stderr.write(f"审计日志哈希链断裂：{report.reason}；已校验 {report.checked} 条{start}")
        sys.exit(1)
