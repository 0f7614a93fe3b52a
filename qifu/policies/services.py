"""All writes of the policy library: tags, policies and their review, attachments, subscriptions.

Policy status is a state machine (``TRANSITIONS``): each transition is one function here,
audited, and a published policy is re-indexed and announced to subscribers after commit.
Review needs a second person: whoever submitted a policy cannot approve it.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from qifu.core import audit, files, richtext, search, tenancy
from qifu.core.errors import ApiError, Conflict, Forbidden, RuleViolation
from qifu.policies import references
from qifu.policies.models import CollectionSource, Policy, PolicyAttachment, PolicyTag, Subscription
from qifu.policies.search_index import POLICIES

logger = logging.getLogger(__name__)
S = Policy.Status

# action → (allowed from-states, to-state). The one table of the policy life cycle.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({S.DRAFT}), S.IN_REVIEW),
    "approve": (frozenset({S.IN_REVIEW}), S.PUBLISHED),
    "reject": (frozenset({S.IN_REVIEW}), S.DRAFT),
    "withdraw": (frozenset({S.PUBLISHED, S.EXPIRED}), S.WITHDRAWN),
    "expire": (frozenset({S.PUBLISHED}), S.EXPIRED),
    "reopen": (frozenset({S.WITHDRAWN}), S.DRAFT),
}
ACTION_LABELS = {
    "submit": "提交审核",
    "approve": "审核通过",
    "reject": "退回修改",
    "withdraw": "撤回",
    "expire": "过期",
    "reopen": "重新编辑",
}
EDITABLE = frozenset({S.DRAFT})
POLICY_FIELDS = (
    "title", "number", "level", "department", "publish_date", "effective_from", "effective_to", "apply_start",
    "apply_end", "support_type", "amount_min", "amount_max", "summary", "body", "source_url", "source_name",
    "conditions",
)  # fmt: skip


def _transition(policy: Policy, action: str) -> str:
    allowed, target = TRANSITIONS[action]
    if policy.status not in allowed:
        raise RuleViolation(
            "policies.bad_transition",
            f"当前状态为“{policy.get_status_display()}”，不能{ACTION_LABELS[action]}",
            detail={"status": policy.status, "action": action},
        )
    return target


def _lock(policy: Policy) -> Policy:
    return Policy.objects.select_for_update().get(pk=policy.pk)


# --------------------------------------------------------------------------- tags
def _tag_fields(data: dict[str, Any]) -> dict[str, Any]:
    name = (data.get("name") or "").strip()
    if not name:
        raise RuleViolation("policies.tag_name_required", "请填写标签名称")
    return {**data, "name": name}


@transaction.atomic
def create_tag(data: dict[str, Any]) -> PolicyTag:
    data = _tag_fields(data)
    if PolicyTag.objects.filter(name=data["name"]).exists():
        raise Conflict("policies.tag_exists", f"标签“{data['name']}”已存在")
    tag = PolicyTag.objects.create(**data)
    audit.record("policies.tag.create", tag, changes=audit.diff({}, audit.snapshot(tag)))
    return tag


@transaction.atomic
def update_tag(tag: PolicyTag, data: dict[str, Any]) -> PolicyTag:
    data = _tag_fields(data)
    if PolicyTag.objects.filter(name=data["name"]).exclude(pk=tag.pk).exists():
        raise Conflict("policies.tag_exists", f"标签“{data['name']}”已存在")
    before = audit.snapshot(tag)
    for key, value in data.items():
        setattr(tag, key, value)
    tag.save()
    audit.record("policies.tag.update", tag, changes=audit.diff(before, audit.snapshot(tag)))
    return tag


@transaction.atomic
def delete_tag(tag: PolicyTag) -> None:
    used = tag.policies.count()
    if used:
        raise Conflict("policies.tag_in_use", f"标签“{tag.name}”已用于 {used} 条政策，请改为停用")
    audit.record("policies.tag.delete", tag, changes=audit.diff(audit.snapshot(tag), {}))
    tag.delete()


# --------------------------------------------------------------------------- policies
def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Normalise and check the editable fields; raise before anything is written."""
    out = {k: data[k] for k in POLICY_FIELDS if k in data}
    for key in ("title", "number", "department", "summary", "source_name", "source_url"):
        if key in out:
            out[key] = (out[key] or "").strip()
    if "title" in out and not out["title"]:
        raise RuleViolation("policies.title_required", "请填写政策标题")
    if "body" in out:
        out["body"] = richtext.sanitize(out["body"])
    if out.get("source_url") and not out["source_url"].lower().startswith(("http://", "https://")):
        raise RuleViolation("policies.bad_source_url", "原文链接须以 http:// 或 https:// 开头")
    if "conditions" in out:
        out["conditions"] = references.validate_rule(out["conditions"])
    return out


def _check_consistency(policy: Policy) -> None:
    pairs = [
        ("effective_from", "effective_to", "生效日期不能晚于失效日期"),
        ("apply_start", "apply_end", "申报开始日期不能晚于截止日期"),
    ]
    for low, high, message in pairs:
        a, b = getattr(policy, low), getattr(policy, high)
        if a and b and a > b:
            raise RuleViolation("policies.bad_dates", message, detail={"fields": [low, high]})
    low, high = policy.amount_min, policy.amount_max
    for value in (low, high):
        if value is not None and Decimal(value) < 0:
            raise RuleViolation("policies.bad_amount", "支持金额不能为负数")
    if low is not None and high is not None and Decimal(low) > Decimal(high):
        raise RuleViolation("policies.bad_amount", "最低金额不能大于最高金额")


def _set_relations(policy: Policy, tag_ids: list[int] | None, industry_codes: list[str] | None) -> None:
    from qifu.orgs.models import Industry  # the shared GB/T 4754 table, not tenant-owned

    if tag_ids is not None:
        # Active tags, or tags the policy already carries (a tag disabled later stays until removed).
        kept = set(policy.tags.values_list("id", flat=True)) if policy.pk else set()
        tags = list(PolicyTag.objects.filter(Q(is_active=True) | Q(pk__in=kept), pk__in=tag_ids))
        if len(tags) != len(set(tag_ids)):
            raise RuleViolation("policies.unknown_tag", "所选标签不存在或已停用，请刷新后重选")
        policy.tags.set(tags)
    if industry_codes is not None:
        industries = list(Industry.objects.filter(code__in=industry_codes))
        if len(industries) != len(set(industry_codes)):
            known = {i.code for i in industries}
            bad = "、".join(c for c in industry_codes if c not in known)
            raise RuleViolation("policies.unknown_industry", f"行业代码不存在：{bad}")
        policy.industries.set(industries)


@transaction.atomic
def create_policy(
    data: dict[str, Any], *, tag_ids: list[int] | None = None, industry_codes: list[str] | None = None, **extra
) -> Policy:
    fields = _clean(data)
    policy = Policy(**fields, **extra)
    _check_consistency(policy)
    policy.save()
    _set_relations(policy, tag_ids, industry_codes)
    search.index(POLICIES, policy)
    audit.record("policies.policy.create", policy, changes=audit.diff({}, audit.snapshot(policy)))
    return policy


@transaction.atomic
def update_policy(
    policy: Policy, data: dict[str, Any], *, tag_ids: list[int] | None = None, industry_codes: list[str] | None = None
) -> Policy:
    policy = _lock(policy)
    if policy.status not in EDITABLE:
        raise RuleViolation(
            "policies.not_editable", f"“{policy.get_status_display()}”状态的政策不能修改，请先撤回再重新编辑"
        )
    fields = _clean(data)
    before = audit.snapshot(policy)
    before["tags"] = sorted(policy.tags.values_list("id", flat=True))
    for key, value in fields.items():
        setattr(policy, key, value)
    _check_consistency(policy)
    policy.save()
    _set_relations(policy, tag_ids, industry_codes)
    search.index(POLICIES, policy)
    after = audit.snapshot(policy)
    after["tags"] = sorted(policy.tags.values_list("id", flat=True))
    audit.record("policies.policy.update", policy, changes=audit.diff(before, after))
    return policy


@transaction.atomic
def delete_policy(policy: Policy) -> None:
    policy = _lock(policy)
    if policy.status != S.DRAFT:
        raise RuleViolation("policies.not_deletable", "只能删除草稿；已发布的政策请撤回")
    audit.record("policies.policy.delete", policy, changes=audit.diff(audit.snapshot(policy), {}))
    search.remove(POLICIES, policy.pk)
    policy.delete()


def _move(policy: Policy, action: str, **fields) -> Policy:
    before = policy.status
    policy.status = _transition(policy, action)
    for key, value in fields.items():
        setattr(policy, key, value)
    policy.save()
    changes = {"status": {"before": before, "after": policy.status}}
    changes.update(
        {
            k: {"after": v if not hasattr(v, "pk") else v.pk}
            for k, v in fields.items()
            if k.endswith("_comment") or k.endswith("_reason")
        }
    )
    audit.record(f"policies.policy.{action}", policy, changes=changes)
    return policy


@transaction.atomic
def submit_policy(policy: Policy, user) -> Policy:
    policy = _lock(policy)
    _transition(policy, "submit")
    missing = [
        label for field, label in (("department", "发文部门"), ("summary", "摘要")) if not getattr(policy, field)
    ]
    if missing:
        raise RuleViolation("policies.incomplete", f"提交审核前请填写：{'、'.join(missing)}")
    return _move(
        policy, "submit", submitted_by=user, submitter_id_kept=user.pk, submitted_at=timezone.now(), review_comment=""
    )


def submitter_of(policy: Policy) -> int | None:
    """Who submitted the policy for review, also after their account was deleted."""
    return policy.submitter_id_kept or policy.submitted_by_id


def _reviewer_check(policy: Policy, user, *, approving: bool) -> None:
    submitter = submitter_of(policy)
    if submitter is not None and submitter == user.pk:
        raise Forbidden("政策审核须由提交人以外的人员完成", code="policies.same_reviewer")
    if submitter is None and approving:
        # Nobody can show they are a second person: send it back so someone submits it again.
        raise RuleViolation(
            "policies.unknown_submitter", "无法确认该政策的提交人，不能审核通过；请退回修改，由经办人重新提交"
        )


@transaction.atomic
def approve_policy(policy: Policy, user, comment: str = "") -> Policy:
    policy = _lock(policy)
    _transition(policy, "approve")
    _reviewer_check(policy, user, approving=True)
    now = timezone.now()
    policy = _move(
        policy,
        "approve",
        reviewed_by=user,
        reviewed_at=now,
        review_comment=comment.strip(),
        published_at=policy.published_at or now,
        publish_date=policy.publish_date or timezone.localdate(),
    )
    policy_id, tenant = policy.pk, policy.tenant
    transaction.on_commit(lambda: announce_published(policy_id, tenant))
    _notify_submitter(policy, "通过", comment)
    return policy


@transaction.atomic
def reject_policy(policy: Policy, user, comment: str) -> Policy:
    policy = _lock(policy)
    _transition(policy, "reject")
    _reviewer_check(policy, user, approving=False)
    if not (comment or "").strip():
        raise RuleViolation("policies.comment_required", "退回时请填写审核意见，说明需要修改的内容")
    policy = _move(policy, "reject", reviewed_by=user, reviewed_at=timezone.now(), review_comment=comment.strip())
    _notify_submitter(policy, "未通过，已退回修改", comment)
    return policy


@transaction.atomic
def withdraw_policy(policy: Policy, user, reason: str) -> Policy:
    policy = _lock(policy)
    _transition(policy, "withdraw")
    if not (reason or "").strip():
        raise RuleViolation("policies.reason_required", "撤回时请填写原因")
    return _move(policy, "withdraw", withdrawn_reason=reason.strip())


@transaction.atomic
def reopen_policy(policy: Policy, user) -> Policy:
    policy = _lock(policy)
    return _move(policy, "reopen", submitted_by=None, submitter_id_kept=None, submitted_at=None)


@transaction.atomic
def expire_due(today: dt.date | None = None) -> int:
    """Mark published policies whose validity ended as expired (the daily job)."""
    today = today or timezone.localdate()
    count = 0
    for policy in Policy.objects.select_for_update().filter(status=S.PUBLISHED, effective_to__lt=today):
        _move(policy, "expire")
        count += 1
    return count


def _notify_submitter(policy: Policy, result: str, comment: str) -> None:
    submitter = policy.submitted_by
    if submitter is None:
        return
    from qifu.messaging.services import notify
    from qifu.policies.events import POLICY_REVIEWED

    context = {"title": policy.title, "result": result, "comment": (comment or "").strip()}
    tenant, link = policy.tenant, f"/console/policies/{policy.pk}"

    def send() -> None:
        # on_commit callbacks may run after the request's tenant scope has closed.
        with tenancy.tenant_scope(tenant):
            notify(POLICY_REVIEWED, [submitter], context, link=link)

    transaction.on_commit(send)


def subscribers_for(policy: Policy):
    """Users whose subscription matches a policy: any shared tag, its department, or its level."""
    tag_ids = list(policy.tags.values_list("id", flat=True))
    subs = Subscription.objects.select_related("user").prefetch_related("tags")
    users = []
    for sub in subs:
        wants_tag = bool(tag_ids) and any(t.pk in tag_ids for t in sub.tags.all())
        wants_dept = policy.department in (sub.departments or [])
        wants_level = policy.level in (sub.levels or [])
        if (wants_tag or wants_dept or wants_level) and sub.user.is_active:
            users.append(sub.user)
    return users


def announce_published(policy_id: int, tenant) -> int:
    """Tell subscribers about a newly published policy (runs after the approving commit)."""
    with tenancy.tenant_scope(tenant):
        return _announce(policy_id)


def _announce(policy_id: int) -> int:
    from qifu.messaging.services import notify
    from qifu.policies.events import POLICY_PUBLISHED

    policy = Policy.objects.filter(pk=policy_id, status=S.PUBLISHED).first()
    if policy is None:
        return 0
    users = subscribers_for(policy)
    if users:
        context = {
            "title": policy.title,
            "department": policy.department,
            "level": policy.get_level_display(),
            "url": f"/policies/{policy.pk}",
        }
        with transaction.atomic():
            notify(POLICY_PUBLISHED, users, context, link=f"/policies/{policy.pk}")
    return len(users)


# --------------------------------------------------------------------------- attachments
@transaction.atomic
def add_attachment(policy: Policy, upload, title: str = "") -> PolicyAttachment:
    policy = _lock(policy)
    if policy.status not in EDITABLE:
        raise RuleViolation("policies.not_editable", "只有草稿状态的政策可以添加附件")
    if policy.attachments.count() >= 20:
        raise RuleViolation("policies.too_many_attachments", "每条政策最多 20 个附件")
    stored = files.save_upload(upload, purpose="policy_attachment", allowed=("pdf", "docx", "xlsx", "jpg", "png"))
    attachment = PolicyAttachment.objects.create(
        policy=policy, file=stored, title=(title or stored.original_name)[:200]
    )
    audit.record("policies.attachment.add", policy, changes={"attachment": {"after": attachment.title}})
    return attachment


@transaction.atomic
def remove_attachment(attachment: PolicyAttachment) -> None:
    policy = _lock(attachment.policy)
    if policy.status not in EDITABLE:
        raise RuleViolation("policies.not_editable", "只有草稿状态的政策可以删除附件")
    audit.record("policies.attachment.remove", policy, changes={"attachment": {"before": attachment.title}})
    attachment.delete()


# --------------------------------------------------------------------------- subscriptions
@transaction.atomic
def save_subscription(user, *, tag_ids: list[int], departments: list[str], levels: list[str]) -> Subscription:
    tags = list(PolicyTag.objects.filter(pk__in=tag_ids, is_active=True))
    if len(tags) != len(set(tag_ids)):
        raise RuleViolation("policies.unknown_tag", "所选标签不存在或已停用，请刷新后重选")
    bad_levels = [lv for lv in levels if lv not in Policy.Level.values]
    if bad_levels:
        raise RuleViolation("policies.bad_level", f"未知的政策层级：{'、'.join(bad_levels)}")
    departments = list(dict.fromkeys(d.strip() for d in departments if d and d.strip()))[:30]
    try:
        with transaction.atomic():
            sub, _ = Subscription.objects.get_or_create(user=user)
    except IntegrityError:
        sub = Subscription.objects.get(user=user)
    before = {"tags": sorted(t.pk for t in sub.tags.all()), "departments": sub.departments, "levels": sub.levels}
    sub.departments = departments
    sub.levels = list(dict.fromkeys(levels))
    sub.save()
    sub.tags.set(tags)
    after = {"tags": sorted(t.pk for t in tags), "departments": sub.departments, "levels": sub.levels}
    audit.record("policies.subscription.save", sub, changes=audit.diff(before, after), object_repr=str(user))
    return sub


def check_duplicate(source_url: str, title: str, publish_date: dt.date | None, exclude_id: int | None = None):
    """An existing policy that is the same document: same source URL, or near-identical title and date."""
    from qifu.policies.collection import normalise_title, similar_titles

    if source_url:
        hit = Policy.objects.filter(source_url=source_url)
        if exclude_id:
            hit = hit.exclude(pk=exclude_id)
        found = hit.first()
        if found:
            return found
    key = normalise_title(title)
    if not key:
        return None
    candidates = Policy.objects.filter(Q(publish_date=publish_date) if publish_date else Q(publish_date__isnull=True))
    if exclude_id:
        candidates = candidates.exclude(pk=exclude_id)
    for policy in candidates.only("id", "title")[:500]:
        if similar_titles(key, normalise_title(policy.title)):
            return policy
    return None


def raise_if_duplicate(source_url: str, title: str, publish_date, exclude_id=None) -> None:
    found = check_duplicate(source_url, title, publish_date, exclude_id)
    if found:
        raise ApiError(
            "policies.duplicate", f"与已有政策《{found.title}》重复", status=409, detail={"policy_id": found.pk}
        )


# --------------------------------------------------------------------------- collection sources
@transaction.atomic
def save_source(source: CollectionSource | None, data: dict[str, Any]) -> CollectionSource:
    from qifu.policies.collection import compile_link_rule

    if "link_pattern" in data:
        data = {**data, "link_pattern": (data["link_pattern"] or "").strip()}
        compile_link_rule(data["link_pattern"])  # refuses invalid and catastrophically slow rules
    creating = source is None
    before = {} if creating else audit.snapshot(source)
    source = source or CollectionSource()
    for key, value in data.items():
        setattr(source, key, value)
    source.save()
    action = "policies.source.create" if creating else "policies.source.update"
    audit.record(action, source, changes=audit.diff(before, audit.snapshot(source)))
    return source


@transaction.atomic
def delete_source(source: CollectionSource) -> None:
    audit.record("policies.source.delete", source, changes=audit.diff(audit.snapshot(source), {}))
    source.delete()
