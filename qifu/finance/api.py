"""The financing API (tag ``finance``), mounted at /api/v1/finance/."""

from __future__ import annotations

from ninja import File, Query, Status
from ninja.files import UploadedFile

from qifu.core import fieldrules, files
from qifu.core.errors import NotFound
from qifu.core.exports import xlsx_response
from qifu.core.pagination import Page, PageQuery, paginate
from qifu.core.permissions import AUTHENTICATED, PUBLIC
from qifu.core.routers import QifuRouter
from qifu.core.schemas import UploadOut
from qifu.finance import selectors, services
from qifu.finance.models import FinancialProduct, LoanApplication
from qifu.finance.permissions import APPLY, EXPORT, OVERSEE, PROCESS, PRODUCT_MANAGE
from qifu.finance.schemas import (
    FinApplicationDetail,
    FinApplicationFilter,
    FinApplicationOut,
    FinApplyIn,
    FinApproveIn,
    FinDisburseIn,
    FinEligibilityOut,
    FinLoanStatsOut,
    FinNoteIn,
    FinProductDetail,
    FinProductFilter,
    FinProductIn,
    FinProductOut,
    FinReasonIn,
    FinRequiredNoteIn,
    FinSupplyIn,
)
from qifu.finance.selectors import GOVERNMENT
from qifu.finance.transitions import ENTERPRISE, INSTITUTION, allowed_actions

PREFIX = "/finance"
router = QifuRouter(tag="finance")

EXPORT_COLUMNS = [
    ("number", "申请编号"),
    ("product_name", "金融产品"),
    ("product.kind", "产品类型"),
    ("institution.name", "金融机构"),
    ("enterprise.name", "申请企业"),
    ("enterprise.credit_code", "统一社会信用代码"),
    ("amount", "申请金额（元）"),
    ("term_months", "期限（月）"),
    ("purpose", "资金用途"),
    ("contact_name", "联系人"),
    ("contact_phone", "联系电话"),
    ("status", "状态"),
    ("credit_amount", "授信金额（元）"),
    ("disbursed_amount", "放款金额（元）"),
    ("disbursed_on", "放款日期"),
    ("loan_kind", "首贷/续贷"),
    ("created_at", "申请时间"),
]


def _enterprise(ctx):
    return ctx.acting_enterprise(code="finance.enterprise_required")


def _institution(ctx):
    return ctx.acting_institution(code="finance.institution_required", message="请以金融机构身份登录后操作")


def _detail(app: LoanApplication, side: str) -> LoanApplication:
    app.side = side
    app.actions = allowed_actions(app.status, side)
    app.suggested_loan_kind = services.suggested_loan_kind(app) if side == INSTITUTION else ""
    return app


def _reload(app: LoanApplication) -> LoanApplication:
    return LoanApplication.objects.select_related("product", "enterprise", "institution").get(pk=app.pk)


# -- products ----------------------------------------------------------------------------------------
@router.get("/products", permission=PUBLIC, response=Page[FinProductOut], summary="金融产品列表")
def list_products(request, page: Query[PageQuery], filters: Query[FinProductFilter]):
    return paginate(selectors.listed_products(filters, ctx=request.ctx), page)


@router.get(
    "/products/{product_id}",
    permission=PUBLIC,
    object="finance.financialproduct",
    response=FinProductDetail,
    summary="金融产品详情",
)
def get_product(request, product_id: int):
    return request.ctx.get_or_404(
        selectors.live_products().select_related("institution"),
        pk=product_id,
    )


@router.get(
    "/products/{product_id}/eligibility",
    permission=APPLY,
    object="finance.financialproduct",
    response=FinEligibilityOut,
    summary="贷款产品匹配自查（本企业是否符合条件）",
)
def product_eligibility(request, product_id: int):
    enterprise = _enterprise(request.ctx)
    product = request.ctx.get_or_404(selectors.live_products(), permission=PUBLIC, pk=product_id)
    # Read through the rules on enterprises: the answer names actual values, a withheld one must count as unknown.
    return services.check_eligibility(product, fieldrules.wrap(enterprise, request.ctx)).as_dict()


@router.get(
    "/institution/products", permission=PRODUCT_MANAGE, response=Page[FinProductDetail], summary="本机构的金融产品"
)
def list_own_products(request, page: Query[PageQuery], filters: Query[FinProductFilter]):
    return paginate(request.ctx.scoped(selectors.products(filters)), page)


@router.post(
    "/institution/products", permission=PRODUCT_MANAGE, response={201: FinProductDetail}, summary="发布金融产品"
)
def create_product(request, payload: FinProductIn):
    return Status(201, services.save_product(_institution(request.ctx), None, payload.dict()))


def _own(request, product_id: int) -> FinancialProduct:
    return request.ctx.get_or_404(FinancialProduct.objects.select_related("institution"), pk=product_id)


@router.get(
    "/institution/products/{product_id}",
    permission=PRODUCT_MANAGE,
    object="finance.financialproduct",
    response=FinProductDetail,
    summary="本机构金融产品详情",
)
def get_own_product(request, product_id: int):
    return _own(request, product_id)


@router.put(
    "/institution/products/{product_id}",
    permission=PRODUCT_MANAGE,
    object="finance.financialproduct",
    response=FinProductDetail,
    summary="修改金融产品",
)
def update_product(request, product_id: int, payload: FinProductIn):
    product = _own(request, product_id)
    return services.save_product(product.institution, product, payload.dict())


@router.post(
    "/institution/products/{product_id}/unlist",
    permission=PRODUCT_MANAGE,
    object="finance.financialproduct",
    response=FinProductDetail,
    summary="下架金融产品",
)
def unlist_product(request, product_id: int):
    return services.set_product_status(_own(request, product_id), FinancialProduct.Status.UNLISTED)


@router.post(
    "/institution/products/{product_id}/list",
    permission=PRODUCT_MANAGE,
    object="finance.financialproduct",
    response=FinProductDetail,
    summary="上架金融产品",
)
def list_product(request, product_id: int):
    return services.set_product_status(_own(request, product_id), FinancialProduct.Status.LISTED)


# -- enterprise -----------------------------------------------------------------------------------------
@router.post("/uploads/material", permission=APPLY, response={201: UploadOut}, summary="上传融资申请材料")
def upload_material(request, file: File[UploadedFile]):
    _enterprise(request.ctx)
    stored = services.upload_material(file)
    return Status(201, {"id": stored.pk, "name": stored.original_name, "size": stored.size})


@router.post("/applications", permission=APPLY, response={201: FinApplicationDetail}, summary="申请融资")
def apply(request, payload: FinApplyIn):
    enterprise = _enterprise(request.ctx)
    product = request.ctx.get_or_404(selectors.live_products(), permission=PUBLIC, pk=payload.product_id)
    app = services.apply(enterprise=enterprise, product=product, data=payload.dict())
    return Status(201, _detail(_reload(app), ENTERPRISE))


@router.get("/my/applications", permission=APPLY, response=Page[FinApplicationOut], summary="我的融资申请")
def my_applications(request, page: Query[PageQuery], filters: Query[FinApplicationFilter]):
    return paginate(request.ctx.scoped(selectors.applications(ENTERPRISE, filters)), page)


def _mine(request, application_id: int) -> LoanApplication:
    enterprise = _enterprise(request.ctx)
    return request.ctx.get_or_404(selectors.applications(ENTERPRISE).filter(enterprise=enterprise), pk=application_id)


@router.get(
    "/my/applications/{application_id}",
    permission=APPLY,
    object="finance.loanapplication",
    response=FinApplicationDetail,
    summary="我的融资申请详情与进度",
)
def my_application(request, application_id: int):
    return _detail(request.ctx.get_or_404(selectors.applications(ENTERPRISE), pk=application_id), ENTERPRISE)


@router.post(
    "/my/applications/{application_id}/materials",
    permission=APPLY,
    object="finance.loanapplication",
    response=FinApplicationDetail,
    summary="补充材料",
)
def supply_materials(request, application_id: int, payload: FinSupplyIn):
    app = services.supply_materials(
        _mine(request, application_id), materials=[m.dict() for m in payload.materials], note=payload.note
    )
    return _detail(_reload(app), ENTERPRISE)


@router.post(
    "/my/applications/{application_id}/cancel",
    permission=APPLY,
    object="finance.loanapplication",
    response=FinApplicationDetail,
    summary="撤回融资申请",
)
def cancel(request, application_id: int, payload: FinReasonIn):
    return _detail(_reload(services.cancel(_mine(request, application_id), reason=payload.reason)), ENTERPRISE)


# -- institution ----------------------------------------------------------------------------------------
def _incoming(request, application_id: int) -> LoanApplication:
    institution = _institution(request.ctx)
    return request.ctx.get_or_404(
        selectors.applications(INSTITUTION).filter(institution=institution), pk=application_id
    )


@router.get(
    "/institution/applications", permission=PROCESS, response=Page[FinApplicationOut], summary="本机构收到的融资申请"
)
def incoming(request, page: Query[PageQuery], filters: Query[FinApplicationFilter]):
    return paginate(request.ctx.scoped(selectors.applications(INSTITUTION, filters)), page)


@router.get(
    "/institution/applications/export", permission=EXPORT, response={200: None}, summary="导出本机构融资申请（Excel）"
)
def export_incoming(request, filters: Query[FinApplicationFilter]):
    qs = request.ctx.scoped(selectors.applications(INSTITUTION, filters))
    return xlsx_response("融资申请.xlsx", EXPORT_COLUMNS, qs, ctx=request.ctx, model="finance.loanapplication")


@router.get(
    "/institution/applications/{application_id}",
    permission=PROCESS,
    object="finance.loanapplication",
    response=FinApplicationDetail,
    summary="融资申请详情（金融机构）",
)
def incoming_detail(request, application_id: int):
    return _detail(request.ctx.get_or_404(selectors.applications(INSTITUTION), pk=application_id), INSTITUTION)


def _op(path: str, summary: str):
    return router.post(
        f"/institution/applications/{{application_id}}/{path}",
        permission=PROCESS,
        object="finance.loanapplication",
        response=FinApplicationDetail,
        summary=summary,
    )


@_op("accept", "受理融资申请")
def accept(request, application_id: int, payload: FinNoteIn):
    return _detail(_reload(services.accept(_incoming(request, application_id), note=payload.note)), INSTITUTION)


@_op("request-materials", "要求补充材料")
def request_materials(request, application_id: int, payload: FinRequiredNoteIn):
    app = services.request_materials(_incoming(request, application_id), note=payload.note)
    return _detail(_reload(app), INSTITUTION)


@_op("approve", "审批通过并授信")
def approve(request, application_id: int, payload: FinApproveIn):
    app = services.approve(
        _incoming(request, application_id),
        credit_amount=payload.credit_amount,
        rate=payload.rate,
        term_months=payload.term_months,
        note=payload.note,
    )
    return _detail(_reload(app), INSTITUTION)


@_op("reject", "审批不通过")
def reject(request, application_id: int, payload: FinReasonIn):
    return _detail(_reload(services.reject(_incoming(request, application_id), reason=payload.reason)), INSTITUTION)


@_op("disburse", "登记放款（首贷/续贷）")
def disburse(request, application_id: int, payload: FinDisburseIn):
    app = services.disburse(
        _incoming(request, application_id),
        amount=payload.amount,
        disbursed_on=payload.disbursed_on,
        loan_kind=payload.loan_kind,
        note=payload.note,
    )
    return _detail(_reload(app), INSTITUTION)


# -- government ------------------------------------------------------------------------------------------
@router.get("/applications", permission=OVERSEE, response=Page[FinApplicationOut], summary="辖区融资申请（政府）")
def government_list(request, page: Query[PageQuery], filters: Query[FinApplicationFilter]):
    return paginate(request.ctx.scoped(selectors.applications(GOVERNMENT, filters)), page)


@router.get("/applications/stats", permission=OVERSEE, response=FinLoanStatsOut, summary="融资与首贷续贷统计")
def government_stats(request, filters: Query[FinApplicationFilter]):
    return selectors.stats(request.ctx.scoped(selectors.applications(GOVERNMENT, filters)))


@router.get("/applications/export", permission=EXPORT, response={200: None}, summary="导出辖区融资申请（Excel）")
def export_applications(request, filters: Query[FinApplicationFilter]):
    qs = request.ctx.scoped(selectors.applications(GOVERNMENT, filters))
    return xlsx_response("融资申请.xlsx", EXPORT_COLUMNS, qs, ctx=request.ctx, model="finance.loanapplication")


@router.get(
    "/applications/{application_id}",
    permission=OVERSEE,
    object="finance.loanapplication",
    response=FinApplicationDetail,
    summary="融资申请详情（政府）",
)
def government_detail(request, application_id: int):
    return _detail(request.ctx.get_or_404(selectors.applications(GOVERNMENT), pk=application_id), GOVERNMENT)


@router.get(
    "/applications/{application_id}/files/{file_id}",
    permission=AUTHENTICATED,
    object="finance.loanapplication",
    response={200: None},
    summary="下载融资申请材料",
)
def download(request, application_id: int, file_id: int):
    found = selectors.visible_application(request.ctx, application_id)
    if found is None:
        raise NotFound()
    item = found[0].files.select_related("file").filter(pk=file_id).first()
    if item is None:
        raise NotFound()
    return files.file_response(item.file)
