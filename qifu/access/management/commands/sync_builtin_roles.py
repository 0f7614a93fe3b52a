from django.core.management.base import BaseCommand

from qifu.access.services import ensure_builtin_roles
from qifu.core import requestinfo, tenancy
from qifu.core.models import Tenant


class Command(BaseCommand):
    help = "Bring every tenant's built-in roles up to date with the permission registry (run after migrate)."

    def handle(self, *args, **options):
        for tenant in Tenant.objects.filter(is_active=True).order_by("id"):
            with tenancy.tenant_scope(tenant), requestinfo.acting(request_id="sync-builtin-roles"):
                roles = ensure_builtin_roles()
            self.stdout.write(f"{tenant.code}: {len(roles)} built-in roles in sync")
