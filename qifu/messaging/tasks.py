"""Background jobs: run a send, and the sweep that resumes sends a dead worker left behind."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Min
from django.utils import timezone
from huey import crontab

from qifu.core import jobs
from qifu.messaging import delivery, receipts, segments
from qifu.messaging.models import Delivery, Send

logger = logging.getLogger("qifu.messaging")
RUN_SEND = "messaging.run_send"
SWEEP = "messaging.sweep"


@jobs.register(RUN_SEND, retries=5, retry_delay=10, label="执行消息发送")
def run_send(send_id: int) -> str:
    send = Send.objects.filter(pk=send_id).first()
    if send is None:
        return "send not found"
    if send.status in (Send.Status.CANCELLED, Send.Status.COMPLETED, Send.Status.FAILED):
        return f"send is {send.status}"
    now = timezone.now()
    if send.status == Send.Status.SCHEDULED:
        if send.scheduled_at and send.scheduled_at > now:
            return "not due yet"
    if send.status in (Send.Status.SCHEDULED, Send.Status.QUEUED):
        # The one transition out of scheduled/queued is conditional, so a cancel racing
        # with the start has exactly one winner.
        started = Send.objects.filter(pk=send.pk, status=send.status).update(status=Send.Status.RUNNING, started_at=now)
        send.refresh_from_db()
        if not started and send.status != Send.Status.RUNNING:
            return f"send is {send.status}"
    if send.prepared_at is None:
        segments.materialise(send)
    delivery.reconcile_stale(send)
    delivery.pump(send)
    if delivery.has_open(send):
        # Rows waiting for a retry, or held by another worker (alive, or dead since its
        # claim): come back when the earliest of them is due or its lease runs out.
        held = Delivery.objects.filter(send=send, state=Delivery.State.SENDING).aggregate(at=Min("claimed_at"))["at"]
        candidates = [t for t in (delivery.next_due(send), held and held + lease_delta()) if t is not None]
        at = max(min(candidates), timezone.now()) + timedelta(seconds=1) if candidates else None
        jobs.enqueue(RUN_SEND, send.tenant, eta=at, send_id=send.pk)
        return f"open rows remain; checking again at {at.isoformat() if at else 'once'}"
    Send.objects.filter(pk=send.pk, status=Send.Status.RUNNING).update(
        status=Send.Status.COMPLETED, finished_at=timezone.now()
    )
    return f"completed {send.total} deliveries"


def lease_delta() -> timedelta:
    return timedelta(seconds=delivery.lease_seconds())


@jobs.register(SWEEP, retries=0, schedule=crontab(minute="*"), label="消息发送巡检")
def sweep() -> str:
    """Resume sends whose worker died: scheduled ones past due, running ones with stale or idle rows."""
    now = timezone.now()
    lease = timedelta(seconds=delivery.lease_seconds())
    resumed = 0
    due_scheduled = Send.objects.filter(status=Send.Status.SCHEDULED, scheduled_at__lte=now - lease)
    queued = Send.objects.filter(status=Send.Status.QUEUED, created_at__lte=now - lease)
    running = Send.objects.filter(status=Send.Status.RUNNING)
    for send in [*due_scheduled, *queued, *running]:
        if send.status == Send.Status.RUNNING:
            stuck = Delivery.objects.filter(send=send, state=Delivery.State.SENDING, claimed_at__lt=now - lease)
            idle = Delivery.objects.filter(send=send, state=Delivery.State.QUEUED, updated_at__lt=now - lease).exclude(
                next_attempt_at__gt=now
            )
            never_prepared = send.prepared_at is None and send.started_at and send.started_at < now - lease
            if not (stuck.exists() or idle.exists() or never_prepared):
                continue
        jobs.enqueue(RUN_SEND, send.tenant, send_id=send.pk)
        resumed += 1
    return f"resumed {resumed} sends"


RECEIPTS = "messaging.receipts"


@jobs.register(RECEIPTS, retries=0, schedule=crontab(minute="*/10"), label="拉取短信回执")
def pull_receipts(limit: int = 500) -> str:
    """Upgrade SMS rows the provider accepted ("sent") to delivered / failed from its receipts."""
    summary, _sends = receipts.pull(limit)
    return summary
