"""Subsidy programmes (服务费用补贴计划)."""

from __future__ import annotations

from django.db.models import Count, Q
from ninja import Query, Status

from qifu.core.pagination import Page, PageQuery, paginate
from qifu.marketplace.api.base import router
from qifu.marketplace.models import Application, SubsidyProgramme
from qifu.marketplace.permissions import PROGRAMME_MANAGE, SUBSIDY_VERIFY
from qifu.marketplace.schemas import MarketProgrammeIn, MarketProgrammeOut
from qifu.marketplace.services import subsidies as services


def _programmes():
    holding = Q(applications__subsidy_status__in=[Application.Subsidy.RESERVED, Application.Subsidy.CONSUMED])
    return SubsidyProgramme.objects.prefetch_related("categories").annotate(
        application_count=Count("applications", filter=holding)
    )


@router.get("/programmes", permission=SUBSIDY_VERIFY, response=Page[MarketProgrammeOut], summary="服务补贴计划列表")
def list_programmes(request, page: Query[PageQuery]):
    return paginate(request.ctx.scoped(_programmes().order_by("-id")), page)


@router.post("/programmes", permission=PROGRAMME_MANAGE, response={201: MarketProgrammeOut}, summary="新建服务补贴计划")
def create_programme(request, payload: MarketProgrammeIn):
    programme = services.save_programme(None, payload.dict())
    return Status(201, _programmes().get(pk=programme.pk))


@router.get(
    "/programmes/{programme_id}",
    permission=SUBSIDY_VERIFY,
    object="marketplace.subsidyprogramme",
    response=MarketProgrammeOut,
    summary="服务补贴计划详情",
)
def get_programme(request, programme_id: int):
    return request.ctx.get_or_404(_programmes(), pk=programme_id)


@router.put(
    "/programmes/{programme_id}",
    permission=PROGRAMME_MANAGE,
    object="marketplace.subsidyprogramme",
    response=MarketProgrammeOut,
    summary="修改服务补贴计划",
)
def update_programme(request, programme_id: int, payload: MarketProgrammeIn):
    programme = request.ctx.get_or_404(SubsidyProgramme.objects.all(), pk=programme_id)
    services.save_programme(programme, payload.dict())
    return _programmes().get(pk=programme.pk)
