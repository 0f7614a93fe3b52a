from __future__ import annotations

from ninja import Query

from qifu.core.exports import xlsx_response
from qifu.core.pagination import Page, PageQuery, paginate
from qifu.core.routers import QifuRouter
from qifu.orgs import selectors
from qifu.orgs.models import Enterprise, Organisation
from qifu.orgs.permissions import ENTERPRISE_EXPORT, ENTERPRISE_VIEW, ORGANISATION_VIEW
from qifu.orgs.schemas import EnterpriseFilter, EnterpriseOut, OrganisationOut

PREFIX = "/access"
router = QifuRouter(tag="access")


ENTERPRISE_COLUMNS = [
    ("name", "企业名称"),
    ("credit_code", "统一社会信用代码"),
    ("legal_rep_name", "法定代表人"),
    ("legal_rep_id_number", "法定代表人身份证号"),
    ("industry.name", "行业"),
    ("town.name", "镇街"),
    ("registered_capital", "注册资本（万元）"),
    ("founded_on", "成立日期"),
    ("size", "企业规模"),
    ("contact_name", "联系人"),
    ("contact_phone", "联系电话"),
    ("certification", "认证状态"),
]


@router.get(
    "/enterprises",
    permission=ENTERPRISE_VIEW,
    model="orgs.enterprise",
    response=Page[EnterpriseOut],
    summary="企业列表",
)
def list_enterprises(request, page: Query[PageQuery], filters: Query[EnterpriseFilter]):
    return paginate(request.ctx.scoped(selectors.enterprises(filters)), page)


@router.get(
    "/enterprises/export", permission=ENTERPRISE_EXPORT, model="orgs.enterprise", summary="导出企业列表（Excel）"
)
def export_enterprises(request, filters: Query[EnterpriseFilter]):
    qs = request.ctx.scoped(selectors.enterprises(filters))
    return xlsx_response("企业列表.xlsx", ENTERPRISE_COLUMNS, qs, ctx=request.ctx, model="orgs.enterprise")


@router.get(
    "/enterprises/{enterprise_id}",
    permission=ENTERPRISE_VIEW,
    object="orgs.enterprise",
    response=EnterpriseOut,
    summary="企业详情",
)
def get_enterprise(request, enterprise_id: int):
    return request.ctx.get_or_404(Enterprise.objects.select_related("industry", "town"), pk=enterprise_id)


@router.get(
    "/organisations", permission=ORGANISATION_VIEW, response=list[OrganisationOut], summary="组织树（扁平，按路径排序）"
)
def list_organisations(request):
    return list(request.ctx.scoped(Organisation.objects.exclude(kind__in=["enterprise", "institution"])))
