"""Organisation tree, ledgers and the enterprise directory (tag access)."""

from __future__ import annotations

from ninja import Query, Status

from qifu.core.errors import RuleViolation
from qifu.core.exports import xlsx_response
from qifu.core.pagination import Page, PageQuery, paginate
from qifu.core.routers import QifuRouter
from qifu.orgs import selectors, services
from qifu.orgs.models import Enterprise, Ledger, Organisation
from qifu.orgs.permissions import ENTERPRISE_EXPORT, ENTERPRISE_VIEW, ORGANISATION_MANAGE, ORGANISATION_VIEW
from qifu.orgs.schemas import (
    EnterpriseFilter,
    EnterpriseOut,
    LedgerIn,
    LedgerOut,
    MoveIn,
    OrganisationIn,
    OrganisationOut,
    OrganisationUpdate,
)

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


# -- organisation tree -------------------------------------------------------------------
def _tree():
    return Organisation.objects.exclude(kind__in=["enterprise", "institution"]).select_related("ledger")


@router.get(
    "/organisations",
    permission=ORGANISATION_VIEW,
    model="orgs.organisation",
    response=list[OrganisationOut],
    summary="组织树（扁平，按路径排序）",
)
def list_organisations(request):
    return list(request.ctx.scoped(_tree()).prefetch_related("served_legal_entities"))


def _ref(ctx, org_id: int | None, label: str) -> Organisation | None:
    if org_id is None:
        return None
    org = ctx.scoped(Organisation.objects.all()).filter(pk=org_id).first()
    if org is None:
        raise RuleViolation("orgs.reference_missing", f"所选{label}不存在或不在您的管辖范围内")
    return org


def _ledger(ledger_id: int | None) -> Ledger | None:
    if ledger_id is None:
        return None
    ledger = Ledger.objects.filter(pk=ledger_id).first()
    if ledger is None:
        raise RuleViolation("orgs.ledger_missing", "所选分类账不存在")
    return ledger


def _served(ctx, ids: list[int] | None) -> list[Organisation] | None:
    if ids is None:
        return None
    return [_ref(ctx, i, "法人实体") for i in dict.fromkeys(ids)]


@router.post(
    "/organisations",
    permission=ORGANISATION_MANAGE,
    model="orgs.organisation",
    response={201: OrganisationOut},
    summary="新建组织",
)
def create_organisation(request, payload: OrganisationIn):
    ctx = request.ctx
    org = services.create_organisation(
        name=payload.name,
        kind=payload.kind,
        parent=_ref(ctx, payload.parent_id, "上级组织"),
        code=payload.code,
        sort=payload.sort,
        ledger=_ledger(payload.ledger_id),
        legal_entity=_ref(ctx, payload.legal_entity_id, "法人实体"),
        operating_unit=_ref(ctx, payload.operating_unit_id, "业务实体"),
        served_legal_entities=_served(ctx, payload.served_legal_entity_ids),
    )
    return Status(201, org)


@router.put(
    "/organisations/{organisation_id}",
    permission=ORGANISATION_MANAGE,
    object="orgs.organisation",
    response=OrganisationOut,
    summary="修改组织",
)
def update_organisation(request, organisation_id: int, payload: OrganisationUpdate):
    ctx = request.ctx
    org = ctx.get_or_404(_tree(), pk=organisation_id)
    changes = {
        k: v for k, v in payload.model_dump(include={"name", "code", "sort", "is_active"}).items() if v is not None
    }
    if "ledger_id" in payload.model_fields_set:
        changes["ledger"] = _ledger(payload.ledger_id)
    if "legal_entity_id" in payload.model_fields_set:
        changes["legal_entity"] = _ref(ctx, payload.legal_entity_id, "法人实体")
    if "operating_unit_id" in payload.model_fields_set:
        changes["operating_unit"] = _ref(ctx, payload.operating_unit_id, "业务实体")
    return services.update_organisation(
        org, served_legal_entities=_served(ctx, payload.served_legal_entity_ids), **changes
    )


@router.post(
    "/organisations/{organisation_id}/move",
    permission=ORGANISATION_MANAGE,
    object="orgs.organisation",
    response=OrganisationOut,
    summary="移动组织（连同下级）",
)
def move_organisation(request, organisation_id: int, payload: MoveIn):
    org = request.ctx.get_or_404(_tree(), pk=organisation_id)
    return services.move_organisation(org, _ref(request.ctx, payload.parent_id, "新的上级组织"))


@router.delete(
    "/organisations/{organisation_id}",
    permission=ORGANISATION_MANAGE,
    object="orgs.organisation",
    response={204: None},
    summary="删除组织（未被使用时）",
)
def delete_organisation(request, organisation_id: int):
    services.delete_organisation(request.ctx.get_or_404(_tree(), pk=organisation_id))
    return Status(204, None)


# -- ledgers -------------------------------------------------------------------------------
@router.get(
    "/ledgers", permission=ORGANISATION_VIEW, model="orgs.ledger", response=list[LedgerOut], summary="分类账列表"
)
def list_ledgers(request):
    return list(Ledger.objects.order_by("id"))


@router.post(
    "/ledgers", permission=ORGANISATION_MANAGE, model="orgs.ledger", response={201: LedgerOut}, summary="新建分类账"
)
def create_ledger(request, payload: LedgerIn):
    return Status(201, services.create_ledger(**payload.model_dump()))


@router.put(
    "/ledgers/{ledger_id}",
    permission=ORGANISATION_MANAGE,
    object="orgs.ledger",
    response=LedgerOut,
    summary="修改分类账",
)
def update_ledger(request, ledger_id: int, payload: LedgerIn):
    ledger = request.ctx.get_or_404(Ledger.objects.all(), pk=ledger_id)
    return services.update_ledger(ledger, **payload.model_dump())
