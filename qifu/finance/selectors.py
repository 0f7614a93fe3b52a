"""Financing reads."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from qifu.core import fieldrules
from qifu.finance.models import EnterpriseLoanApplication, FinancialProduct, InstitutionLoanApplication, LoanApplication
from qifu.finance.permissions import APPLY, OVERSEE, PROCESS
from qifu.finance.transitions import ENTERPRISE, INSTITUTION

GOVERNMENT = "government"
SIDE_MODELS = {
    ENTERPRISE: EnterpriseLoanApplication,
    INSTITUTION: InstitutionLoanApplication,
    GOVERNMENT: LoanApplication,
}
SIDE_PERMISSIONS = {ENTERPRISE: APPLY, INSTITUTION: PROCESS, GOVERNMENT: OVERSEE}


def products(filters, *, base: QuerySet | None = None) -> QuerySet[FinancialProduct]:
    qs = (base if base is not None else FinancialProduct.objects.all()).select_related("institution")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.institution_id:
        qs = qs.filter(institution_id=filters.institution_id)
    if filters.amount:
        qs = qs.filter(min_amount__lte=filters.amount, max_amount__gte=filters.amount)
    if filters.q:
        for term in filters.q.split()[:5]:
            qs = qs.filter(Q(name__icontains=term) | Q(summary__icontains=term) | Q(institution__name__icontains=term))
    return qs.order_by("-application_count", "-id")


def live_products() -> QuerySet[FinancialProduct]:
    """Listed products of institutions still admitted (a disabled institution's products disappear)."""
    return FinancialProduct.objects.filter(status=FinancialProduct.Status.LISTED, institution__status="approved")


def listed_products(filters, *, ctx) -> QuerySet[FinancialProduct]:
    """The public list. It is not data-scoped, so nothing runs ``ctx.scoped``'s field-rule checks for
    it: the visitor's filters and search words go through ``restrict_filters`` here (a condition on a
    field hidden or masked for a signed-in user matches nothing, so the value cannot be probed), and
    the listing conditions are added afterwards, so a hidden status cannot empty the list."""
    visitor = fieldrules.restrict_ordering(ctx, fieldrules.restrict_filters(ctx, products(filters)))
    return visitor.filter(status=FinancialProduct.Status.LISTED, institution__status="approved")


def applications(side: str, filters=None) -> QuerySet[LoanApplication]:
    qs = SIDE_MODELS[side].objects.select_related("product", "enterprise", "institution")
    if filters is not None:
        if filters.status:
            qs = qs.filter(status__in=filters.status.split(","))
        if filters.kind:
            qs = qs.filter(product__kind=filters.kind)
        if filters.loan_kind:
            qs = qs.filter(loan_kind=filters.loan_kind)
        if filters.institution_id:
            qs = qs.filter(institution_id=filters.institution_id)
        if filters.submitted_from:
            qs = qs.filter(created_at__date__gte=filters.submitted_from)
        if filters.submitted_to:
            qs = qs.filter(created_at__date__lte=filters.submitted_to)
        if filters.q:
            qs = qs.filter(
                Q(number__icontains=filters.q)
                | Q(product_name__icontains=filters.q)
                | Q(enterprise__name__icontains=filters.q)
            )
    return qs.order_by("-id")


def stats(qs: QuerySet[LoanApplication]) -> dict:
    """Totals for the 首贷/续贷 overview (over an already scoped queryset)."""
    zero = Decimal("0.00")
    approved = Q(status__in=[LoanApplication.Status.APPROVED, LoanApplication.Status.DISBURSED])
    disbursed = Q(status=LoanApplication.Status.DISBURSED)
    row = qs.aggregate(
        n_applications=Count("id"),
        n_applied_amount=Sum("amount"),
        n_approved=Count("id", filter=approved),
        n_credit_amount=Sum("credit_amount", filter=approved),
        n_disbursed=Count("id", filter=disbursed),
        n_disbursed_amount=Sum("disbursed_amount", filter=disbursed),
        n_first_loans=Count("id", filter=disbursed & Q(loan_kind="first")),
        n_first_loan_amount=Sum("disbursed_amount", filter=disbursed & Q(loan_kind="first")),
        n_renewals=Count("id", filter=disbursed & Q(loan_kind="renewal")),
        n_renewal_amount=Sum("disbursed_amount", filter=disbursed & Q(loan_kind="renewal")),
    )
    # Aliases carry a prefix: Django refuses an aggregate named like a field it sums.
    return {k.removeprefix("n_"): (v if v is not None else zero) for k, v in row.items()}


def visible_application(ctx, pk: int):
    for side, permission in SIDE_PERMISSIONS.items():
        if ctx.has_perm(permission):
            app = ctx.scoped(SIDE_MODELS[side].objects.all(), permission).filter(pk=pk).first()
            if app is not None:
                return app, side
    return None
