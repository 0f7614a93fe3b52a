"""Reads of the policy library: filtered full-text search, cards and details, eligibility."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from qifu.core import fieldrules, richtext, search
from qifu.policies import facts as F
from qifu.policies import rules
from qifu.policies.models import Policy, PolicyTag, Subscription
from qifu.policies.search_index import POLICIES

S = Policy.Status
PUBLIC_STATUSES = (S.PUBLISHED, S.EXPIRED)


def open_now_q(today=None) -> Q:
    """Published and inside the application window (an open end means no deadline)."""
    today = today or timezone.localdate()
    return (
        Q(status=S.PUBLISHED)
        & (Q(apply_start__isnull=True) | Q(apply_start__lte=today))
        & (Q(apply_end__isnull=True) | Q(apply_end__gte=today))
    )


def industry_choices() -> list[dict[str, str]]:
    """The industries the ``industry`` filter understands: every 门类, each followed by its 大类."""
    from qifu.orgs.industries import DIVISIONS, SECTIONS

    out = []
    for section, name in SECTIONS:
        out.append({"code": section, "name": name, "section": ""})
        out += [{"code": code, "name": label, "section": s} for s, code, label in DIVISIONS if s == section]
    return out


def _industry_keys(code: str) -> list[str]:
    from qifu.orgs.industries import DIVISIONS

    code = code.strip().upper()
    keys = [code]
    section = next((s for s, division, _ in DIVISIONS if code.startswith(division)), None)
    if section:
        keys.append(section)
    return keys


def policies(filters, *, public: bool, ctx) -> tuple[QuerySet[Policy], list[str], str | None]:
    """(policies, query terms, query to rank by) for ``filters``; public callers see published and
    expired only. For relevance order the queryset is returned *without* the text match and the
    query comes third: ``page_of`` ranks the matches itself (``search.ranked_page``, the fast path).
    The text matches only fields the request's field rules let the user see (``ctx``)."""
    qs = Policy.objects.all()
    if not public and filters.status:
        qs = qs.filter(status=filters.status)
    if filters.level:
        qs = qs.filter(level=filters.level)
    if filters.department:
        qs = qs.filter(department=filters.department)
    if filters.support_type:
        qs = qs.filter(support_type=filters.support_type)
    if getattr(filters, "origin", None) and not public:
        qs = qs.filter(origin=filters.origin)
    if filters.tag:
        qs = qs.filter(pk__in=Policy.tags.through.objects.filter(policytag_id=filters.tag).values("policy_id"))
    if filters.industry:
        through = Policy.industries.through.objects
        targeted = through.filter(industry__code__in=_industry_keys(filters.industry)).values("policy_id")
        # A policy naming no industry applies to every industry.
        qs = qs.filter(Q(pk__in=targeted) | ~Q(pk__in=through.values("policy_id")))
    if filters.open_now:
        qs = qs.filter(open_now_q())
    if public:
        # The public list is not data-scoped, so ``ctx.scoped`` never checks its filters: a filter on a
        # field hidden or masked for a signed-in visitor (the department) must match nothing here, or
        # the value could be probed. The status condition is the server's and comes after the check.
        qs = fieldrules.restrict_filters(ctx, qs)
        qs = qs.filter(status=filters.status if filters.status in PUBLIC_STATUSES else S.PUBLISHED)
    terms = search.query_terms(filters.q)
    if terms and filters.sort == "relevance":
        return qs, terms, filters.q
    qs = search.filter(POLICIES, qs, filters.q, ctx=ctx).order_by("-publish_date", "-id")
    if public:
        # Nor does anything check its order: with the publish date hidden or masked for a signed-in
        # visitor, newest-first would give the dates away: the list falls back to newest entered first.
        qs = fieldrules.restrict_ordering(ctx, qs)
    return qs, terms, None


def page_of(qs: QuerySet[Policy], query, terms: list[str], rank_q: str | None = None, *, ctx) -> dict[str, Any]:
    """One page of cards. The ordering runs over ids only, then the page's rows are loaded:
    sorting thousands of full rows (bodies included) to keep twenty would dominate the query."""
    start = (query.page - 1) * query.size
    if rank_q:
        ids, total = search.ranked_page(POLICIES, qs, rank_q, ctx=ctx, offset=start, limit=query.size)
    else:
        total = qs.count()
        ids = list(qs.values_list("pk", flat=True)[start : start + query.size])
    rows = {p.pk: p for p in Policy.objects.filter(pk__in=ids).prefetch_related("tags")}
    return {
        "items": [card(rows[i], terms, ctx) for i in ids if i in rows],
        "total": total,
        "page": query.page,
        "size": query.size,
    }


def is_open(policy: Policy, today=None) -> bool:
    today = today or timezone.localdate()
    return (
        policy.status == S.PUBLISHED
        and (policy.apply_start is None or policy.apply_start <= today)
        and (policy.apply_end is None or policy.apply_end >= today)
    )


def tag_out(tag: PolicyTag, ctx=None) -> dict[str, Any]:
    shown = fieldrules.wrap(tag, ctx)  # tags are rows of their own, with rules of their own
    return {"id": tag.pk, "name": shown.name, "kind": shown.kind, "category": shown.category}


def _label(policy: Policy, shown: Any, name: str) -> str:
    """A choice's label, only when its value is shown as it is (not hidden or masked)."""
    return getattr(policy, f"get_{name}_display")() if getattr(shown, name) == getattr(policy, name) else ""


def card(policy: Policy, terms: list[str] | None = None, ctx=None) -> dict[str, Any]:
    """A policy as a list card, read through ``ctx``'s field rules (a dict carries no model, so
    the router cannot rule it afterwards). The highlighted title and the snippet are cut from
    fields the user may see only: a snippet of a hidden body would show the body."""
    terms = terms or []
    shown = fieldrules.wrap(policy, ctx)  # hidden fields read empty, masked ones masked

    def visible(name: str) -> bool:
        return not fieldrules.withheld(ctx, Policy, name)

    summary = policy.summary if visible("summary") else ""
    text = summary or (richtext.to_text(policy.body) if visible("body") else "")
    if terms and visible("body") and not any(t in text.lower() for t in terms):
        body = richtext.to_text(policy.body)
        text = body if any(t in body.lower() for t in terms) else text
    return {
        "id": policy.pk,
        "title": shown.title,
        "title_html": search.highlight(shown.title, terms if visible("title") else []),
        "number": shown.number,
        "level": shown.level,
        "level_label": _label(policy, shown, "level"),
        "department": shown.department,
        "publish_date": shown.publish_date,
        "apply_start": shown.apply_start,
        "apply_end": shown.apply_end,
        "is_open": is_open(shown),
        "support_type": shown.support_type,
        "support_type_label": _label(policy, shown, "support_type"),
        "amount_min": shown.amount_min,
        "amount_max": shown.amount_max,
        "status": shown.status,
        "status_label": _label(policy, shown, "status"),
        "origin": shown.origin,
        "tags": [tag_out(t, ctx) for t in policy.tags.all()],
        "snippet": search.snippet(text, terms, length=140),
    }


def condition_lines(tree: dict | None, depth: int = 0) -> list[str]:
    """The rule tree as indented Chinese lines for people to read."""
    if not tree:
        return []
    indent = "　" * depth
    if tree["type"] in ("all", "any"):
        lines = [f"{indent}{rules.describe(tree)}："] if depth or tree["type"] == "any" else []
        for child in tree["children"]:
            lines += condition_lines(child, depth + (1 if lines else 0))
        return lines
    return [f"{indent}{rules.describe(tree)}"]


def detail(policy: Policy, ctx=None) -> dict[str, Any]:
    """The full policy, read through ``ctx``'s field rules like the card: a dict carries no model,
    so the router cannot rule it afterwards."""
    data = card(policy, ctx=ctx)
    shown = fieldrules.wrap(policy, ctx)
    # A masked rule tree would come out as a masked string; a tree is either shown or withheld.
    conditions = shown.conditions if isinstance(shown.conditions, dict) else None
    data.update(
        {
            "summary": shown.summary,
            "body": shown.body,
            "effective_from": shown.effective_from,
            "effective_to": shown.effective_to,
            "source_url": shown.source_url,
            "source_name": shown.source_name,
            "industries": [{"code": i.code, "name": i.name} for i in policy.industries.all()],
            "conditions": conditions,
            "condition_lines": condition_lines(conditions),
            "attachments": [
                {"id": a.pk, "title": a.title, "size": a.file.size, "content_type": a.file.content_type}
                for a in fieldrules.wrap(policy.attachments.select_related("file"), ctx)
            ],
        }
    )
    return data


def admin_detail(policy: Policy, ctx) -> dict[str, Any]:
    data = detail(policy, ctx)
    user = ctx.user
    shown = fieldrules.wrap(policy, ctx)
    submitter = policy.submitter_id_kept or policy.submitted_by_id

    def name(u) -> str:
        # Read through the rules on users too (a hidden name shows the account name instead).
        u = fieldrules.wrap(u, ctx)
        return (getattr(u, "name", "") or u.username) if u else ""

    def person(field: str, deleted: bool) -> str:
        if fieldrules.withheld(ctx, Policy, field):
            return ""  # not even "deleted account": that would tell something of a hidden value
        return name(getattr(policy, field)) or ("（账号已删除）" if deleted else "")

    data.update(
        {
            "submitted_by": person("submitted_by", bool(submitter)),
            "submitted_at": shown.submitted_at,
            "reviewed_by": person("reviewed_by", False),
            "reviewed_at": shown.reviewed_at,
            "review_comment": shown.review_comment,
            "withdrawn_reason": shown.withdrawn_reason,
            "collected_from": (
                fieldrules.wrap(policy.collected_from, ctx).name
                if policy.collected_from_id and not fieldrules.withheld(ctx, Policy, "collected_from")
                else ""
            ),
            "can_review": policy.status == S.IN_REVIEW and submitter != user.pk,
        }
    )
    return data


def departments(ctx=None) -> list[str]:
    """The departments of published policies, for the filter menu; none when the department is
    hidden or masked for the visitor (the menu would list the withheld values)."""
    if fieldrules.withheld(ctx, Policy, "department"):
        return []
    return list(
        Policy.objects.filter(status=S.PUBLISHED)
        .values_list("department", flat=True)
        .annotate(n=Count("id"))
        .order_by("-n", "department")[:100]
    )


def tags_with_counts() -> QuerySet[PolicyTag]:
    return PolicyTag.objects.annotate(policy_count=Count("policies")).order_by("kind", "sort", "id")


def subscription_of(user, ctx=None) -> dict[str, Any]:
    sub = Subscription.objects.filter(user=user).prefetch_related("tags").first()
    if sub is None:
        return {"tags": [], "departments": [], "levels": []}
    return {"tags": [tag_out(t, ctx) for t in sub.tags.all()], "departments": sub.departments, "levels": sub.levels}


def eligibility(policy: Policy, enterprise, ctx=None) -> dict[str, Any]:
    """The enterprise is read through ``ctx``'s field rules: a withheld fact counts as unknown, so
    the answer (which names actual values) cannot show it."""
    shown = fieldrules.wrap(enterprise, ctx)
    known = F.from_enterprise(shown)
    result = rules.evaluate(policy.conditions, known)
    return {
        "policy_id": policy.pk,
        "enterprise": shown.name,
        **result.as_dict(),
        "known_facts": [F.FACTS[name].label for name in known],
    }
