from __future__ import annotations

from django.db.models import Q, QuerySet

from qifu.orgs.models import Enterprise


def enterprises(filters) -> QuerySet[Enterprise]:
    qs = Enterprise.objects.select_related("industry", "town")
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(credit_code__startswith=filters.q.upper()))
    if filters.town_id:
        qs = qs.filter(town_id=filters.town_id)
    if filters.industry:
        qs = qs.filter(industry__code__startswith=filters.industry)
    if filters.certification:
        qs = qs.filter(certification=filters.certification)
    return qs.order_by("-id")
