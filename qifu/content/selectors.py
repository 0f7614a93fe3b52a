"""Reads of content: the live slots of a placement (cached per tenant generation), articles, the feed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone

from qifu.content import counters
from qifu.content.models import ActivityItem, Article, Signup, SiteIntro, Slot
from qifu.content.services import live_product_ids, slot_version
from qifu.core import fieldrules, tenancy

MAX_CACHE_SECONDS = 60


def live_q(now: dt.datetime) -> Q:
    return (
        Q(is_active=True)
        & (Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    )


def image_url(image_id: int | None) -> str:
    return f"/api/v1/content/images/{image_id}" if image_id else ""


def slot_out(slot: Slot, ctx=None) -> dict[str, Any]:
    """A slot read through ``ctx``'s field rules (a dict carries no model for the router to rule)."""
    shown = fieldrules.wrap(slot, ctx)
    link = shown.link_url or (
        f"/marketplace/{shown.product_id}"
        if shown.product_id
        else (f"/content/{shown.article_id}" if shown.article_id else "")
    )
    return {
        "id": slot.pk,
        "placement": shown.placement,
        "title": shown.title,
        "subtitle": shown.subtitle,
        "image_url": image_url(shown.image_id),
        "link_url": link,
        "sort": shown.sort,
    }


def _seconds_to_next_boundary(now: dt.datetime) -> int:
    """Until the next slot starts or ends: a cached list must not outlive it."""
    upcoming = (
        Slot.objects.filter(is_active=True)
        .filter(Q(starts_at__gt=now) | Q(ends_at__gt=now))
        .values_list("starts_at", "ends_at")
    )
    nearest = MAX_CACHE_SECONDS
    for starts, ends in upcoming:
        for moment in (starts, ends):
            if moment and moment > now:
                nearest = min(nearest, int((moment - now).total_seconds()) + 1)
    return max(1, nearest)


def live_slots(ctx=None) -> dict[str, list[dict[str, Any]]]:
    """Every placement's live entries in order; cached until the next change or window boundary.

    The cached lists are everyone's; a visitor whose roles rule slots gets them built through the
    rules instead (the cache must not carry one user's view)."""
    ruled = bool(fieldrules.rules_for(ctx, Slot))
    tenant_id = tenancy.current_tenant().pk
    key = f"content:slots:{tenant_id}:{slot_version(tenant_id)}"
    data = None if ruled else cache.get(key)
    if data is None:
        now = timezone.now()
        data = {placement: [] for placement in Slot.Placement.values}
        slots = list(
            Slot.objects.filter(live_q(now))
            .exclude(article__isnull=False, article__status__in=[Article.Status.DRAFT, Article.Status.ARCHIVED])
            .order_by("placement", "sort", "id")
        )
        # A slot pointing at a product shows only while the product is listed.
        listed = live_product_ids([s.product_id for s in slots if s.product_id])
        for slot in slots:
            if slot.product_id and slot.product_id not in listed:
                continue
            data[slot.placement].append(slot_out(slot, ctx if ruled else None))
        if not ruled:
            cache.set(key, data, _seconds_to_next_boundary(now))
    return data


def articles(
    kind: str | None = None, q: str | None = None, category: str | None = None, *, ctx=None
) -> QuerySet[Article]:
    """Published articles. With ``ctx`` (the public list, which no data scope covers) the visitor's
    filters and the order go through the field-rule checks ``ctx.scoped`` would make: a search on a
    hidden summary matches nothing, so it cannot be probed. The published condition comes after."""
    qs = Article.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    if category:
        qs = qs.filter(category=category)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(summary__icontains=q))
    qs = qs.order_by("-pinned", "-published_at", "-id")
    if ctx is not None:
        qs = fieldrules.restrict_ordering(ctx, fieldrules.restrict_filters(ctx, qs))
    return qs.filter(status=Article.Status.PUBLISHED)


def signup_count(article: Article) -> int:
    return article.signups.filter(status=Signup.Status.REGISTERED).count()


def _label(obj, shown, name: str) -> str:
    """A choice's label, only when its value is shown as it is (not hidden or masked)."""
    return getattr(obj, f"get_{name}_display")() if getattr(shown, name) == getattr(obj, name) else ""


def article_out(article: Article, *, with_body: bool = False, user=None, ctx=None) -> dict[str, Any]:
    """An article read through ``ctx``'s field rules: a dict carries no model, so the router cannot
    rule it afterwards (hidden fields read empty, masked ones masked)."""
    shown = fieldrules.wrap(article, ctx)
    data = {
        "id": article.pk,
        "kind": shown.kind,
        "kind_label": _label(article, shown, "kind"),
        "title": shown.title,
        "summary": shown.summary,
        "category": shown.category,
        "cover_url": image_url(shown.cover_id),
        "cover_id": shown.cover_id,
        "status": shown.status,
        "status_label": _label(article, shown, "status"),
        "pinned": shown.pinned,
        "published_at": shown.published_at,
        "starts_at": shown.starts_at,
        "ends_at": shown.ends_at,
        "location": shown.location,
        "signup_enabled": shown.signup_enabled,
        "signup_deadline": shown.signup_deadline,
        "capacity": shown.capacity,
        "signed_up": signup_count(article) if article.kind == Article.Kind.ACTIVITY else 0,
    }
    if with_body:
        data["body"] = shown.body
        data["my_signup"] = (
            Signup.objects.filter(article=article, user=user, status=Signup.Status.REGISTERED).exists()
            if user is not None and user.is_authenticated
            else False
        )
    return data


def _feed_item(item: ActivityItem, ctx=None) -> dict[str, Any]:
    shown = fieldrules.wrap(item, ctx)
    return {
        "id": item.pk,
        "category": shown.category,
        "category_label": _label(item, shown, "category"),
        "text": " ".join(str(part) for part in (shown.actor, shown.action, shown.subject) if part),
        "at": item.created_at,
    }


def feed(limit: int = 20, *, ctx=None) -> list[dict[str, Any]]:
    """The latest activity. The cached list is everyone's; a visitor whose roles rule activity items
    gets the list built through the rules instead (the cache must not carry one user's view)."""
    if fieldrules.rules_for(ctx, ActivityItem):
        return [_feed_item(item, ctx) for item in ActivityItem.objects.order_by("-id")[:limit]]
    tenant_id = tenancy.current_tenant().pk
    key = f"content:feed:{tenant_id}"
    data = cache.get(key)
    if data is None:
        data = [_feed_item(item) for item in ActivityItem.objects.order_by("-id")[:50]]
        cache.set(key, data, 60)
    return data[:limit]


def intro() -> dict[str, Any]:
    tenant = tenancy.current_tenant()
    record = SiteIntro.objects.first()
    key = f"content:counters:{tenant.pk}"
    values = cache.get(key)
    if values is None:
        values = counters.values()
        cache.set(key, values, 60)  # live within a minute; counting every table per page view is wasteful
    return {
        "title": record.title if record else tenant.name,
        "body": record.body if record else "",
        "video_url": record.video_url if record else "",
        "counters": values,
    }
