"""Subsidy programmes and the reserve → consume / release cycle of one application's subsidy.

Concurrency: every change of a programme's ``reserved``/``consumed`` happens after
``select_for_update()`` on the programme row, and the count of an enterprise's
subsidised services is taken after that lock, so two acceptances for the same
programme are serialised. The money UPDATE is also conditional on the budget and
the table carries a CHECK constraint — three layers for one invariant.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from qifu.core import audit
from qifu.core.errors import ApiError, RuleViolation
from qifu.marketplace.models import Application, Category, SubsidyProgramme

MONEY = Decimal("0.01")
HOLDING = (Application.Subsidy.RESERVED, Application.Subsidy.CONSUMED)


def amount_for(programme: SubsidyProgramme, price: Decimal) -> Decimal:
    """The subsidy one service of ``price`` earns under ``programme`` (never more than the price)."""
    if programme.mode == SubsidyProgramme.Mode.AMOUNT:
        amount = programme.amount
    else:
        amount = (price * programme.ratio).quantize(MONEY, rounding=ROUND_HALF_UP)
    if programme.max_per_service is not None:
        amount = min(amount, programme.max_per_service)
    return max(Decimal("0.00"), min(amount, price)).quantize(MONEY)


# -- programmes ---------------------------------------------------------------------------
@transaction.atomic
def save_programme(programme: SubsidyProgramme | None, data: dict[str, Any]) -> SubsidyProgramme:
    creating = programme is None
    if not creating:
        programme = SubsidyProgramme.objects.select_for_update().get(pk=programme.pk)
    programme = programme or SubsidyProgramme()
    before = {} if creating else audit.snapshot(programme)
    if data["ends_on"] < data["starts_on"]:
        raise ApiError("marketplace.programme_period", "结束日期不能早于开始日期", status=422)
    budget = Decimal(str(data["budget"])).quantize(MONEY)
    if budget <= 0:
        raise ApiError("marketplace.programme_budget", "预算应大于 0", status=422)
    if not creating and budget < programme.reserved + programme.consumed:
        raise RuleViolation(
            "marketplace.programme_budget",
            f"预算不能低于已预留与已核销之和（{programme.reserved + programme.consumed} 元）",
        )
    mode = data.get("mode") or SubsidyProgramme.Mode.RATIO
    amount = Decimal(str(data.get("amount") or "0")).quantize(MONEY)
    ratio = Decimal(str(data.get("ratio") or "0")).quantize(Decimal("0.001"))
    if mode == SubsidyProgramme.Mode.AMOUNT and amount <= 0:
        raise ApiError("marketplace.programme_amount", "固定金额补贴请填写每次补贴金额", status=422)
    if mode == SubsidyProgramme.Mode.RATIO and not (Decimal("0") < ratio <= Decimal("1")):
        raise ApiError("marketplace.programme_ratio", "补贴比例应在 0 到 1 之间（例如 0.5 表示 50%）", status=422)
    limit = int(data.get("per_enterprise_limit") or 5)
    if not 1 <= limit <= 5:
        raise ApiError("marketplace.programme_limit", "每家企业的补贴次数应为 1–5 次", status=422)
    categories = _categories(programme if not creating else None, data.get("category_ids") or [])
    for name in ("name", "starts_on", "ends_on", "description"):
        if name in data and data[name] is not None:
            setattr(programme, name, data[name])
    programme.budget = budget
    programme.mode = mode
    programme.amount = amount
    programme.ratio = ratio
    cap = data.get("max_per_service")
    programme.max_per_service = Decimal(str(cap)).quantize(MONEY) if cap not in (None, "") else None
    programme.per_enterprise_limit = limit
    if data.get("status"):
        programme.status = data["status"]
    programme.save()
    programme.categories.set(categories)
    after = audit.snapshot(programme) | {"categories": sorted(c.pk for c in categories)}
    audit.record(
        "marketplace.programme.create" if creating else "marketplace.programme.update",
        programme,
        changes=audit.diff(before, after),
    )
    return programme


def _categories(programme: SubsidyProgramme | None, ids: list[int]) -> list[Category]:
    """The programme's categories: active ones, or ones it already covers (a category disabled later
    stays on the programme until removed, so an older programme stays editable — as policies keep
    their tags). A top category is allowed: it covers the products of its sub-categories too
    (``_candidates`` matches a product's category and its parent)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise ApiError("marketplace.programme_categories", "请选择至少一个服务类别", status=422)
    found = {c.pk: c for c in Category.objects.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ApiError(
            "marketplace.programme_categories",
            "所选服务类别不存在，请刷新后重选",
            status=422,
            detail={"category_ids": missing},
        )
    kept = set(programme.categories.values_list("pk", flat=True)) if programme is not None else set()
    inactive = [found[i] for i in ids if not found[i].is_active and i not in kept]
    if inactive:
        raise ApiError(
            "marketplace.programme_category_inactive",
            f"服务类别{'、'.join(f'「{c.name}」' for c in inactive)}已停用，不能加入补贴计划，请另选类别",
            status=422,
            detail={"category_ids": [c.pk for c in inactive]},
        )
    return [found[i] for i in ids]


# -- one application's subsidy ------------------------------------------------------------
def _candidates(application: Application):
    product = application.product
    category = product.category
    cats = [category.pk] + ([category.parent_id] if category.parent_id else [])
    today = timezone.localdate()
    return (
        SubsidyProgramme.objects.filter(
            status=SubsidyProgramme.Status.ACTIVE, starts_on__lte=today, ends_on__gte=today, categories__in=cats
        )
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()
    )


def reserve(application: Application) -> str:
    """Reserve a subsidy for an application being accepted. Runs inside the caller's transaction.

    Returns a note for the timeline ("" when the product is not subsidised at all).
    """
    product = application.product
    if not product.subsidy_eligible or application.price <= 0:
        return ""
    note = "当前没有适用的服务补贴计划"
    for programme_id in _candidates(application):
        programme = SubsidyProgramme.objects.select_for_update().get(pk=programme_id)
        amount = amount_for(programme, application.price)
        if amount <= 0:
            continue
        used = Application.objects.filter(
            subsidy_programme=programme, enterprise_id=application.enterprise_id, subsidy_status__in=HOLDING
        ).count()
        if used >= programme.per_enterprise_limit:
            note = f"本企业在「{programme.name}」中已享受 {used} 次补贴，达到上限"
            continue
        updated = SubsidyProgramme.objects.filter(
            Q(pk=programme.pk) & Q(budget__gte=F("reserved") + F("consumed") + amount)
        ).update(reserved=F("reserved") + amount, updated_at=timezone.now())
        if not updated:
            note = f"「{programme.name}」预算余额不足"
            continue
        application.subsidy_programme = programme
        application.subsidy_amount = amount
        application.subsidy_status = Application.Subsidy.RESERVED
        application.subsidy_note = f"已在「{programme.name}」预留补贴 {amount} 元"
        audit.record(
            "marketplace.subsidy.reserve",
            programme,
            changes={"application": {"after": application.number}, "amount": {"after": str(amount)}},
        )
        return application.subsidy_note
    application.subsidy_note = note
    return note


def release(application: Application) -> None:
    """Give a reservation back to the programme (cancellation, refusal)."""
    if application.subsidy_status != Application.Subsidy.RESERVED:
        return
    programme = SubsidyProgramme.objects.select_for_update().get(pk=application.subsidy_programme_id)
    SubsidyProgramme.objects.filter(pk=programme.pk).update(
        reserved=F("reserved") - application.subsidy_amount, updated_at=timezone.now()
    )
    audit.record(
        "marketplace.subsidy.release",
        programme,
        changes={"application": {"after": application.number}, "amount": {"after": str(application.subsidy_amount)}},
    )
    application.subsidy_status = Application.Subsidy.RELEASED


def consume(application: Application) -> None:
    """Turn the reservation into spending (verification)."""
    if application.subsidy_status != Application.Subsidy.RESERVED:
        raise RuleViolation("marketplace.subsidy_state", "该申请没有待核销的补贴预留")
    programme = SubsidyProgramme.objects.select_for_update().get(pk=application.subsidy_programme_id)
    SubsidyProgramme.objects.filter(pk=programme.pk).update(
        reserved=F("reserved") - application.subsidy_amount,
        consumed=F("consumed") + application.subsidy_amount,
        updated_at=timezone.now(),
    )
    audit.record(
        "marketplace.subsidy.consume",
        programme,
        changes={"application": {"after": application.number}, "amount": {"after": str(application.subsidy_amount)}},
    )
    application.subsidy_status = Application.Subsidy.CONSUMED
