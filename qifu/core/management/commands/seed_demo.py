import logging

from django.core.management.base import BaseCommand

from qifu.core.models import Tenant
from qifu.core.seeding import saved_logins, seed_all


class Command(BaseCommand):
    help = "Create the deterministic demo tenants and data (skipped when already present)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full demo volume")
        parser.add_argument("--force", action="store_true", help="run the seeders even if demo data exists")

    def handle(self, *args, seed, scale, force, **options):
        if Tenant.objects.filter(code="demo").exists() and not force:
            self.stdout.write("演示数据已存在，跳过（--force 可重新补齐）。")
            logins = saved_logins()
        else:
            # Demo sends go to the console channel, which logs every message: keep the seed's output readable.
            logging.getLogger("qifu.messaging").setLevel(logging.WARNING)
            logins = seed_all(seed=seed, scale=scale)
        self.stdout.write("\n演示账号（租户：示范区，http://127.0.0.1:8000）：")
        for who, username, password in logins:
            self.stdout.write(f"  {who:<14} 用户名 {username:<16} 密码 {password}")
