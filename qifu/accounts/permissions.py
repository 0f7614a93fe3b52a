"""Permission codes and console menu entries of the identity capability (C1)."""

from qifu.core import menus
from qifu.core.permissions import AUTHENTICATED, DISTRICT_STAFF, ENTERPRISE_OWNER, INSTITUTION_ADMIN, define

CERTIFICATION_APPLY = define(
    "identity.certification.apply", "提交企业实名认证", capability="identity", roles=[ENTERPRISE_OWNER]
)
CERTIFICATION_REVIEW = define(
    "identity.certification.review", "审核企业实名认证", capability="identity", roles=[DISTRICT_STAFF]
)
INSTITUTION_REVIEW = define(
    "identity.institution.review", "审核机构入驻", capability="identity", roles=[DISTRICT_STAFF]
)
SUBACCOUNT_MANAGE = define(
    "identity.subaccount.manage", "管理机构子账号", capability="identity", roles=[INSTITUTION_ADMIN]
)
STAFF_MANAGE = define("identity.staff.manage", "创建工作人员账号", capability="identity")
SESSION_MANAGE = define("identity.session.manage", "强制下线与解除锁定", capability="identity")

# The "enterprises" and "system" groups are declared by orgs and access.
menus.item(
    "identity.certifications",
    "认证审核",
    "/identity/certifications",
    permission=CERTIFICATION_REVIEW,
    parent="enterprises",
    order=30,
)
menus.item(
    "identity.institutions",
    "入驻审核",
    "/identity/institutions",
    permission=INSTITUTION_REVIEW,
    parent="enterprises",
    order=40,
)
menus.group("workbench", "机构工作台", icon="Briefcase", order=30)
menus.item("workbench.accounts", "子账号管理", "/workbench/accounts", permission=SUBACCOUNT_MANAGE, parent="workbench")
menus.item("identity.staff", "工作人员账号", "/identity/staff", permission=STAFF_MANAGE, parent="system", order=30)
menus.group("account", "个人中心", icon="User", order=95)
menus.item("identity.security", "账号安全", "/identity/security", permission=AUTHENTICATED, parent="account")
