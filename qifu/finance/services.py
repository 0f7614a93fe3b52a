"""All financing writes: financial products and the loan-application state machine.

Every transition is one function here; each locks the row, checks ``transitions.TRANSITIONS``,
writes the timeline and the audit entry, and notifies the other side (messaging sends on commit).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from qifu.content import services as content_services
from qifu.core import audit, requestinfo, statemachine
from qifu.core.errors import ApiError, Conflict, RuleViolation
from qifu.core.files_models import StoredFile
from qifu.core.richtext import sanitize
from qifu.finance import events
from qifu.finance.models import FinancialProduct, LoanApplication, LoanEvent, LoanFile
from qifu.finance.transitions import ENTERPRISE, INSTITUTION, TRANSITIONS
from qifu.marketplace.services.common import enterprise_people, institution_people, new_number, notify
from qifu.policies import facts as policy_facts
from qifu.policies.references import validate_rule
from qifu.policies.rules import INELIGIBLE, evaluate

S = LoanApplication.Status
MONEY = Decimal("0.01")
OPEN_STATES = (S.SUBMITTED, S.ACCEPTED, S.MATERIALS_REQUESTED, S.APPROVED)
MATERIAL_PURPOSE = "finance-material"
FINANCE_KINDS = ("bank", "guarantor", "insurer", "other")


_actor = requestinfo.acting_user


# -- financial products ----------------------------------------------------------------------------
def _clean_product(data: dict[str, Any]) -> dict[str, Any]:
    min_amount = Decimal(str(data["min_amount"])).quantize(MONEY)
    max_amount = Decimal(str(data["max_amount"])).quantize(MONEY)
    if min_amount <= 0 or max_amount < min_amount:
        raise ApiError("finance.amount_range", "额度范围不正确：最低额度应大于 0 且不高于最高额度", status=422)
    min_rate, max_rate = Decimal(str(data["min_rate"])), Decimal(str(data["max_rate"]))
    if min_rate < 0 or max_rate < min_rate or max_rate > 36:
        raise ApiError("finance.rate_range", "利率范围不正确：应在 0%–36% 之间且最低不高于最高", status=422)
    if data["min_term"] < 1 or data["max_term"] < data["min_term"]:
        raise ApiError("finance.term_range", "期限范围不正确：最短期限至少 1 个月且不长于最长期限", status=422)
    materials = [str(m).strip()[:50] for m in data.get("required_materials") or [] if str(m).strip()]
    return {
        "name": data["name"].strip(),
        "kind": data["kind"],
        "summary": (data.get("summary") or "").strip(),
        "description": sanitize(data.get("description") or ""),
        "min_amount": min_amount,
        "max_amount": max_amount,
        "min_rate": min_rate,
        "max_rate": max_rate,
        "min_term": data["min_term"],
        "max_term": data["max_term"],
        "guarantee_method": (data.get("guarantee_method") or "").strip(),
        "repayment_method": (data.get("repayment_method") or "").strip(),
        "eligibility": validate_rule(data.get("eligibility")),
        "eligibility_text": (data.get("eligibility_text") or "").strip(),
        "required_materials": list(dict.fromkeys(materials))[:20],
    }


@transaction.atomic
def save_product(institution, product: FinancialProduct | None, data: dict[str, Any]) -> FinancialProduct:
    if institution.status != "approved":
        raise RuleViolation("finance.institution_not_approved", "机构入驻审核通过后才能发布金融产品")
    if institution.kind not in FINANCE_KINDS:
        raise RuleViolation("finance.institution_kind", "只有银行、担保、保险等金融机构可以发布金融产品")
    cleaned = _clean_product(data)
    creating = product is None
    if not creating:
        product = FinancialProduct.objects.select_for_update().get(pk=product.pk)
    product = product or FinancialProduct(institution=institution)
    before = {} if creating else audit.snapshot(product)
    for name, value in cleaned.items():
        setattr(product, name, value)
    product.save()
    audit.record(
        "finance.product.create" if creating else "finance.product.update",
        product,
        changes=audit.diff(before, audit.snapshot(product)),
    )
    return product


@transaction.atomic
def set_product_status(product: FinancialProduct, status: str) -> FinancialProduct:
    product = FinancialProduct.objects.select_for_update().get(pk=product.pk)
    if product.status == status:
        raise RuleViolation("finance.product_state", f"产品已经是「{product.get_status_display()}」状态")
    before = audit.snapshot(product)
    product.status = status
    product.save(update_fields=["status", "updated_at"])
    audit.record(f"finance.product.{status}", product, changes=audit.diff(before, audit.snapshot(product)))
    return product


# -- eligibility -----------------------------------------------------------------------------------
def check_eligibility(product: FinancialProduct, enterprise):
    return evaluate(product.eligibility, policy_facts.from_enterprise(enterprise))


def suggested_loan_kind(app: LoanApplication) -> str:
    """首贷 when the enterprise has no earlier disbursed loan on the platform, else 续贷."""
    earlier = LoanApplication.objects.filter(enterprise_id=app.enterprise_id, status=S.DISBURSED).exclude(pk=app.pk)
    return LoanApplication.LoanKind.RENEWAL if earlier.exists() else LoanApplication.LoanKind.FIRST


# -- state machine ---------------------------------------------------------------------------------
def _lock(app: LoanApplication) -> LoanApplication:
    return (
        LoanApplication.objects.select_for_update(of=("self",))
        .select_related("product", "enterprise", "institution")
        .get(pk=app.pk)
    )


def _move(app: LoanApplication, action: str, side: str, *, note: str = "", **fields) -> LoanApplication:
    label, sources, target = TRANSITIONS[(action, side)]
    return statemachine.apply(
        app,
        action=action,
        label=label,
        sources=sources,
        target=target,
        error_code="finance.application_state",
        audit_action=f"finance.application.{action}",
        event_model=LoanEvent,
        event_fields={"application": app, "side": side},
        note=note,
        **fields,
    )


def _tell_enterprise(app: LoanApplication, note: str = "") -> None:
    notify(
        events.LOAN_PROGRESS,
        enterprise_people(app.enterprise),
        {
            "number": app.number,
            "product": app.product_name,
            "institution": app.institution.name,
            "status": app.get_status_display(),
            "note": note,
        },
    )


def _reason(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ApiError("finance.reason_required", f"{what}时请填写原因或说明", status=422)
    return text[:300]


@transaction.atomic
def upload_material(upload) -> StoredFile:
    from qifu.core import files

    return files.save_upload(upload, purpose=MATERIAL_PURPOSE)  # records the uploader as created_by


def _attach(app: LoanApplication, materials: list[dict[str, Any]]) -> None:
    ids = [item.get("file_id") for item in materials]
    if len(ids) != len(set(ids)):
        raise ApiError("finance.material_repeated", "同一个文件不能重复提交，请为每项材料分别上传", status=422)
    for item in materials:
        stored = StoredFile.objects.filter(
            pk=item.get("file_id"), purpose=MATERIAL_PURPOSE, created_by=_actor()
        ).first()
        if stored is None:
            raise ApiError("finance.material_missing", "材料文件不存在，请重新上传", status=422)
        if LoanFile.objects.filter(file=stored).exists():
            raise Conflict("finance.material_used", f"文件「{stored.original_name}」已用于其他申请，请重新上传")
        LoanFile.objects.create(application=app, label=str(item.get("label") or "")[:100], file=stored)


@transaction.atomic
def apply(*, enterprise, product: FinancialProduct, data: dict[str, Any]) -> LoanApplication:
    if enterprise.certification != "certified":
        raise RuleViolation("finance.enterprise_not_certified", "企业认证通过后才能申请融资，请先完成企业认证")
    product = FinancialProduct.objects.select_for_update(of=("self",)).select_related("institution").get(pk=product.pk)
    if product.status != FinancialProduct.Status.LISTED:
        raise RuleViolation("finance.product_unavailable", "该金融产品已下架，暂不能申请")
    amount = Decimal(str(data["amount"])).quantize(MONEY)
    if not product.min_amount <= amount <= product.max_amount:
        raise ApiError(
            "finance.amount_out_of_range",
            f"申请金额应在 {product.min_amount} 至 {product.max_amount} 元之间",
            status=422,
        )
    term = int(data["term_months"])
    if not product.min_term <= term <= product.max_term:
        raise ApiError(
            "finance.term_out_of_range", f"申请期限应在 {product.min_term} 至 {product.max_term} 个月之间", status=422
        )
    if LoanApplication.objects.filter(enterprise=enterprise, product=product, status__in=OPEN_STATES).exists():
        raise Conflict("finance.application_duplicate", "本企业已有该产品进行中的融资申请，请在“我的融资”中查看进度")
    result = check_eligibility(product, enterprise)
    if result.status == INELIGIBLE:
        failed = "；".join(f["condition"] for f in result.failed[:3])
        raise RuleViolation(
            "finance.not_eligible",
            f"贵企业不符合该产品的申请条件{('：' + failed) if failed else ''}",
            detail=result.as_dict(),
        )
    app = LoanApplication.objects.create(
        number=new_number("RZ"),
        product=product,
        institution=product.institution,
        enterprise=enterprise,
        product_name=product.name,
        amount=amount,
        term_months=term,
        purpose=data["purpose"].strip(),
        contact_name=data["contact_name"].strip(),
        contact_phone=data["contact_phone"].strip(),
        eligibility_status=result.status,
    )
    _attach(app, data.get("materials") or [])
    FinancialProduct.objects.filter(pk=product.pk).update(application_count=F("application_count") + 1)
    LoanEvent.objects.create(application=app, action="submit", side=ENTERPRISE, to_status=app.status, actor=_actor())
    audit.record("finance.application.submit", app, changes=audit.diff({}, audit.snapshot(app)))
    notify(
        events.LOAN_SUBMITTED,
        institution_people(app.institution),
        {"number": app.number, "product": app.product_name, "enterprise": enterprise.name, "amount": str(amount)},
    )
    # The portal's anonymised "latest activity" line, written in the same transaction as the application.
    content_services.record_activity("finance", enterprise.name, "申请了", product.name)
    return app


@transaction.atomic
def accept(app: LoanApplication, *, note: str = "") -> LoanApplication:
    app = _move(_lock(app), "accept", INSTITUTION, note=note, accepted_at=timezone.now())
    _tell_enterprise(app, note)
    return app


@transaction.atomic
def request_materials(app: LoanApplication, *, note: str) -> LoanApplication:
    note = _reason(note, "要求补充材料")
    app = _move(_lock(app), "request_materials", INSTITUTION, note=note, materials_note=note)
    _tell_enterprise(app, f"需补充：{note}")
    return app


@transaction.atomic
def supply_materials(app: LoanApplication, *, materials: list[dict[str, Any]], note: str = "") -> LoanApplication:
    app = _lock(app)
    if app.status == S.MATERIALS_REQUESTED and not materials:
        raise ApiError("finance.material_required", "请上传银行要求补充的材料", status=422)
    _move(app, "supply_materials", ENTERPRISE, note=note)
    _attach(app, materials)
    notify(
        events.LOAN_SUBMITTED,
        institution_people(app.institution),
        {
            "number": app.number,
            "product": app.product_name,
            "enterprise": app.enterprise.name,
            "amount": str(app.amount),
        },
    )
    return app


@transaction.atomic
def approve(app: LoanApplication, *, credit_amount: Decimal, rate: Decimal, term_months: int, note: str = ""):
    app = _lock(app)
    credit_amount = Decimal(str(credit_amount)).quantize(MONEY)
    product = app.product
    if credit_amount <= 0 or credit_amount > product.max_amount:
        raise ApiError(
            "finance.credit_out_of_range", f"授信金额应大于 0 且不超过产品最高额度 {product.max_amount} 元", status=422
        )
    if not product.min_rate <= Decimal(str(rate)) <= product.max_rate:
        raise ApiError(
            "finance.rate_out_of_range", f"批准利率应在 {product.min_rate}%–{product.max_rate}% 之间", status=422
        )
    if not product.min_term <= term_months <= product.max_term:
        raise ApiError(
            "finance.term_out_of_range", f"批准期限应在 {product.min_term}–{product.max_term} 个月之间", status=422
        )
    _move(
        app,
        "approve",
        INSTITUTION,
        note=note or f"授信 {credit_amount} 元",
        credit_amount=credit_amount,
        approved_rate=Decimal(str(rate)),
        approved_term=term_months,
        decided_at=timezone.now(),
    )
    _tell_enterprise(app, f"授信金额 {credit_amount} 元")
    return app


@transaction.atomic
def reject(app: LoanApplication, *, reason: str) -> LoanApplication:
    reason = _reason(reason, "审批不通过")
    app = _move(_lock(app), "reject", INSTITUTION, note=reason, reason=reason, decided_at=timezone.now())
    _tell_enterprise(app, reason)
    return app


@transaction.atomic
def disburse(app: LoanApplication, *, amount: Decimal, disbursed_on, loan_kind: str, note: str = "") -> LoanApplication:
    app = _lock(app)
    amount = Decimal(str(amount)).quantize(MONEY)
    if app.status == S.APPROVED and not (0 < amount <= (app.credit_amount or 0)):
        raise ApiError(
            "finance.disbursement_out_of_range", f"放款金额应大于 0 且不超过授信金额 {app.credit_amount} 元", status=422
        )
    if disbursed_on > timezone.localdate():
        raise ApiError("finance.disbursement_date", "放款日期不能晚于今天", status=422)
    if loan_kind not in LoanApplication.LoanKind.values:
        raise ApiError("finance.loan_kind", "请选择首贷或续贷", status=422)
    label = LoanApplication.LoanKind(loan_kind).label
    _move(
        app,
        "disburse",
        INSTITUTION,
        note=note or f"放款 {amount} 元（{label}）",
        disbursed_amount=amount,
        disbursed_on=disbursed_on,
        loan_kind=loan_kind,
    )
    _tell_enterprise(app, f"放款 {amount} 元")
    return app


@transaction.atomic
def cancel(app: LoanApplication, *, reason: str) -> LoanApplication:
    reason = _reason(reason, "撤回申请")
    app = _move(_lock(app), "cancel", ENTERPRISE, note=reason, reason=reason)
    notify(
        events.LOAN_PROGRESS,
        institution_people(app.institution),
        {
            "number": app.number,
            "product": app.product_name,
            "institution": app.institution.name,
            "status": "已被企业撤回",
            "note": reason,
        },
    )
    return app
