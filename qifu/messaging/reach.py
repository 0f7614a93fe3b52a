"""Whom a sender may reach: the organisation subtrees of their data scope for sending.

A send records the sender's reach when it is created (``Send.reach``): ``None`` for a sender
whose scope is the whole tenant, else ``{"paths": [...]}`` — organisation subtrees (materialised
paths). The segment is resolved inside it by the worker, later and without the request:

- enterprises whose town (镇街) lies in a subtree — the same rule as the enterprise directory's
  data scope (``Enterprise.scope_org_field = "town"``);
- users who belong to an organisation in a subtree, or to an enterprise in reach;
- uploaded phone numbers of such users or of such enterprises' contact phones.

So a town-A staff member's "all enterprises" means the enterprises of town A.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet


def of(ctx, permission: str) -> dict | None:
    """The reach of the request's user for ``permission`` (``None`` = the whole tenant)."""
    from qifu.orgs.models import Organisation

    q = ctx.scope_filter(Organisation, permission)
    if q is None:
        return None
    minimal: list[str] = []
    for path in sorted(Organisation.objects.filter(q).values_list("path", flat=True)):
        if not any(path.startswith(top) for top in minimal):
            minimal.append(path)
    return {"paths": minimal}


def _under(field: str, reach: dict) -> Q:
    q = Q(pk__in=[])
    for path in reach.get("paths") or []:
        q |= Q(**{f"{field}__path__startswith": path})
    return q


def enterprises(queryset: QuerySet, reach: dict | None) -> QuerySet:
    return queryset if reach is None else queryset.filter(_under("town", reach))


def users(queryset: QuerySet, reach: dict | None) -> QuerySet:
    if reach is None:
        return queryset
    from qifu.orgs.models import Membership

    members = Membership.objects.filter(
        _under("organisation", reach) | _under("organisation__enterprise__town", reach)
    ).values("user_id")
    return queryset.filter(pk__in=members)


def contains(reach: dict | None, organisation) -> bool:
    return reach is None or any(organisation.path.startswith(p) for p in reach.get("paths") or [])
