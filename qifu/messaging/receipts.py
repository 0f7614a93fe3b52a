"""SMS receipts: upgrading rows the provider accepted ("sent") to delivered or failed.

Alibaba Cloud reports the carrier's answer through ``QuerySendDetails`` (per phone number
and Beijing calendar day). The job ``messaging.receipts`` (every 10 minutes):

- reads at most ``limit`` sent rows of the last ``QIFU_MSG_RECEIPT_DAYS`` days, least
  recently checked first (``receipt_checked_at``, never-checked rows before all others), so
  rows the provider cannot answer for yet do not hold back newer ones — each run moves on;
- asks once per phone number and day, which answers every message to that number;
- settles rows whose receipt arrived and stamps the others as checked;
- gives up on rows older than the window: they stay "sent" (the provider accepted them)
  and the log says that no carrier receipt came.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from qifu.messaging.models import Delivery

logger = logging.getLogger("qifu.messaging")

# a message is accepted a little before we record it as sent (results are written in batches)
ACCEPT_SLACK = timedelta(minutes=10)


def window_days() -> int:
    try:
        return max(1, int(os.environ.get("QIFU_MSG_RECEIPT_DAYS", 3)))
    except ValueError:
        return 3


def pull(limit: int = 500) -> tuple[str, set[int]]:
    """One run of the receipts job: (summary, ids of the sends whose rows changed)."""
    from qifu.messaging import channels

    channel = channels.get("sms")
    receipts = getattr(channel, "receipts", None)
    if receipts is None:
        return "the SMS backend has no receipts", set()
    now = timezone.now()
    days = window_days()
    cutoff = now - timedelta(days=days)
    # rows that left the window since the day before: say so in the delivery log, once
    gave_up = Delivery.objects.filter(
        channel="sms",
        state=Delivery.State.SENT,
        provider=channel.provider,
        sent_at__lt=cutoff,
        sent_at__gte=cutoff - timedelta(days=1),
        reason="",
    ).update(reason=f"发送后 {days} 天内未收到运营商回执", updated_at=now)
    rows = list(
        Delivery.objects.filter(
            channel="sms", state=Delivery.State.SENT, provider=channel.provider, sent_at__gte=cutoff
        )
        .order_by(F("receipt_checked_at").asc(nulls_first=True), "sent_at", "id")
        .values_list("pk", "address", "sent_at", "send_id")[:limit]
    )
    by_phone: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        by_phone[row[1]].append(row)
    settled, checked, sends = 0, [], set()
    for phone, group in by_phone.items():
        since = min(r[2] for r in group) - ACCEPT_SLACK
        until = max(r[2] for r in group)
        try:
            found = receipts(phone, since, until, {str(r[0]) for r in group})
        except Exception as exc:  # the provider cannot answer now: these rows wait for their next turn
            logger.warning("receipts for %s failed: %s", phone[:3] + "****" + phone[-4:], exc)
            checked += [r[0] for r in group]
            continue
        for pk, _, _, send_id in group:
            result = found.get(str(pk))
            if result is None or (result.ok and not result.delivered):  # no receipt yet
                checked.append(pk)
                continue
            now = timezone.now()
            fields = dict(provider_code=result.code[:60], updated_at=now, receipt_checked_at=now)
            if result.ok:
                fields.update(state=Delivery.State.DELIVERED, delivered_at=now)
            else:
                fields.update(state=Delivery.State.FAILED, reason=result.reason[:500])
            changed = Delivery.objects.filter(pk=pk, state=Delivery.State.SENT).update(**fields)
            settled += changed
            if changed:
                sends.add(send_id)
    if checked:
        Delivery.objects.filter(pk__in=checked).update(receipt_checked_at=timezone.now())
    summary = f"settled {settled} of {len(rows)} receipts ({len(by_phone)} numbers asked)"
    if gave_up:
        summary += f"; {gave_up} without a receipt after {days} days"
    return summary, sends
