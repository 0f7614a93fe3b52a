"""Applications from the three sides: enterprise (my/…), institution (institution/…), government (applications/…)."""

from __future__ import annotations

from ninja import File, Form, Query, Status
from ninja.files import UploadedFile

from qifu.core import files
from qifu.core.errors import ApiError, NotFound
from qifu.core.exports import xlsx_response
from qifu.core.pagination import Page, PageQuery, paginate
from qifu.core.permissions import AUTHENTICATED, PUBLIC
from qifu.core.schemas import UploadOut
from qifu.marketplace import selectors
from qifu.marketplace.api.base import acting_enterprise, acting_institution, router
from qifu.marketplace.models import Application, ApplicationFile, Rating
from qifu.marketplace.permissions import APPLY, EXPORT, OVERSEE, PROCESS, RATING_REPLY, SUBSIDY_VERIFY
from qifu.marketplace.schemas import (
    MarketApplicationDetail,
    MarketApplicationFilter,
    MarketApplicationOut,
    MarketApplyIn,
    MarketFileOut,
    MarketNoteIn,
    MarketRateIn,
    MarketRatingOut,
    MarketReasonIn,
    MarketReplyIn,
)
from qifu.marketplace.services import applications as services
from qifu.marketplace.services import ratings as rating_services
from qifu.marketplace.transitions import ENTERPRISE, GOVERNMENT, INSTITUTION, allowed_actions

EXPORT_COLUMNS = [
    ("number", "申请编号"),
    ("product_name", "服务产品"),
    ("institution.name", "服务机构"),
    ("enterprise.name", "申请企业"),
    ("enterprise.credit_code", "统一社会信用代码"),
    ("contact_name", "联系人"),
    ("contact_phone", "联系电话"),
    ("price", "服务价格（元）"),
    ("status", "状态"),
    ("subsidy_status", "补贴状态"),
    ("subsidy_amount", "补贴金额（元）"),
    ("created_at", "申请时间"),
    ("accepted_at", "受理时间"),
    ("completed_at", "完成时间"),
    ("verified_at", "核销时间"),
]


def _detail(app: Application, side: str) -> Application:
    """The application with the viewing side's extras; returned as a model so field rules apply."""
    app.side = side
    app.actions = allowed_actions(app.status, side)
    app.survey = None
    if side == ENTERPRISE and app.status == Application.Status.CONFIRMED:
        prompt, positive, negative = app.product.category.survey()
        app.survey = {"prompt": prompt, "positive_reasons": positive, "negative_reasons": negative}
    return app


def _reload(app: Application) -> Application:
    return Application.objects.select_related("product", "product__category", "enterprise", "institution").get(
        pk=app.pk
    )


# -- enterprise -------------------------------------------------------------------------------
def _mine(request, application_id: int) -> Application:
    enterprise = acting_enterprise(request.ctx)
    return request.ctx.get_or_404(selectors.applications(ENTERPRISE).filter(enterprise=enterprise), pk=application_id)


@router.post("/uploads/material", permission=APPLY, response={201: UploadOut}, summary="上传申请材料（PDF/JPG/PNG）")
def upload_material(request, file: File[UploadedFile]):
    acting_enterprise(request.ctx)
    stored = services.upload_material(file)
    return Status(201, {"id": stored.pk, "name": stored.original_name, "size": stored.size})


@router.post("/applications", permission=APPLY, response={201: MarketApplicationDetail}, summary="申请服务产品")
def apply(request, payload: MarketApplyIn):
    enterprise = acting_enterprise(request.ctx)
    # Listed products are public; the enterprise's own data scope does not apply to them.
    product = request.ctx.get_or_404(selectors.live_products(), permission=PUBLIC, pk=payload.product_id)
    app = services.apply(enterprise=enterprise, product=product, data=payload.dict())
    return Status(201, _detail(_reload(app), ENTERPRISE))


@router.get("/my/applications", permission=APPLY, response=Page[MarketApplicationOut], summary="我的服务申请")
def my_applications(request, page: Query[PageQuery], filters: Query[MarketApplicationFilter]):
    return paginate(request.ctx.scoped(selectors.applications(ENTERPRISE, filters)), page)


@router.get(
    "/my/applications/{application_id}",
    permission=APPLY,
    object="marketplace.application",
    response=MarketApplicationDetail,
    summary="我的服务申请详情与进度",
)
def my_application(request, application_id: int):
    return _detail(request.ctx.get_or_404(selectors.applications(ENTERPRISE), pk=application_id), ENTERPRISE)


def _enterprise_op(path: str, summary: str, body):
    def decorate(func):
        return router.post(
            f"/my/applications/{{application_id}}/{path}",
            permission=APPLY,
            object="marketplace.application",
            response=MarketApplicationDetail,
            summary=summary,
        )(func)

    return decorate


@_enterprise_op("confirm", "确认服务完成", MarketNoteIn)
def confirm(request, application_id: int, payload: MarketNoteIn):
    return _detail(_reload(services.confirm(_mine(request, application_id), note=payload.note)), ENTERPRISE)


@_enterprise_op("reopen", "退回服务（未完成）", MarketReasonIn)
def reopen(request, application_id: int, payload: MarketReasonIn):
    return _detail(_reload(services.reopen(_mine(request, application_id), reason=payload.reason)), ENTERPRISE)


@_enterprise_op("cancel", "取消申请", MarketReasonIn)
def cancel_mine(request, application_id: int, payload: MarketReasonIn):
    app = services.cancel(_mine(request, application_id), side=ENTERPRISE, reason=payload.reason)
    return _detail(_reload(app), ENTERPRISE)


@_enterprise_op("rate", "满意度评价", MarketRateIn)
def rate(request, application_id: int, payload: MarketRateIn):
    app = _mine(request, application_id)
    rating_services.rate(app, score=payload.score, reasons=payload.reasons, comment=payload.comment)
    return _detail(_reload(app), ENTERPRISE)


# -- institution ------------------------------------------------------------------------------
def _incoming(request, application_id: int) -> Application:
    institution = acting_institution(request.ctx)
    return request.ctx.get_or_404(
        selectors.applications(INSTITUTION).filter(institution=institution), pk=application_id
    )


@router.get(
    "/institution/applications", permission=PROCESS, response=Page[MarketApplicationOut], summary="本机构收到的服务申请"
)
def incoming_applications(request, page: Query[PageQuery], filters: Query[MarketApplicationFilter]):
    return paginate(request.ctx.scoped(selectors.applications(INSTITUTION, filters)), page)


@router.get(
    "/institution/applications/export",
    permission=EXPORT,
    response={200: None},
    summary="导出本机构服务申请（Excel）",
)
def export_incoming(request, filters: Query[MarketApplicationFilter]):
    qs = request.ctx.scoped(selectors.applications(INSTITUTION, filters))
    return xlsx_response("服务申请.xlsx", EXPORT_COLUMNS, qs, ctx=request.ctx, model="marketplace.application")


@router.get(
    "/institution/applications/{application_id}",
    permission=PROCESS,
    object="marketplace.application",
    response=MarketApplicationDetail,
    summary="服务申请详情（机构）",
)
def incoming_application(request, application_id: int):
    return _detail(request.ctx.get_or_404(selectors.applications(INSTITUTION), pk=application_id), INSTITUTION)


def _institution_op(path: str, summary: str):
    def decorate(func):
        return router.post(
            f"/institution/applications/{{application_id}}/{path}",
            permission=PROCESS,
            object="marketplace.application",
            response=MarketApplicationDetail,
            summary=summary,
        )(func)

    return decorate


@_institution_op("accept", "受理服务申请")
def accept(request, application_id: int, payload: MarketNoteIn):
    return _detail(_reload(services.accept(_incoming(request, application_id), note=payload.note)), INSTITUTION)


@_institution_op("decline", "拒绝服务申请")
def decline(request, application_id: int, payload: MarketReasonIn):
    return _detail(_reload(services.decline(_incoming(request, application_id), reason=payload.reason)), INSTITUTION)


@_institution_op("start", "开始服务")
def start(request, application_id: int, payload: MarketNoteIn):
    return _detail(_reload(services.start(_incoming(request, application_id), note=payload.note)), INSTITUTION)


@_institution_op("complete", "完成服务（需已上传服务证明材料）")
def complete(request, application_id: int, payload: MarketNoteIn):
    return _detail(_reload(services.complete(_incoming(request, application_id), note=payload.note)), INSTITUTION)


@_institution_op("cancel", "终止服务")
def cancel_incoming(request, application_id: int, payload: MarketReasonIn):
    app = services.cancel(_incoming(request, application_id), side=INSTITUTION, reason=payload.reason)
    return _detail(_reload(app), INSTITUTION)


@router.post(
    "/institution/applications/{application_id}/evidence",
    permission=PROCESS,
    object="marketplace.application",
    response={201: MarketFileOut},
    summary="上传服务证明材料",
)
def upload_evidence(request, application_id: int, file: File[UploadedFile] = None, label: Form[str] = ""):
    # The application is looked up before the file is required, so an id out of reach is a 404 either way.
    app = _incoming(request, application_id)
    if file is None:
        raise ApiError("file.missing", "请选择要上传的文件", status=422)
    return Status(201, services.upload_evidence(app, file, label=label))


@router.delete(
    "/institution/applications/{application_id}/evidence/{file_id}",
    permission=PROCESS,
    object="marketplace.application",
    response={204: None},
    summary="删除服务证明材料",
)
def delete_evidence(request, application_id: int, file_id: int):
    app = _incoming(request, application_id)
    item = app.files.filter(pk=file_id, kind=ApplicationFile.Kind.EVIDENCE).first()
    if item is None:
        raise NotFound()
    services.remove_evidence(app, item)
    return Status(204, None)


@router.get("/institution/ratings", permission=PROCESS, response=Page[MarketRatingOut], summary="本机构收到的评价")
def institution_ratings(request, page: Query[PageQuery]):
    qs = Rating.objects.select_related("enterprise", "product").order_by("-id")
    return paginate(request.ctx.scoped(qs), page)


@router.post(
    "/institution/ratings/{rating_id}/reply",
    permission=RATING_REPLY,
    object="marketplace.rating",
    response=MarketRatingOut,
    summary="回复评价（仅一次）",
)
def reply_rating(request, rating_id: int, payload: MarketReplyIn):
    institution = acting_institution(request.ctx)
    rating = request.ctx.get_or_404(Rating.objects.filter(institution=institution), pk=rating_id)
    return rating_services.reply(rating, text=payload.text)


# -- government -------------------------------------------------------------------------------
@router.get("/applications", permission=OVERSEE, response=Page[MarketApplicationOut], summary="辖区服务申请（政府）")
def government_applications(request, page: Query[PageQuery], filters: Query[MarketApplicationFilter]):
    return paginate(request.ctx.scoped(selectors.applications(GOVERNMENT, filters)), page)


@router.get("/applications/export", permission=EXPORT, response={200: None}, summary="导出辖区服务申请（Excel）")
def export_applications(request, filters: Query[MarketApplicationFilter]):
    qs = request.ctx.scoped(selectors.applications(GOVERNMENT, filters))
    return xlsx_response("服务申请.xlsx", EXPORT_COLUMNS, qs, ctx=request.ctx, model="marketplace.application")


@router.get(
    "/applications/{application_id}",
    permission=OVERSEE,
    object="marketplace.application",
    response=MarketApplicationDetail,
    summary="服务申请详情（政府）",
)
def government_application(request, application_id: int):
    return _detail(request.ctx.get_or_404(selectors.applications(GOVERNMENT), pk=application_id), GOVERNMENT)


@router.get("/subsidies", permission=SUBSIDY_VERIFY, response=Page[MarketApplicationOut], summary="服务补贴核销列表")
def subsidy_queue(request, page: Query[PageQuery], filters: Query[MarketApplicationFilter]):
    qs = selectors.applications(GOVERNMENT, filters).exclude(subsidy_status=Application.Subsidy.NONE)
    if not filters.status and not filters.subsidy_status:
        qs = qs.filter(status=Application.Status.RATED, subsidy_status=Application.Subsidy.RESERVED)
    return paginate(request.ctx.scoped(qs), page)


def _for_verification(request, application_id: int) -> Application:
    return request.ctx.get_or_404(selectors.applications(GOVERNMENT), pk=application_id)


@router.post(
    "/subsidies/{application_id}/verify",
    permission=SUBSIDY_VERIFY,
    object="marketplace.application",
    response=MarketApplicationDetail,
    summary="核销服务补贴",
)
def verify_subsidy(request, application_id: int, payload: MarketNoteIn):
    app = services.verify_subsidy(_for_verification(request, application_id), note=payload.note)
    return _detail(_reload(app), GOVERNMENT)


@router.post(
    "/subsidies/{application_id}/refuse",
    permission=SUBSIDY_VERIFY,
    object="marketplace.application",
    response=MarketApplicationDetail,
    summary="不予核销服务补贴",
)
def refuse_subsidy(request, application_id: int, payload: MarketReasonIn):
    app = services.refuse_subsidy(_for_verification(request, application_id), reason=payload.reason)
    return _detail(_reload(app), GOVERNMENT)


# -- files (any side that can see the application) ---------------------------------------------
@router.get(
    "/applications/{application_id}/files/{file_id}",
    permission=AUTHENTICATED,
    object="marketplace.application",
    response={200: None},
    summary="下载申请材料或服务证明",
)
def download_file(request, application_id: int, file_id: int):
    found = selectors.visible_application(request.ctx, application_id)
    if found is None:
        raise NotFound()
    item = found[0].files.select_related("file").filter(pk=file_id).first()
    if item is None:
        raise NotFound()
    return files.file_response(item.file)
