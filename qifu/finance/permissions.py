"""Financing permission codes and menu entries: the enterprise applies, the bank processes, staff oversee."""

from qifu.core import menus
from qifu.core.permissions import (
    AUDITOR,
    DISTRICT_STAFF,
    ENTERPRISE_MEMBER,
    ENTERPRISE_OWNER,
    INSTITUTION_ADMIN,
    INSTITUTION_OPERATOR,
    define,
)

CAP = "finance"
PRODUCT_MANAGE = define(
    "finance.product.manage",
    "发布和维护本机构金融产品",
    capability=CAP,
    roles=[INSTITUTION_ADMIN, INSTITUTION_OPERATOR],
)
APPLY = define(
    "finance.application.apply", "申请融资（企业）", capability=CAP, roles=[ENTERPRISE_OWNER, ENTERPRISE_MEMBER]
)
PROCESS = define(
    "finance.application.process",
    "受理和审批融资申请（金融机构）",
    capability=CAP,
    roles=[INSTITUTION_ADMIN, INSTITUTION_OPERATOR],
)
OVERSEE = define(
    "finance.application.view", "查看辖区融资申请（政府）", capability=CAP, roles=[DISTRICT_STAFF, AUDITOR]
)
EXPORT = define("finance.application.export", "导出融资申请", capability=CAP, roles=[DISTRICT_STAFF, INSTITUTION_ADMIN])

menus.group("finance", "融资服务", icon="Money", order=45)
menus.item("finance.applications", "融资申请", "/finance/applications", permission=OVERSEE, parent="finance")
menus.group("workbench", "机构工作台", icon="Briefcase", order=30)
menus.item(
    "workbench.finance.products",
    "金融产品",
    "/workbench-finance/products",
    permission=PRODUCT_MANAGE,
    parent="workbench",
)
menus.item(
    "workbench.finance.applications",
    "融资申请受理",
    "/workbench-finance/applications",
    permission=PROCESS,
    parent="workbench",
)
