"""Marketplace permission codes and console menu entries.

Three sides act on one application, each with its own code, so each operation's
data scope is the right one: the enterprise (its organisation), the institution
(its organisation) and government staff (the enterprise's town).
"""

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

CAP = "marketplace"
INSTITUTION = [INSTITUTION_ADMIN, INSTITUTION_OPERATOR]
ENTERPRISE = [ENTERPRISE_OWNER, ENTERPRISE_MEMBER]

CATEGORY_MANAGE = define("marketplace.category.manage", "管理服务类别与满意度选项", capability=CAP)
PRODUCT_MANAGE = define("marketplace.product.manage", "发布和维护本机构服务产品", capability=CAP, roles=INSTITUTION)
PRODUCT_REVIEW = define("marketplace.product.review", "审核服务产品", capability=CAP, roles=[DISTRICT_STAFF])
FAVOURITE = define("marketplace.favourite", "收藏服务产品", capability=CAP, roles=ENTERPRISE)
APPLY = define("marketplace.application.apply", "申请服务产品（企业）", capability=CAP, roles=ENTERPRISE)
PROCESS = define("marketplace.application.process", "受理和办理服务申请（机构）", capability=CAP, roles=INSTITUTION)
OVERSEE = define(
    "marketplace.application.view", "查看辖区服务申请（政府）", capability=CAP, roles=[DISTRICT_STAFF, AUDITOR]
)
EXPORT = define(
    "marketplace.application.export",
    "导出服务申请",
    capability=CAP,
    roles=[DISTRICT_STAFF, INSTITUTION_ADMIN],
)
RATING_REPLY = define("marketplace.rating.reply", "回复满意度评价", capability=CAP, roles=[INSTITUTION_ADMIN])
PROGRAMME_MANAGE = define("marketplace.subsidy.manage", "管理服务补贴计划", capability=CAP)
SUBSIDY_VERIFY = define("marketplace.subsidy.verify", "核销服务补贴", capability=CAP, roles=[DISTRICT_STAFF])

menus.group("marketplace", "服务超市", icon="Shop", order=40)
menus.item(
    "marketplace.categories", "服务类别", "/marketplace/categories", permission=CATEGORY_MANAGE, parent="marketplace"
)
menus.item("marketplace.reviews", "产品审核", "/marketplace/reviews", permission=PRODUCT_REVIEW, parent="marketplace")
menus.item(
    "marketplace.applications", "服务申请", "/marketplace/applications", permission=OVERSEE, parent="marketplace"
)
menus.item(
    "marketplace.programmes", "补贴计划", "/marketplace/programmes", permission=PROGRAMME_MANAGE, parent="marketplace"
)
menus.item(
    "marketplace.subsidies", "补贴核销", "/marketplace/subsidies", permission=SUBSIDY_VERIFY, parent="marketplace"
)

menus.group("workbench", "机构工作台", icon="Briefcase", order=30)
menus.item(
    "workbench.market.products",
    "我的服务产品",
    "/workbench-market/products",
    permission=PRODUCT_MANAGE,
    parent="workbench",
)
menus.item(
    "workbench.market.applications",
    "服务订单",
    "/workbench-market/applications",
    permission=PROCESS,
    parent="workbench",
)
menus.item("workbench.market.ratings", "服务评价", "/workbench-market/ratings", permission=PROCESS, parent="workbench")
