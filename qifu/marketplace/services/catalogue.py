"""Categories, products (publish → review → list; edit → pending revision; unlist), favourites."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from qifu.core import audit, search
from qifu.core.errors import ApiError, Conflict, RuleViolation
from qifu.marketplace import events, forms
from qifu.marketplace.models import Category, Favourite, Product, ProductRevision
from qifu.marketplace.search_index import PRODUCTS
from qifu.marketplace.services.common import institution_people, notify, sanitise_html
from qifu.marketplace.transitions import PRODUCT_TRANSITIONS, REVISION_TRANSITIONS

MONEY = Decimal("0.01")


# -- categories -------------------------------------------------------------------
def _clean_reasons(values: list[str] | None) -> list[str]:
    cleaned = list(dict.fromkeys(str(v).strip()[:30] for v in values or [] if str(v).strip()))
    if len(cleaned) > 20:
        raise RuleViolation("marketplace.reasons_too_many", "每组评价原因最多 20 个")
    return cleaned


@transaction.atomic
def save_category(category: Category | None, data: dict[str, Any]) -> Category:
    creating = category is None
    category = category or Category()
    before = {} if creating else audit.snapshot(category)
    parent_id = data.get("parent_id")
    if parent_id:
        parent = Category.objects.filter(pk=parent_id).first()
        if parent is None:
            raise ApiError("marketplace.category_parent", "上级类别不存在", status=422)
        # a disabled top category hides its whole branch (selectors.category_tree); one that became the
        # parent before it was disabled stays, so the sub-category can still be edited
        if not parent.is_active and (creating or category.parent_id != parent.pk):
            raise ApiError(
                "marketplace.category_parent_inactive",
                f"上级类别「{parent.name}」已停用，不能在其下新增或移入类别，请先启用它或另选上级类别",
                status=422,
            )
        if parent.parent_id is not None:
            raise RuleViolation("marketplace.category_depth", "服务类别只有两级：上级类别必须是一级类别")
        if not creating and (parent.pk == category.pk or category.children.exists()):
            raise RuleViolation("marketplace.category_depth", "已有子类别的一级类别不能再挂到其他类别下")
    for name in ("code", "name", "icon", "sort", "is_active", "rating_prompt"):
        if name in data and data[name] is not None:
            setattr(category, name, data[name])
    category.parent_id = parent_id or None
    if "positive_reasons" in data:
        category.positive_reasons = _clean_reasons(data["positive_reasons"])
    if "negative_reasons" in data:
        category.negative_reasons = _clean_reasons(data["negative_reasons"])
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError:
        raise Conflict("marketplace.category_code_taken", f"类别编码 {category.code} 已被使用，请换一个") from None
    audit.record(
        "marketplace.category.create" if creating else "marketplace.category.update",
        category,
        changes=audit.diff(before, audit.snapshot(category)),
    )
    return category


@transaction.atomic
def delete_category(category: Category) -> None:
    if category.children.exists() or Product.objects.filter(category=category).exists():
        raise RuleViolation("marketplace.category_in_use", "该类别下还有子类别或产品，不能删除；可以停用它")
    audit.record("marketplace.category.delete", category, changes=audit.diff(audit.snapshot(category), {}))
    category.delete()


# -- products ---------------------------------------------------------------------
def _disabled_category(category: Category, *, kept: int | None = None) -> Category | None:
    """The disabled one of ``category`` and its top category (a disabled top hides the branch), if
    any. ``kept`` is the category the product already has: it may stay there when that was disabled
    later (older products stay editable), so it counts as usable."""
    if category.pk == kept:
        return None
    return next((c for c in (category, category.parent) if c is not None and not c.is_active), None)


def _clean_product(data: dict[str, Any], product: Product | None = None) -> dict[str, Any]:
    """Validate and normalise the editable fields of a product (a revision's data).

    The category must be enabled, and so must its top category (a disabled one hides the branch
    from the catalogue). An edit that keeps the product's current category saves even if that was
    disabled later (as policies keep their tags): older products stay editable."""
    category = Category.objects.select_related("parent").filter(pk=data.get("category_id")).first()
    if category is None:
        raise ApiError("marketplace.category_missing", "请选择一个启用中的服务类别", status=422)
    disabled = _disabled_category(category, kept=product.category_id if product is not None else None)
    if disabled is not None:
        raise ApiError(
            "marketplace.category_missing",
            f"服务类别「{disabled.name}」已停用，请选择一个启用中的服务类别",
            status=422,
            detail={"category_id": category.pk},
        )
    if category.parent_id is None and category.children.exists():
        raise RuleViolation("marketplace.category_leaf", f"「{category.name}」有子类别，请选择具体的子类别")
    is_free = bool(data.get("is_free"))
    price = Decimal(str(data.get("price") or "0")).quantize(MONEY)
    if price < 0:
        raise ApiError("marketplace.price_invalid", "价格不能为负数", status=422)
    if not is_free and price == 0:
        raise ApiError("marketplace.price_invalid", "收费产品请填写价格；免费产品请勾选“免费”", status=422)
    materials = [str(m).strip()[:50] for m in data.get("required_materials") or [] if str(m).strip()]
    if len(materials) > 20:
        raise ApiError("marketplace.materials_too_many", "所需材料最多 20 项", status=422)
    return {
        "category_id": category.pk,
        "name": data["name"].strip(),
        "summary": (data.get("summary") or "").strip(),
        "description": sanitise_html(data.get("description") or ""),
        "is_free": is_free,
        "price": "0.00" if is_free else str(price),
        "price_unit": (data.get("price_unit") or "").strip(),
        "service_area": (data.get("service_area") or "").strip(),
        "delivery": data.get("delivery") or Product.Delivery.BOTH,
        "required_materials": list(dict.fromkeys(materials)),
        "form_fields": forms.clean_definition(data.get("form_fields") or []),
        "subsidy_eligible": bool(data.get("subsidy_eligible")),
        "accept_days": int(data.get("accept_days") or 3),
    }


def _apply_data(product: Product, data: dict[str, Any]) -> None:
    for name in Product.EDITABLE:
        value = data[name]
        if name == "price":
            value = Decimal(value)
        setattr(product, name, value)


def _new_revision(product: Product, data: dict[str, Any]) -> ProductRevision:
    # A newer submission replaces the one still waiting (only one pending at a time).
    for old in ProductRevision.objects.select_for_update().filter(
        product=product, status=ProductRevision.Status.PENDING
    ):
        old.status = REVISION_TRANSITIONS["supersede"][1]
        old.save(update_fields=["status", "updated_at"])
    number = (
        ProductRevision.objects.filter(product=product).order_by("-number").values_list("number", flat=True).first()
        or 0
    ) + 1
    return ProductRevision.objects.create(product=product, number=number, data=data)


@transaction.atomic
def create_product(institution, data: dict[str, Any]) -> Product:
    if institution.status != "approved":
        raise RuleViolation("marketplace.institution_not_approved", "机构入驻审核通过后才能发布服务产品")
    cleaned = _clean_product(data)
    product = Product(institution=institution, status=Product.Status.PENDING)
    _apply_data(product, cleaned)
    product.save()
    revision = _new_revision(product, cleaned)
    audit.record(
        "marketplace.product.submit",
        product,
        changes={"revision": {"after": revision.number}, **audit.diff({}, cleaned)},
    )
    return product


@transaction.atomic
def update_product(product: Product, data: dict[str, Any]) -> Product:
    """An edit becomes a pending revision. A listed product stays listed, unchanged, until it is approved."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    cleaned = _clean_product(data, product)
    revision = _new_revision(product, cleaned)
    before = audit.snapshot(product)
    if product.status != Product.Status.LISTED:
        # Nothing public to protect: the working copy is the submission itself.
        _apply_data(product, cleaned)
        if product.status in PRODUCT_TRANSITIONS["resubmit"][0]:
            product.status = PRODUCT_TRANSITIONS["resubmit"][1]
        product.save()
    audit.record(
        "marketplace.product.revise",
        product,
        changes={"revision": {"after": revision.number}, **audit.diff(before, audit.snapshot(product))},
    )
    return product


@transaction.atomic
def approve_revision(revision: ProductRevision, *, reason: str = "") -> ProductRevision:
    revision = ProductRevision.objects.select_for_update(of=("self",)).select_related("product").get(pk=revision.pk)
    sources, target = REVISION_TRANSITIONS["approve"]
    if revision.status not in sources:
        raise RuleViolation("marketplace.revision_state", f"该版本{revision.get_status_display()}，不能再审核")
    product = Product.objects.select_for_update().get(pk=revision.product_id)
    # The revision was checked when it was submitted; its category may have been disabled (or, for an
    # edit moving a listed product, deleted) while it waited. Going live takes the product into the
    # category, so it is checked again: only a listed product keeping its live category may stay.
    category_id = revision.data.get("category_id")
    category = Category.objects.select_related("parent").filter(pk=category_id).first()
    if category is None:
        raise ApiError(
            "marketplace.revision_category_missing",
            "该版本所选的服务类别已被删除，不能通过审核；请驳回，由机构改选服务类别后重新提交",
            status=422,
            detail={"category_id": category_id},
        )
    disabled = _disabled_category(
        category, kept=product.category_id if product.status == Product.Status.LISTED else None
    )
    if disabled is not None:
        raise ApiError(
            "marketplace.revision_category_inactive",
            f"服务类别「{disabled.name}」已停用，该版本不能通过审核；请先启用该类别，或驳回并请机构改选启用中的类别",
            status=422,
            detail={"category_id": category.pk},
        )
    before = audit.snapshot(product)
    _apply_data(product, revision.data)
    product.status = PRODUCT_TRANSITIONS["approve_first"][1]
    product.listed_at = product.listed_at or timezone.now()
    product.unlisted_reason = ""
    product.save()
    revision.status = target
    revision.reason = reason
    revision.reviewed_by = _actor()
    revision.reviewed_at = timezone.now()
    revision.save()
    search.index(PRODUCTS, product)  # the index follows the live (approved) version only
    audit.record(
        "marketplace.product.approve",
        product,
        changes={"revision": {"after": revision.number}, **audit.diff(before, audit.snapshot(product))},
    )
    notify(events.PRODUCT_APPROVED, institution_people(product.institution), {"product": product.name})
    return revision


@transaction.atomic
def reject_revision(revision: ProductRevision, *, reason: str) -> ProductRevision:
    reason = (reason or "").strip()
    if not reason:
        raise ApiError("marketplace.reason_required", "驳回时请填写原因，告诉机构需要修改什么", status=422)
    revision = ProductRevision.objects.select_for_update().get(pk=revision.pk)
    sources, target = REVISION_TRANSITIONS["reject"]
    if revision.status not in sources:
        raise RuleViolation("marketplace.revision_state", f"该版本{revision.get_status_display()}，不能再审核")
    product = Product.objects.select_for_update().get(pk=revision.product_id)
    if product.status in PRODUCT_TRANSITIONS["reject_first"][0]:
        product.status = PRODUCT_TRANSITIONS["reject_first"][1]
        product.save(update_fields=["status", "updated_at"])
    # A listed product keeps its live version; only the edit is refused.
    revision.status = target
    revision.reason = reason
    revision.reviewed_by = _actor()
    revision.reviewed_at = timezone.now()
    revision.save()
    audit.record(
        "marketplace.product.reject",
        product,
        changes={"revision": {"after": revision.number}, "reason": {"after": reason}},
    )
    notify(
        events.PRODUCT_REJECTED,
        institution_people(product.institution),
        {"product": revision.data.get("name", product.name), "reason": reason},
    )
    return revision


@transaction.atomic
def unlist_product(product: Product, *, reason: str = "") -> Product:
    product = Product.objects.select_for_update().get(pk=product.pk)
    sources, target = PRODUCT_TRANSITIONS["unlist"]
    if product.status not in sources:
        raise RuleViolation(
            "marketplace.product_state", f"产品{product.get_status_display()}，只有已上架的产品可以下架"
        )
    before = audit.snapshot(product)
    product.status = target
    product.unlisted_reason = (reason or "")[:200]
    product.save()
    # A pending edit of an unlisted product is withdrawn with it.
    ProductRevision.objects.filter(product=product, status=ProductRevision.Status.PENDING).update(
        status=ProductRevision.Status.SUPERSEDED, updated_at=timezone.now()
    )
    audit.record("marketplace.product.unlist", product, changes=audit.diff(before, audit.snapshot(product)))
    return product


@transaction.atomic
def relist_product(product: Product) -> Product:
    """Put an unlisted product back: it goes through review again with its last version."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.status != Product.Status.UNLISTED:
        raise RuleViolation("marketplace.product_state", "只有已下架的产品可以重新提交上架")
    data = {name: getattr(product, name) for name in Product.EDITABLE}
    data["price"] = str(product.price)
    _new_revision(product, data)
    product.status = PRODUCT_TRANSITIONS["resubmit"][1]
    product.save(update_fields=["status", "updated_at"])
    audit.record(
        "marketplace.product.relist", product, changes={"status": {"before": "unlisted", "after": product.status}}
    )
    return product


# -- favourites -----------------------------------------------------------------------
@transaction.atomic
def favourite(user, product: Product) -> bool:
    """Idempotent: favouriting twice keeps one favourite."""
    _, created = Favourite.objects.get_or_create(user=user, product=product)
    if created:
        Product.objects.filter(pk=product.pk).update(favourite_count=F("favourite_count") + 1)
        audit.record("marketplace.product.favourite", product)
    return created


@transaction.atomic
def unfavourite(user, product: Product) -> bool:
    deleted, _ = Favourite.objects.filter(user=user, product=product).delete()
    if deleted:
        Product.objects.filter(pk=product.pk, favourite_count__gt=0).update(favourite_count=F("favourite_count") - 1)
        audit.record("marketplace.product.unfavourite", product)
    return bool(deleted)


def _actor():
    from qifu.core import requestinfo

    return requestinfo.acting_user()
