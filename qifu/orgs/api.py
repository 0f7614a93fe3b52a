from __future__ import annotations

from ninja import Query

from qifu.core.pagination import Page, PageQuery, paginate
from qifu.core.routers import QifuRouter
from qifu.orgs import selectors
from qifu.orgs.models import Enterprise, Organisation
from qifu.orgs.permissions import ENTERPRISE_VIEW, ORGANISATION_VIEW
from qifu.orgs.schemas import EnterpriseFilter, EnterpriseOut, OrganisationOut

PREFIX = "/access"
router = QifuRouter(tag="access")


@router.get("/enterprises", permission=ENTERPRISE_VIEW, response=Page[EnterpriseOut], summary="企业列表")
def list_enterprises(request, page: Query[PageQuery], filters: Query[EnterpriseFilter]):
    return paginate(request.ctx.scoped(selectors.enterprises(filters)), page)


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
