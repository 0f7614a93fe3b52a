"""The message centre: a user's in-site messages and their opt-outs (every write on the user's own rows)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from qifu.core import audit
from qifu.messaging import categories, events
from qifu.messaging.models import Message, OptOut

OPT_OUT_CHANNELS = ("sms", "wechat", "email")


def messages_of(user):
    return Message.objects.filter(user=user)


def unread_counts(user) -> dict:
    counts: dict[str, int] = {}
    for category in messages_of(user).filter(is_read=False).values_list("category", flat=True):
        counts[category] = counts.get(category, 0) + 1
    return {"unread": sum(counts.values()), "by_category": counts}


@transaction.atomic
def mark_read(message: Message) -> Message:
    if not message.is_read:
        message.is_read = True
        message.read_at = timezone.now()
        message.save(update_fields=["is_read", "read_at", "updated_at"])
        audit.record("messaging.message.read", message, changes={"is_read": {"before": False, "after": True}})
    return message


@transaction.atomic
def mark_all_read(user, *, category: str = "") -> int:
    qs = messages_of(user).filter(is_read=False)
    if category:
        qs = qs.filter(category=category)
    count = qs.update(is_read=True, read_at=timezone.now(), updated_at=timezone.now())
    if count:
        audit.record(
            "messaging.message.read_all", None, changes={"count": {"after": count}, "category": {"after": category}}
        )
    return count


@transaction.atomic
def delete_message(message: Message) -> None:
    snapshot = audit.snapshot(message, fields=["title", "category", "is_read"])
    audit.record("messaging.message.delete", message, changes=audit.diff(snapshot, {}))
    message.delete()


def essential_categories() -> set[str]:
    """Categories nobody can opt out of: essential ones, and those whose every event is essential."""
    essential = {c.code for c in categories.all_categories() if c.essential}
    by_category: dict[str, list[bool]] = {}
    for event in events.all_events():
        by_category.setdefault(event.category, []).append(event.essential)
    essential.update(code for code, flags in by_category.items() if all(flags))
    return essential


def preferences(user) -> list[dict]:
    """Every category the user may receive, with the channels they opted out of."""
    outs: dict[str, set[str]] = {}
    for category, channel in OptOut.objects.filter(user=user).values_list("category", "channel"):
        outs.setdefault(category, set()).add(channel)
    essential = essential_categories()
    rows = []
    for category in sorted(categories.REGISTRY):
        opted = outs.get(category, set())
        is_essential = category in essential
        rows.append(
            {
                "category": category,
                "label": categories.label(category),
                "essential": is_essential,
                "channels": {c: not is_essential and (c in opted or "" in opted) for c in OPT_OUT_CHANNELS},
            }
        )
    return rows


@transaction.atomic
def set_opt_outs(user, changes: list[dict]) -> list[dict]:
    """``changes``: ``[{"category", "channel", "opted_out"}]``. Essential categories refuse opt-outs."""
    from qifu.core.errors import ApiError

    known = {row["category"]: row for row in preferences(user)}
    for change in changes:
        category, channel = change["category"], change["channel"]
        if category not in known:
            raise ApiError("messaging.unknown_category", f"消息类别 {category} 不存在", status=422)
        if channel not in OPT_OUT_CHANNELS:
            raise ApiError("messaging.bad_channel", "只能退订短信、微信或邮件；站内信始终保留", status=422)
        if known[category]["essential"] and change["opted_out"]:
            raise ApiError(
                "messaging.essential_category",
                f"「{known[category]['label']}」是必达消息，不能退订",
                status=422,
            )
    for change in changes:
        category, channel, out = change["category"], change["channel"], change["opted_out"]
        if out:
            _, created = OptOut.objects.get_or_create(user=user, category=category, channel=channel)
        else:
            created = OptOut.objects.filter(user=user, category=category, channel__in=[channel, ""]).delete()[0] > 0
        if created:
            audit.record(
                "messaging.optout.set" if out else "messaging.optout.clear",
                None,
                changes={"category": {"after": category}, "channel": {"after": channel}},
            )
    return preferences(user)
