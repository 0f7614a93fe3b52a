"""All writes of content and portal configuration.

Slots (运营位) take effect at once: every change bumps the tenant's slot cache version,
and cached slot lists never outlive the next start or end of a time window.
Other capabilities append to the latest-activity feed with ``record_activity`` — the
enterprise name is masked here, so nothing identifying is ever stored in the feed.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from qifu.content.models import ActivityItem, Article, Image, Signup, SiteIntro, Slot
from qifu.core import audit, files, richtext, tenancy
from qifu.core.errors import Conflict, RuleViolation

A = Article.Status
# action → (allowed from-states, to-state)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "publish": (frozenset({A.DRAFT, A.ARCHIVED}), A.PUBLISHED),
    "archive": (frozenset({A.PUBLISHED}), A.ARCHIVED),
}
ACTION_LABELS = {"publish": "发布", "archive": "下线"}
_PHONE = re.compile(r"^1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$")
COMPANY_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "合作社", "事务所", "研究院", "公司", "中心", "厂")


# --------------------------------------------------------------------------- cache
def slot_version(tenant_id: int) -> int:
    key = f"content:slots:{tenant_id}:version"
    version = cache.get(key)
    if version is None:
        version = 1
        cache.add(key, version, None)
    return int(version)


def invalidate_slots(tenant_id: int) -> None:
    key = f"content:slots:{tenant_id}:version"
    try:
        cache.incr(key)
    except ValueError:  # the key expired or was evicted: any new value starts a fresh generation
        cache.set(key, int(timezone.now().timestamp()), None)


def _after_slot_change() -> None:
    tenant_id = tenancy.current_tenant().pk
    transaction.on_commit(lambda: invalidate_slots(tenant_id))
    # Also now: a reader in this same transaction must not see the old list.
    invalidate_slots(tenant_id)


# --------------------------------------------------------------------------- images
@transaction.atomic
def upload_image(upload, alt: str = "") -> Image:
    stored = files.save_upload(upload, purpose="content_image", allowed=("jpg", "png"))
    image = Image.objects.create(file=stored, alt=alt[:100])
    audit.record("content.image.upload", image, changes={"file": {"after": stored.pk}})
    return image


# --------------------------------------------------------------------------- articles
ARTICLE_FIELDS = (
    "kind", "title", "summary", "body", "category", "cover_id", "pinned", "starts_at", "ends_at", "location",
    "signup_enabled", "signup_deadline", "capacity",
)  # fmt: skip


def _article_fields(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: data[k] for k in ARTICLE_FIELDS if k in data}
    out["title"] = (out.get("title") or "").strip()
    if not out["title"]:
        raise RuleViolation("content.title_required", "请填写标题")
    if "body" in out:
        out["body"] = richtext.sanitize(out["body"])
    if not out.get("summary") and out.get("body"):
        out["summary"] = richtext.excerpt(out["body"], 200)
    if out.get("cover_id") and not Image.objects.filter(pk=out["cover_id"]).exists():
        raise RuleViolation("content.unknown_image", "封面图片不存在，请重新上传")
    if out.get("kind") == Article.Kind.ACTIVITY:
        starts, ends = out.get("starts_at"), out.get("ends_at")
        if starts and ends and starts > ends:
            raise RuleViolation("content.bad_window", "活动开始时间不能晚于结束时间")
        if out.get("signup_enabled") and not starts:
            raise RuleViolation("content.activity_time_required", "开放报名的活动须填写开始时间")
    elif out.get("signup_enabled"):
        raise RuleViolation("content.signup_only_activity", "只有活动可以开放报名")
    return out


@transaction.atomic
def create_article(data: dict[str, Any]) -> Article:
    article = Article.objects.create(**_article_fields(data))
    audit.record("content.article.create", article, changes=audit.diff({}, audit.snapshot(article)))
    return article


@transaction.atomic
def update_article(article: Article, data: dict[str, Any]) -> Article:
    article = Article.objects.select_for_update().get(pk=article.pk)
    fields = _article_fields({"kind": article.kind, **data})
    if fields.get("kind") != article.kind and article.signups.exists():
        raise RuleViolation("content.kind_locked", "已有报名的活动不能改为其他类型")
    before = audit.snapshot(article)
    for key, value in fields.items():
        setattr(article, key, value)
    article.save()
    audit.record("content.article.update", article, changes=audit.diff(before, audit.snapshot(article)))
    _after_slot_change()  # slots may link to this article
    return article


def _move(article: Article, action: str) -> Article:
    article = Article.objects.select_for_update().get(pk=article.pk)
    allowed, target = TRANSITIONS[action]
    if article.status not in allowed:
        raise RuleViolation(
            "content.bad_transition", f"当前状态为“{article.get_status_display()}”，不能{ACTION_LABELS[action]}"
        )
    before = article.status
    article.status = target
    if target == A.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()
    article.save()
    audit.record(f"content.article.{action}", article, changes={"status": {"before": before, "after": target}})
    _after_slot_change()
    return article


@transaction.atomic
def publish_article(article: Article) -> Article:
    return _move(article, "publish")


@transaction.atomic
def archive_article(article: Article) -> Article:
    return _move(article, "archive")


@transaction.atomic
def delete_article(article: Article) -> None:
    if article.status == A.PUBLISHED:
        raise RuleViolation("content.delete_published", "已发布的内容请先下线再删除")
    if article.signups.exists():
        raise Conflict("content.has_signups", "该活动已有报名记录，不能删除，可下线")
    audit.record("content.article.delete", article, changes=audit.diff(audit.snapshot(article), {}))
    article.delete()
    _after_slot_change()


# --------------------------------------------------------------------------- sign-ups
@transaction.atomic
def sign_up(article: Article, user, *, name: str, phone: str, organisation_name: str = "", note: str = "") -> Signup:
    article = Article.objects.select_for_update().get(pk=article.pk)
    now = timezone.now()
    if article.kind != Article.Kind.ACTIVITY or article.status != A.PUBLISHED or not article.signup_enabled:
        raise RuleViolation("content.signup_closed", "该活动未开放报名")
    if (article.signup_deadline and now > article.signup_deadline) or (article.starts_at and now > article.starts_at):
        raise RuleViolation("content.signup_closed", "报名已截止")
    name, phone = name.strip(), phone.strip()
    if not name:
        raise RuleViolation("content.name_required", "请填写姓名")
    if not _PHONE.match(phone):
        raise RuleViolation("content.bad_phone", "联系电话格式不正确（手机号或带区号的座机）")
    existing = Signup.objects.filter(article=article, user=user).first()
    if existing and existing.status == Signup.Status.REGISTERED:
        raise Conflict("content.already_signed_up", "您已报名该活动")
    taken = Signup.objects.filter(article=article, status=Signup.Status.REGISTERED).count()
    if article.capacity is not None and taken >= article.capacity:
        raise RuleViolation("content.full", "活动名额已满")
    fields = {
        "name": name[:50],
        "phone": phone,
        "organisation_name": organisation_name.strip()[:200],
        "note": note.strip()[:200],
        "status": Signup.Status.REGISTERED,
    }
    if existing:
        for key, value in fields.items():
            setattr(existing, key, value)
        existing.save()
        signup = existing
    else:
        try:
            with transaction.atomic():
                signup = Signup.objects.create(article=article, user=user, **fields)
        except IntegrityError:
            raise Conflict("content.already_signed_up", "您已报名该活动")
    audit.record("content.signup.create", signup, object_repr=f"{article.title} / {user}")
    record_activity(ActivityItem.Category.ACTIVITY, fields["organisation_name"] or "", "报名了", article.title)
    return signup


@transaction.atomic
def cancel_signup(signup: Signup) -> Signup:
    if signup.status == Signup.Status.CANCELLED:
        raise RuleViolation("content.already_cancelled", "报名已取消")
    signup.status = Signup.Status.CANCELLED
    signup.save(update_fields=["status", "updated_at"])
    audit.record("content.signup.cancel", signup, object_repr=str(signup.article))
    return signup


# --------------------------------------------------------------------------- slots
def _slot_fields(data: dict[str, Any], slot: Slot | None = None) -> dict[str, Any]:
    out = dict(data)
    out["title"] = (out.get("title") or "").strip()
    if not out["title"]:
        raise RuleViolation("content.title_required", "请填写标题")
    link = (out.get("link_url") or "").strip()
    if (
        link
        and not (link.startswith("/") and not link.startswith("//"))
        and not link.lower().startswith(("http://", "https://"))
    ):
        raise RuleViolation("content.bad_link", "链接须为站内路径（以 / 开头）或 http(s) 地址")
    out["link_url"] = link
    if out.get("starts_at") and out.get("ends_at") and out["starts_at"] >= out["ends_at"]:
        raise RuleViolation("content.bad_window", "开始展示时间须早于结束展示时间")
    if out.get("image_id") and not Image.objects.filter(pk=out["image_id"]).exists():
        raise RuleViolation("content.unknown_image", "图片不存在，请重新上传")
    if out.get("article_id"):
        article = Article.objects.filter(pk=out["article_id"]).first()
        if article is None:
            raise RuleViolation("content.unknown_article", "关联的内容不存在")
        # The portal shows only published articles (selectors.live_slots drops the rest): a slot linking
        # a draft or archived one would sit there empty. One that already linked it before it was
        # archived keeps it, so the slot stays editable (it shows again once the article is republished).
        kept = slot is not None and slot.article_id == article.pk
        if article.status != Article.Status.PUBLISHED and not kept:
            raise RuleViolation(
                "content.article_unpublished",
                f"内容「{article.title}」当前为“{article.get_status_display()}”，运营位只能关联已发布的内容，请先发布它",
            )
    if out.get("product_id"):
        if out.get("placement") != Slot.Placement.HOT_PRODUCT:
            raise RuleViolation("content.product_only_hot", "只有热门产品位可以关联服务产品")
        if out["product_id"] not in live_product_ids([out["product_id"]]):
            raise RuleViolation("content.unknown_product", "关联的服务产品不存在或未上架")
    if out.get("placement") == Slot.Placement.BANNER and not out.get("image_id"):
        raise RuleViolation("content.image_required", "Banner 须上传图片")
    return out


def live_product_ids(ids: list[int]) -> set[int]:
    """Which of ``ids`` are marketplace products the public may see now (through its selectors)."""
    from django.apps import apps

    if not ids or not apps.is_installed("qifu.marketplace"):
        return set()
    from qifu.marketplace import selectors as market

    return set(market.live_products().filter(pk__in=ids).values_list("pk", flat=True))


@transaction.atomic
def save_slot(slot: Slot | None, data: dict[str, Any]) -> Slot:
    fields = _slot_fields(data, slot)
    creating = slot is None
    before = {} if creating else audit.snapshot(slot)
    slot = slot or Slot()
    for key, value in fields.items():
        setattr(slot, key, value)
    slot.save()
    audit.record(
        "content.slot.create" if creating else "content.slot.update",
        slot,
        changes=audit.diff(before, audit.snapshot(slot)),
    )
    _after_slot_change()
    return slot


@transaction.atomic
def delete_slot(slot: Slot) -> None:
    audit.record("content.slot.delete", slot, changes=audit.diff(audit.snapshot(slot), {}))
    slot.delete()
    _after_slot_change()


@transaction.atomic
def reorder_slots(placement: str, ids: list[int]) -> None:
    slots = {s.pk: s for s in Slot.objects.select_for_update().filter(placement=placement, pk__in=ids)}
    if len(slots) != len(set(ids)):
        raise RuleViolation("content.unknown_slot", "排序列表中有不存在或不属于该位置的条目，请刷新后重试")
    for index, pk in enumerate(ids):
        slots[pk].sort = index * 10
        slots[pk].save(update_fields=["sort", "updated_at"])
    audit.record("content.slot.reorder", None, object_type="content.slot", changes={"order": {"after": ids}})
    _after_slot_change()


# --------------------------------------------------------------------------- site introduction
@transaction.atomic
def save_intro(data: dict[str, Any]) -> SiteIntro:
    title = (data.get("title") or "").strip()
    if not title:
        raise RuleViolation("content.title_required", "请填写标题")
    video = (data.get("video_url") or "").strip()
    if video and not video.lower().startswith(("https://", "http://", "/")):
        raise RuleViolation("content.bad_link", "视频地址须为 http(s) 地址或站内路径")
    intro = SiteIntro.objects.select_for_update().first() or SiteIntro()
    before = audit.snapshot(intro) if intro.pk else {}
    intro.title, intro.body, intro.video_url = title, richtext.sanitize(data.get("body") or ""), video
    intro.save()
    audit.record("content.intro.save", intro, changes=audit.diff(before, audit.snapshot(intro)))
    _after_slot_change()
    return intro


# --------------------------------------------------------------------------- latest activity
def anonymise(name: str) -> str:
    """'甲区恒瑞精密机械有限公司' → '甲区**有限公司'; unknown → '某企业'."""
    name = (name or "").strip()
    if len(name) < 4:
        return "某企业"
    suffix = next((s for s in COMPANY_SUFFIXES if name.endswith(s) and len(name) > len(s) + 1), "")
    return f"{name[:2]}**{suffix or '企业'}"


def record_activity(category: str, enterprise_name: str, action: str, subject: str) -> ActivityItem:
    """Append one anonymised line ("甲区**有限公司 申请了 首贷贴息") to the latest-activity feed."""
    if category not in ActivityItem.Category.values:
        raise ValueError(f"unknown activity category {category!r}")
    item = ActivityItem.objects.create(
        category=category, actor=anonymise(enterprise_name), action=action[:20], subject=subject[:100]
    )
    cache.delete(f"content:feed:{item.tenant_id}")
    return item
