"""Writes for roles and assignments."""

from __future__ import annotations

from django.db import transaction

from qifu.access.models import Role, RoleAssignment
from qifu.core import audit, permissions

BUILTIN_ROLES = {
    permissions.TENANT_ADMIN: ("租户管理员", Role.DataScope.ALL),
    permissions.DISTRICT_STAFF: ("政府工作人员", Role.DataScope.ORG_AND_BELOW),
    permissions.AUDITOR: ("审计员", Role.DataScope.ALL),
    permissions.INSTITUTION_ADMIN: ("服务机构管理员", Role.DataScope.ORG_AND_BELOW),
    permissions.INSTITUTION_OPERATOR: ("服务机构经办人", Role.DataScope.ORG_AND_BELOW_OR_SELF),
    permissions.ENTERPRISE_OWNER: ("企业管理员", Role.DataScope.ORG),
    permissions.ENTERPRISE_MEMBER: ("企业员工", Role.DataScope.SELF),
}

# Field rules a new tenant's built-in roles start with; admins edit them afterwards.
BUILTIN_FIELD_RULES = {
    permissions.DISTRICT_STAFF: {"orgs.enterprise": {"legal_rep_id_number": "masked"}},
    permissions.AUDITOR: {"orgs.enterprise": {"legal_rep_id_number": "masked", "contact_phone": "masked"}},
}


@transaction.atomic
def ensure_builtin_roles() -> dict[str, Role]:
    """Create or refresh the built-in roles of the active tenant from the permission registry."""
    roles = {}
    for code, (name, scope) in BUILTIN_ROLES.items():
        granted = permissions.codes_for_role(code)
        role, created = Role.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "data_scope": scope,
                "permissions": granted,
                "is_builtin": True,
                "field_rules": BUILTIN_FIELD_RULES.get(code, {}),
            },
        )
        if not created and role.is_builtin and sorted(role.permissions) != granted:
            role.permissions = granted
            role.save(update_fields=["permissions", "updated_at"])
        roles[code] = role
    return roles


@transaction.atomic
def assign_role(user, organisation, role: Role) -> RoleAssignment:
    assignment, created = RoleAssignment.objects.get_or_create(user=user, organisation=organisation, role=role)
    if created:
        audit.record("access.role.assign", assignment, changes={"role": {"before": None, "after": role.code}})
    return assignment
