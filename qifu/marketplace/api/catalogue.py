"""Categories, public browsing, favourites, the institution's products and the review queue."""

from __future__ import annotations

from ninja import Query, Status

from qifu.core import fieldrules
from qifu.core.pagination import Page, PageQuery, paginate
from qifu.core.permissions import PUBLIC
from qifu.marketplace import selectors
from qifu.marketplace.api.base import acting_institution, router
from qifu.marketplace.models import Category, Product, ProductRevision, ReviewProduct
from qifu.marketplace.permissions import CATEGORY_MANAGE, FAVOURITE, PRODUCT_MANAGE, PRODUCT_REVIEW
from qifu.marketplace.schemas import (
    MarketCategoryIn,
    MarketCategoryNode,
    MarketCategoryOut,
    MarketFavouriteOut,
    MarketOwnProductFilter,
    MarketOwnProductOut,
    MarketProductDetail,
    MarketProductFilter,
    MarketProductIn,
    MarketProductOut,
    MarketRatingOut,
    MarketReviewIn,
    MarketReviewItemOut,
    MarketSurveyOut,
    MarketUnlistIn,
)
from qifu.marketplace.services import catalogue as services


# -- categories -----------------------------------------------------------------------
def _tree(active_only: bool, ctx) -> list[dict]:
    # The top level is serialised here, so it is read through the rules here; the children go out
    # as models and the router rules them.
    return [
        {**MarketCategoryOut.from_orm(fieldrules.wrap(node["category"], ctx)).dict(), "children": node["children"]}
        for node in selectors.category_tree(active_only=active_only)
    ]


@router.get("/categories", permission=PUBLIC, response=list[MarketCategoryNode], summary="服务类别（两级，启用中）")
def list_categories(request):
    return _tree(True, request.ctx)


@router.get(
    "/categories/all", permission=CATEGORY_MANAGE, response=list[MarketCategoryNode], summary="服务类别管理列表"
)
def list_all_categories(request):
    return _tree(False, request.ctx)


@router.post("/categories", permission=CATEGORY_MANAGE, response={201: MarketCategoryOut}, summary="新增服务类别")
def create_category(request, payload: MarketCategoryIn):
    return Status(201, services.save_category(None, payload.dict()))


@router.put(
    "/categories/{category_id}",
    permission=CATEGORY_MANAGE,
    object="marketplace.category",
    response=MarketCategoryOut,
    summary="修改服务类别与满意度选项",
)
def update_category(request, category_id: int, payload: MarketCategoryIn):
    category = request.ctx.get_or_404(Category.objects.all(), pk=category_id)
    return services.save_category(category, payload.dict())


@router.delete(
    "/categories/{category_id}",
    permission=CATEGORY_MANAGE,
    object="marketplace.category",
    response={204: None},
    summary="删除服务类别",
)
def delete_category(request, category_id: int):
    services.delete_category(request.ctx.get_or_404(Category.objects.all(), pk=category_id))
    return Status(204, None)


@router.get(
    "/categories/{category_id}/survey",
    permission=PUBLIC,
    object="marketplace.category",
    response=MarketSurveyOut,
    summary="类别的满意度评价选项",
)
def category_survey(request, category_id: int):
    category = request.ctx.get_or_404(Category.objects.filter(is_active=True), pk=category_id)
    prompt, positive, negative = category.survey()
    return {"prompt": prompt, "positive_reasons": positive, "negative_reasons": negative}


# -- public browsing ---------------------------------------------------------------------
def _with_favourites(request, page: dict) -> dict:
    ids = selectors.favourite_ids(request.ctx.user, [p.pk for p in page["items"]])
    for product in page["items"]:
        product.favourited = product.pk in ids
    return page


@router.get("/products", permission=PUBLIC, response=Page[MarketProductOut], summary="服务产品列表（已上架）")
def list_products(request, page: Query[PageQuery], filters: Query[MarketProductFilter]):
    return _with_favourites(request, paginate(selectors.listed_products(filters, ctx=request.ctx), page))


def _detail(product: Product, request) -> Product:
    """The product with the viewer's favourite flag and its institution's rating (models go out, so rules apply)."""
    product.favourited = bool(selectors.favourite_ids(request.ctx.user, [product.pk]))
    stats = getattr(product.institution, "market_stats", None)
    product.institution_intro = product.institution.introduction
    product.institution_rating_average = stats.rating_average if stats else None
    product.institution_rating_count = stats.rating_count if stats else 0
    return product


@router.get(
    "/products/{product_id}",
    permission=PUBLIC,
    object="marketplace.product",
    response=MarketProductDetail,
    summary="服务产品详情",
)
def get_product(request, product_id: int):
    product = request.ctx.get_or_404(selectors.live_products().select_related("institution", "category"), pk=product_id)
    return _detail(product, request)


@router.get(
    "/products/{product_id}/ratings",
    permission=PUBLIC,
    object="marketplace.product",
    response=Page[MarketRatingOut],
    summary="服务产品的满意度评价",
)
def product_ratings(request, product_id: int, page: Query[PageQuery]):
    product = request.ctx.get_or_404(selectors.live_products(), pk=product_id)
    return paginate(selectors.product_ratings(product), page)


@router.post(
    "/products/{product_id}/favourite",
    permission=FAVOURITE,
    object="marketplace.product",
    response=MarketFavouriteOut,
    summary="收藏服务产品",
)
def favourite_product(request, product_id: int):
    product = request.ctx.get_or_404(selectors.live_products(), pk=product_id, permission=PUBLIC)
    services.favourite(request.ctx.user, product)
    product.refresh_from_db(fields=["favourite_count"])
    return {"favourited": True, "favourite_count": product.favourite_count}


@router.delete(
    "/products/{product_id}/favourite",
    permission=FAVOURITE,
    object="marketplace.product",
    response=MarketFavouriteOut,
    summary="取消收藏",
)
def unfavourite_product(request, product_id: int):
    product = request.ctx.get_or_404(Product.objects.all(), pk=product_id, permission=PUBLIC)
    services.unfavourite(request.ctx.user, product)
    product.refresh_from_db(fields=["favourite_count"])
    return {"favourited": False, "favourite_count": product.favourite_count}


@router.get("/favourites", permission=FAVOURITE, response=Page[MarketProductOut], summary="我的收藏")
def my_favourites(request, page: Query[PageQuery]):
    result = paginate(selectors.favourite_products(request.ctx.user), page)
    result["items"] = selectors.as_public(list(result["items"]))
    return _with_favourites(request, result)


# -- the institution's own products ------------------------------------------------------------
def _own(product: Product, request) -> Product:
    product = _detail(product, request)
    product.pending_revision, product.last_revision = selectors.revisions_of(product)
    for revision in {id(r): r for r in (product.pending_revision, product.last_revision) if r is not None}.values():
        # A revision's data is a copy of the product's fields: the product's rules apply to it
        # (in memory only; nothing saves these rows afterwards).
        revision.data = fieldrules.rule_snapshot(request.ctx, Product, revision.data)
    return product


def _own_product(request, product_id: int) -> Product:
    return request.ctx.get_or_404(Product.objects.select_related("institution", "category"), pk=product_id)


@router.get(
    "/institution/products", permission=PRODUCT_MANAGE, response=Page[MarketOwnProductOut], summary="本机构的服务产品"
)
def list_own_products(request, page: Query[PageQuery], filters: Query[MarketOwnProductFilter]):
    result = paginate(
        request.ctx.scoped(selectors.products(filters, ctx=request.ctx)).prefetch_related("revisions"), page
    )
    result["items"] = [_own(p, request) for p in result["items"]]
    return result


@router.post(
    "/institution/products",
    permission=PRODUCT_MANAGE,
    response={201: MarketOwnProductOut},
    summary="发布服务产品（提交审核）",
)
def create_product(request, payload: MarketProductIn):
    institution = acting_institution(request.ctx)
    return Status(201, _own(services.create_product(institution, payload.dict()), request))


@router.get(
    "/institution/products/{product_id}",
    permission=PRODUCT_MANAGE,
    object="marketplace.product",
    response=MarketOwnProductOut,
    summary="本机构服务产品详情",
)
def get_own_product(request, product_id: int):
    return _own(_own_product(request, product_id), request)


@router.put(
    "/institution/products/{product_id}",
    permission=PRODUCT_MANAGE,
    object="marketplace.product",
    response=MarketOwnProductOut,
    summary="修改服务产品（重新审核，已上架版本保持可见）",
)
def update_product(request, product_id: int, payload: MarketProductIn):
    product = _own_product(request, product_id)
    return _own(services.update_product(product, payload.dict()), request)


@router.post(
    "/institution/products/{product_id}/unlist",
    permission=PRODUCT_MANAGE,
    object="marketplace.product",
    response=MarketOwnProductOut,
    summary="下架服务产品",
)
def unlist_product(request, product_id: int, payload: MarketUnlistIn):
    product = _own_product(request, product_id)
    return _own(services.unlist_product(product, reason=payload.reason), request)


@router.post(
    "/institution/products/{product_id}/relist",
    permission=PRODUCT_MANAGE,
    object="marketplace.product",
    response=MarketOwnProductOut,
    summary="重新提交上架",
)
def relist_product(request, product_id: int):
    product = _own_product(request, product_id)
    return _own(services.relist_product(product), request)


# -- review queue -----------------------------------------------------------------------------
def _review_item(revision: ProductRevision, ctx) -> dict:
    """Read through ``ctx``'s rules on products and institutions (the revision's data is a copy of
    the product's fields): a dict carries no model for the router to rule."""
    product = revision.product
    shown = fieldrules.wrap(product, ctx)
    is_edit = product.status == Product.Status.LISTED
    live = None
    if is_edit:
        live = {name: getattr(shown, name) for name in Product.EDITABLE}
        live["price"] = str(product.price)
    return {
        "id": revision.pk,
        "number": revision.number,
        "status": revision.status,
        "reason": revision.reason,
        "created_at": revision.created_at,
        "data": fieldrules.rule_snapshot(ctx, Product, revision.data),
        "product_id": product.pk,
        "product_status": shown.status,
        "product_name": shown.name,
        "institution_name": shown.institution.name,
        "is_edit": is_edit,
        "live": live,
    }


@router.get("/reviews", permission=PRODUCT_REVIEW, response=Page[MarketReviewItemOut], summary="待审核的服务产品")
def list_reviews(request, page: Query[PageQuery], status: str = "pending"):
    qs = ProductRevision.objects.select_related("product", "product__institution")
    if status in ProductRevision.Status.values:
        qs = qs.filter(status=status)
    result = paginate(request.ctx.scoped(qs.order_by("id" if status == "pending" else "-id")), page)
    result["items"] = [_review_item(r, request.ctx) for r in result["items"]]
    return result


@router.post(
    "/reviews/{revision_id}",
    permission=PRODUCT_REVIEW,
    object="marketplace.productrevision",
    response=MarketReviewItemOut,
    summary="审核服务产品（通过或驳回）",
)
def review(request, revision_id: int, payload: MarketReviewIn):
    revision = request.ctx.get_or_404(ProductRevision.objects.select_related("product"), pk=revision_id)
    if payload.decision == "approve":
        revision = services.approve_revision(revision, reason=payload.reason)
    else:
        revision = services.reject_revision(revision, reason=payload.reason)
    return _review_item(
        ProductRevision.objects.select_related("product", "product__institution").get(pk=revision.pk), request.ctx
    )


@router.get(
    "/reviews/products/{product_id}",
    permission=PRODUCT_REVIEW,
    object="marketplace.product",
    response=MarketOwnProductOut,
    summary="审核时查看产品（含当前上架版本）",
)
def review_product(request, product_id: int):
    return _own(
        request.ctx.get_or_404(ReviewProduct.objects.select_related("institution", "category"), pk=product_id), request
    )
