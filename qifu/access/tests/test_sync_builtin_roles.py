from django.core.management import call_command

from qifu.access.models import Role
from qifu.core import permissions, tenancy


def test_sync_grants_newly_registered_codes_to_builtin_roles(cast):
    code = permissions.define("tests.sync.example", "同步测试权限", capability="access", roles=["district_staff"])
    try:
        call_command("sync_builtin_roles", stdout=open("/dev/null", "w"))
        with tenancy.tenant_scope(cast.tenant):
            assert code in Role.objects.get(code="district_staff").permissions
            assert code in Role.objects.get(code="tenant_admin").permissions
            assert code not in Role.objects.get(code="enterprise_owner").permissions
    finally:
        permissions.REGISTRY.pop(code, None)
