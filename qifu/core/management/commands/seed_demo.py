import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qifu.core.models import Tenant
from qifu.core.seeding import DEMO_PASSWORD, saved_logins, seed_all


class Command(BaseCommand):
    help = "Create the deterministic demo tenants and data (skipped when already present)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="address printed beside the logins")
        parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full demo volume")
        parser.add_argument("--force", action="store_true", help="run the seeders even if demo data exists")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="seed although QIFU_ENV=production (benchmarks, a throw-away staging copy — never a real deployment)",
        )

    def handle(self, *args, seed, url, scale, force, allow_production, **options):
        if settings.QIFU_ENV == "production":
            if not allow_production:
                raise CommandError(
                    "QIFU_ENV=production：拒绝写入演示数据——它会创建用户名 admin、密码为公开演示密码 "
                    f"{DEMO_PASSWORD} 的平台管理员及一批演示账号。仅在基准测试或一次性环境中使用 --allow-production。"
                )
            self.stderr.write(
                "警告：正在生产配置下写入演示数据。平台管理员 admin 与所有演示账号使用公开的演示密码，"
                "此环境不得对外提供服务。"
            )
        if Tenant.objects.filter(code="demo").exists() and not force:
            self.stdout.write("演示数据已存在，跳过（--force 可重新补齐）。")
            logins = saved_logins()
        else:
            # Demo sends go to the console channel, which logs every message: keep the seed's output readable.
            logging.getLogger("qifu.messaging").setLevel(logging.WARNING)
            logins = seed_all(seed=seed, scale=scale)
        self.stdout.write(f"\n演示账号（租户：示范区，{url}）：")
        for who, username, password in logins:
            self.stdout.write(f"  {who:<14} 用户名 {username:<16} 密码 {password}")
