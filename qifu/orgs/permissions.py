from qifu.core import menus
from qifu.core.permissions import AUDITOR, DISTRICT_STAFF, define

ENTERPRISE_VIEW = define("orgs.enterprise.view", "查看企业", capability="access", roles=[DISTRICT_STAFF, AUDITOR])
ENTERPRISE_EXPORT = define("orgs.enterprise.export", "导出企业", capability="access", roles=[DISTRICT_STAFF, AUDITOR])
ORGANISATION_VIEW = define("orgs.organisation.view", "查看组织机构", capability="access", roles=[DISTRICT_STAFF])
ORGANISATION_MANAGE = define("orgs.organisation.manage", "管理组织机构与分类账", capability="access")
INSTITUTION_VIEW = define("orgs.institution.view", "查看服务机构", capability="access", roles=[DISTRICT_STAFF])

menus.group("enterprises", "企业服务", icon="OfficeBuilding", order=20)
menus.item("enterprises.list", "企业库", "/enterprises", permission=ENTERPRISE_VIEW, parent="enterprises")
menus.item("institutions.list", "服务机构", "/institutions", permission=INSTITUTION_VIEW, parent="enterprises")
menus.item(
    "system.organisations", "组织机构", "/access/organisations", permission=ORGANISATION_VIEW, parent="system", order=5
)
