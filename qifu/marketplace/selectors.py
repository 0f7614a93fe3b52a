"""Marketplace reads that need more than a queryset."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet

from qifu.core import fieldrules, search
from qifu.marketplace.models import (
    Application,
    Category,
    EnterpriseApplication,
    Favourite,
    GovernmentApplication,
    InstitutionApplication,
    Product,
    ProductRevision,
    Rating,
)
from qifu.marketplace.permissions import APPLY, OVERSEE, PROCESS
from qifu.marketplace.search_index import PRODUCTS
from qifu.marketplace.transitions import ENTERPRISE, GOVERNMENT, INSTITUTION

SORTS = {
    "newest": ("-listed_at", "-id"),
    "popular": ("-application_count", "-id"),
    "rating": ("-rating_count", "-id"),
    "price": ("price", "id"),
}


def category_tree(*, active_only: bool = True) -> list[dict]:
    qs = Category.objects.all().order_by("sort", "id")
    if active_only:
        qs = qs.filter(is_active=True)
    rows = list(qs)
    tops = [c for c in rows if c.parent_id is None]
    return [{"category": c, "children": [x for x in rows if x.parent_id == c.pk]} for c in tops]


def products(filters, *, ctx, base: QuerySet | None = None) -> QuerySet[Product]:
    """Products by ``filters``; the text query matches (and ranks by) only the fields the
    request's field rules let the user see (``ctx``)."""
    qs = (base if base is not None else Product.objects.all()).select_related(
        "category", "category__parent", "institution"
    )
    if getattr(filters, "category_id", None):
        qs = qs.filter(Q(category_id=filters.category_id) | Q(category__parent_id=filters.category_id))
    if getattr(filters, "institution_id", None):
        qs = qs.filter(institution_id=filters.institution_id)
    if getattr(filters, "delivery", None):
        qs = qs.filter(delivery__in=[filters.delivery, Product.Delivery.BOTH])
    if getattr(filters, "free", None) is not None:
        qs = qs.filter(is_free=filters.free)
    if getattr(filters, "subsidy", None):
        qs = qs.filter(subsidy_eligible=True)
    if getattr(filters, "status", None):
        qs = qs.filter(status=filters.status)
    order = SORTS.get(getattr(filters, "sort", None) or "newest", SORTS["newest"])
    if getattr(filters, "q", None):
        qs = search.filter(PRODUCTS, qs, filters.q, ctx=ctx)
        if not getattr(filters, "sort", None):
            order = ("-search_rank", *order)
    return qs.order_by(*order)


def live_products() -> QuerySet[Product]:
    """What the public may see: listed products of institutions still admitted (a disabled one disappears)."""
    return Product.objects.filter(status=Product.Status.LISTED, institution__status="approved")


def listed_products(filters, *, ctx) -> QuerySet[Product]:
    """The public list. It is not data-scoped, so nothing runs ``ctx.scoped``'s field-rule checks for
    it: the visitor's filters and sort go through ``restrict_filters`` / ``restrict_ordering`` here (a
    condition on a field hidden or masked for a signed-in user matches nothing, a sort by one is
    ignored), and the listing conditions are added afterwards, so a hidden status cannot empty the list.
    The text search applies the rules itself."""
    visitor = fieldrules.restrict_ordering(ctx, fieldrules.restrict_filters(ctx, products(filters, ctx=ctx)))
    return visitor.filter(status=Product.Status.LISTED, institution__status="approved")


def favourite_products(user) -> QuerySet[Product]:
    """The user's favourites, newest first — only products that were approved at least once.

    Pass the page through ``as_public`` before it goes out: a favourite may since have been
    unlisted and edited, and its columns then hold an edit nobody has reviewed.
    """
    approved = ProductRevision.objects.filter(product=OuterRef("pk"), status=ProductRevision.Status.APPROVED)
    return (
        Product.objects.filter(favourites__user=user)
        .filter(Exists(approved))
        .select_related("category", "institution")
        .order_by("-favourites__id")
    )


def is_live(product: Product) -> bool:
    return product.status == Product.Status.LISTED and product.institution.status == "approved"


def as_public(items: list[Product]) -> list[Product]:
    """Products as the public may see them, for lists that also hold products no longer listed.

    A live product is shown as it is (its columns are the approved version, even while an
    edit waits for review). Any other product is shown as its last approved version and
    marked unlisted (已下架), so an unreviewed edit never reaches the public. The objects
    are changed in memory only.
    """
    hidden = [p for p in items if not is_live(p)]
    if not hidden:
        return items
    latest: dict[int, ProductRevision] = {}
    for revision in ProductRevision.objects.filter(product__in=hidden, status=ProductRevision.Status.APPROVED).order_by(
        "product_id", "number"
    ):
        latest[revision.product_id] = revision
    categories = Category.objects.in_bulk({r.data.get("category_id") for r in latest.values()})
    for product in hidden:
        revision = latest.get(product.pk)
        data = revision.data if revision is not None else {}
        for name in Product.EDITABLE:
            if name in data:
                setattr(product, name, Decimal(str(data[name])) if name == "price" else data[name])
        if product.category_id not in categories:
            product.category = Category(pk=product.category_id, name="已停用类别")
        else:
            product.category = categories[product.category_id]
        product.status = Product.Status.UNLISTED
    return items


def pending_revisions() -> QuerySet[ProductRevision]:
    return ProductRevision.objects.filter(status=ProductRevision.Status.PENDING).select_related(
        "product", "product__institution", "product__category"
    )


def revisions_of(product: Product) -> tuple[ProductRevision | None, ProductRevision | None]:
    """(pending, latest) revision — from the prefetched rows when the list prefetched them."""
    rows = list(product.revisions.all())
    pending = next((r for r in rows if r.status == ProductRevision.Status.PENDING), None)
    latest = max(rows, key=lambda r: r.number, default=None)
    return pending, latest


def favourite_ids(user, product_ids) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        Favourite.objects.filter(user=user, product_id__in=list(product_ids)).values_list("product_id", flat=True)
    )


def product_ratings(product: Product) -> QuerySet[Rating]:
    return Rating.objects.filter(product=product).select_related("enterprise").order_by("-id")


SIDE_MODELS = {
    ENTERPRISE: EnterpriseApplication,
    INSTITUTION: InstitutionApplication,
    GOVERNMENT: GovernmentApplication,
}
SIDE_PERMISSIONS = {ENTERPRISE: APPLY, INSTITUTION: PROCESS, GOVERNMENT: OVERSEE}


def applications(side: str, filters=None) -> QuerySet[Application]:
    """Applications as one side sees them (the caller applies ``ctx.scoped`` for that side's permission)."""
    qs = SIDE_MODELS[side].objects.select_related("product", "enterprise", "institution", "subsidy_programme")
    if filters is None:
        return qs.order_by("-id")
    if getattr(filters, "status", None):
        qs = qs.filter(status__in=filters.status.split(","))
    if getattr(filters, "subsidy_status", None):
        qs = qs.filter(subsidy_status__in=filters.subsidy_status.split(","))
    if getattr(filters, "programme_id", None):
        qs = qs.filter(subsidy_programme_id=filters.programme_id)
    if getattr(filters, "institution_id", None):
        qs = qs.filter(institution_id=filters.institution_id)
    if getattr(filters, "category_id", None):
        qs = qs.filter(
            Q(product__category_id=filters.category_id) | Q(product__category__parent_id=filters.category_id)
        )
    if getattr(filters, "submitted_from", None):
        qs = qs.filter(created_at__date__gte=filters.submitted_from)
    if getattr(filters, "submitted_to", None):
        qs = qs.filter(created_at__date__lte=filters.submitted_to)
    if getattr(filters, "q", None):
        qs = qs.filter(
            Q(number__icontains=filters.q)
            | Q(product_name__icontains=filters.q)
            | Q(enterprise__name__icontains=filters.q)
        )
    return qs.order_by("-id")


def visible_application(ctx, pk: int) -> tuple[Application, str] | None:
    """The application if any side the user acts for may see it, with that side."""
    for side in (ENTERPRISE, INSTITUTION, GOVERNMENT):
        permission = SIDE_PERMISSIONS[side]
        if not ctx.has_perm(permission):
            continue
        app = ctx.scoped(SIDE_MODELS[side].objects.all(), permission).filter(pk=pk).first()
        if app is not None:
            return app, side
    return None
