"""The named cast every test can use.

Tenant "alpha" (towns A and B, an enterprise in each, an institution) and tenant
"beta" (the outsider). Everyone's password is ``PASSWORD``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qifu.access.services import ensure_builtin_roles
from qifu.accounts.models import User
from qifu.core import permissions as P
from qifu.core import tenancy
from qifu.core.models import Tenant
from qifu.orgs import services
from qifu.orgs.codes import make_credit_code
from qifu.orgs.models import Enterprise, Institution, Organisation

PASSWORD = "Cast#Passw0rd-2026"


@dataclass
class Cast:
    password: str
    tenant: Tenant
    other_tenant: Tenant
    root: Organisation
    town_a: Organisation
    town_b: Organisation
    enterprise_a: Enterprise
    enterprise_b: Enterprise
    institution: Institution
    other_enterprise: Enterprise
    platform_admin: User
    tenant_admin: User
    staff_a: User
    staff_b: User
    institution_admin: User
    institution_operator: User
    enterprise_owner: User
    no_role_user: User
    outsider: User
    roles: dict[str, Any]


def _person(tenant, username: str, name: str, phone: str, org: Organisation | None, role=None) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, name=name, phone=phone, tenant=tenant)
    if org is not None:
        services.add_member(user, org, is_default=True)
        if role is not None:
            from qifu.access.services import assign_role

            assign_role(user, org, role)
    return user


def _enterprise(root, town, name, n) -> Enterprise:
    return services.create_enterprise(
        name=name,
        parent=root,
        town=town,
        credit_code=make_credit_code("9", "1", "320505", f"MA{n:06d}"),
        legal_rep_name="张三",
        legal_rep_id_number="11010519491231002X",
        certification=Enterprise.Certification.CERTIFIED,
    )


def build_cast() -> Cast:
    tenant = Tenant.objects.create(code="alpha", name="甲区", domains=["alpha.test"])
    other = Tenant.objects.create(code="beta", name="乙园区", domains=["beta.test"])
    platform_admin = User.objects.create_user(
        username="platform-admin", password=PASSWORD, name="平台管理员", is_platform_admin=True
    )
    with tenancy.tenant_scope(other):
        other_roles = ensure_builtin_roles()
        other_root = services.create_organisation(name="乙园区", kind=Organisation.Kind.ROOT)
        other_enterprise = _enterprise(other_root, None, "乙园区外部企业有限公司", 900001)
        outsider = _person(other, "outsider", "外租户管理员", "13900009999", other_root, other_roles[P.TENANT_ADMIN])
    with tenancy.tenant_scope(tenant):
        roles = ensure_builtin_roles()
        root = services.create_organisation(name="甲区", kind=Organisation.Kind.ROOT)
        town_a = services.create_organisation(name="A 街道", kind=Organisation.Kind.TOWN, parent=root)
        town_b = services.create_organisation(name="B 镇", kind=Organisation.Kind.TOWN, parent=root)
        enterprise_a = _enterprise(root, town_a, "甲区A街道精密机械有限公司", 100001)
        enterprise_b = _enterprise(root, town_b, "甲区B镇电子科技有限公司", 100002)
        institution = services.create_institution(
            name="甲区律师事务所", kind="legal", parent=root, status=Institution.Status.APPROVED
        )
        cast = Cast(
            password=PASSWORD,
            tenant=tenant,
            other_tenant=other,
            root=root,
            town_a=town_a,
            town_b=town_b,
            enterprise_a=enterprise_a,
            enterprise_b=enterprise_b,
            institution=institution,
            other_enterprise=other_enterprise,
            platform_admin=platform_admin,
            tenant_admin=_person(tenant, "alpha-admin", "甲区管理员", "13900000001", root, roles[P.TENANT_ADMIN]),
            staff_a=_person(tenant, "staff-a", "A 街道经办", "13900000002", town_a, roles[P.DISTRICT_STAFF]),
            staff_b=_person(tenant, "staff-b", "B 镇经办", "13900000003", town_b, roles[P.DISTRICT_STAFF]),
            institution_admin=_person(
                tenant, "inst-admin", "律所管理员", "13900000004", institution.organisation, roles[P.INSTITUTION_ADMIN]
            ),
            institution_operator=_person(
                tenant,
                "inst-operator",
                "律所经办人",
                "13900000005",
                institution.organisation,
                roles[P.INSTITUTION_OPERATOR],
            ),
            enterprise_owner=_person(
                tenant, "ent-owner", "张三", "13900000006", enterprise_a.organisation, roles[P.ENTERPRISE_OWNER]
            ),
            no_role_user=_person(tenant, "no-role", "无角色用户", "13900000007", root, None),
            outsider=outsider,
            roles=roles,
        )
    return cast
