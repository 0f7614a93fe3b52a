"""Background jobs: run a send, the sweep that resumes sends a dead worker left behind, receipts.

One pending run per send
------------------------
``Send.wake_at`` is when the one pending ``run_send`` of a send is due. A run that wants to
come back later (rows waiting for a retry or held by another worker; a scheduled send that
fired early) schedules itself only through :func:`schedule`, a conditional UPDATE of
``wake_at`` that succeeds when no other run is pending (or when it *is* the pending run, which
it knows from the ``wake`` it was enqueued with). ``Send.heartbeat_at`` is the last progress
of a worker on the send (each claimed batch); the sweep leaves alone sends with a fresh
heartbeat or a pending run, so a long send is never given a second chain every minute.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY

from qifu.core import jobs
from qifu.messaging import delivery, receipts, segments, wechat_events
from qifu.messaging.models import Delivery, Send

logger = logging.getLogger("qifu.messaging")
RUN_SEND = "messaging.run_send"
SWEEP = "messaging.sweep"
RECEIPTS = "messaging.receipts"
TERMINAL = (Send.Status.COMPLETED, Send.Status.PARTIAL, Send.Status.FAILED)


def lease_delta() -> timedelta:
    return timedelta(seconds=delivery.lease_seconds())


def schedule(send: Send, at: datetime, *, wake: datetime | None = None) -> bool:
    """Arrange a run of ``send`` at ``at`` unless another run is already pending; True if queued.

    ``wake`` is the due time this run was enqueued for: a run that is the pending one may
    always schedule the next. A pending run later than ``at`` is overtaken (it still comes,
    finds little to do and does not reschedule).
    """
    now = timezone.now()
    free = Q(wake_at__isnull=True) | Q(wake_at__lte=now) | Q(wake_at__gt=at)
    if wake is not None:
        free |= Q(wake_at=wake)
    if not Send.objects.filter(pk=send.pk).filter(free).update(wake_at=at):
        return False
    jobs.enqueue(RUN_SEND, send.tenant, eta=at, send_id=send.pk, wake=at.isoformat())
    return True


def outcome(send: Send) -> tuple[str, str]:
    """The final status from the delivery states: all failed, some failed, or completed."""
    counts = dict(
        Delivery.objects.filter(send=send).values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    ok = counts.get(Delivery.State.SENT, 0) + counts.get(Delivery.State.DELIVERED, 0)
    failed = counts.get(Delivery.State.FAILED, 0)
    if failed and not ok:
        return Send.Status.FAILED, f"全部 {failed} 条投递失败，原因见投递日志"
    if failed:
        return Send.Status.PARTIAL, f"{failed} 条投递失败（成功 {ok} 条），原因见投递日志"
    return Send.Status.COMPLETED, ""


def finish(send: Send) -> str:
    status, error = outcome(send)
    Send.objects.filter(pk=send.pk, status=Send.Status.RUNNING).update(
        status=status, error=error, finished_at=timezone.now(), wake_at=None
    )
    return status


def refresh_outcome(send_ids) -> None:
    """Receipts can turn a sent row into a failed one after the send finished: restate it."""
    for send in Send.objects.filter(pk__in=list(send_ids), status__in=TERMINAL):
        status, error = outcome(send)
        if (status, error) != (send.status, send.error):
            Send.objects.filter(pk=send.pk, status__in=TERMINAL).update(status=status, error=error)


@jobs.register(RUN_SEND, retries=5, retry_delay=10, label="执行消息发送")
def run_send(send_id: int, wake: str = "") -> str:
    send = Send.objects.filter(pk=send_id).first()
    if send is None:
        return "send not found"
    if send.status == Send.Status.CANCELLED or send.status in TERMINAL:
        return f"send is {send.status}"
    woken = datetime.fromisoformat(wake) if wake else None
    now = timezone.now()
    if send.status == Send.Status.SCHEDULED and send.scheduled_at and send.scheduled_at > now:
        # fired ahead of time (another clock, a duplicate): come back at the time, once
        queued = schedule(send, send.scheduled_at, wake=woken)
        return f"not due yet; {'rescheduled' if queued else 'already scheduled'} for {send.scheduled_at.isoformat()}"
    if send.status in (Send.Status.SCHEDULED, Send.Status.QUEUED):
        # The one transition out of scheduled/queued is conditional, so a cancel racing
        # with the start has exactly one winner.
        started = Send.objects.filter(pk=send.pk, status=send.status).update(status=Send.Status.RUNNING, started_at=now)
        send.refresh_from_db()
        if not started and send.status != Send.Status.RUNNING:
            return f"send is {send.status}"
    Send.objects.filter(pk=send.pk).update(heartbeat_at=now)
    if send.prepared_at is None:
        segments.materialise(send)
    delivery.reconcile_stale(send)
    delivery.pump(send)
    if delivery.has_open(send):
        # Rows waiting for a retry, or held by another worker (alive, or dead since its
        # claim): come back when the earliest of them is due or its lease runs out.
        held = Delivery.objects.filter(send=send, state=Delivery.State.SENDING).aggregate(at=Min("claimed_at"))["at"]
        candidates = [t for t in (delivery.next_due(send), held and held + lease_delta()) if t is not None]
        at = max(min(candidates) if candidates else timezone.now(), timezone.now()) + timedelta(seconds=1)
        queued = schedule(send, at, wake=woken)
        return f"open rows remain; {'checking again' if queued else 'a run is already pending'} at {at.isoformat()}"
    return f"{finish(send)}: {send.total} deliveries"


@jobs.register(SWEEP, retries=0, schedule=crontab(minute="*"), label="消息发送巡检")
def sweep() -> str:
    """Resume sends whose worker died: scheduled ones past due, running ones with stale or idle rows.

    A send with a fresh heartbeat (a worker is at it) or a pending run is left alone.
    """
    now = timezone.now()
    lease = lease_delta()
    resumed = 0
    attended = Q(heartbeat_at__gte=now - lease) | Q(wake_at__gte=now - lease)
    due_scheduled = Send.objects.filter(status=Send.Status.SCHEDULED, scheduled_at__lte=now - lease)
    queued = Send.objects.filter(status=Send.Status.QUEUED, created_at__lte=now - lease)
    running = Send.objects.filter(status=Send.Status.RUNNING)
    for send in [*due_scheduled.exclude(attended), *queued.exclude(attended), *running.exclude(attended)]:
        if send.status == Send.Status.RUNNING:
            stuck = Delivery.objects.filter(send=send, state=Delivery.State.SENDING, claimed_at__lt=now - lease)
            idle = Delivery.objects.filter(send=send, state=Delivery.State.QUEUED, updated_at__lt=now - lease).exclude(
                next_attempt_at__gt=now
            )
            never_prepared = send.prepared_at is None and send.started_at and send.started_at < now - lease
            if not (stuck.exists() or idle.exists() or never_prepared):
                continue
        # one sweep wins the send even if two run at once
        if Send.objects.filter(pk=send.pk).exclude(attended).update(wake_at=now):
            jobs.enqueue(RUN_SEND, send.tenant, send_id=send.pk, wake=now.isoformat())
            resumed += 1
    return f"resumed {resumed} sends"


@HUEY.on_startup()
def sweep_on_start() -> None:
    """A consumer that starts (after a crash, a deploy) resumes interrupted sends at once."""
    from qifu.core.models import Tenant

    for tenant in Tenant.objects.filter(is_active=True):
        jobs.enqueue(SWEEP, tenant)


@jobs.register(RECEIPTS, retries=0, schedule=crontab(minute="*/10"), label="拉取短信回执")
def pull_receipts(limit: int = 500) -> str:
    """Upgrade SMS rows the provider accepted ("sent") to delivered / failed from its receipts.

    WeChat reports arrive by themselves (``qifu.messaging.wechat_events``); here only the ones
    that never found their row are dropped after a day.
    """
    summary, sends = receipts.pull(limit)
    refresh_outcome(sends)
    dropped = wechat_events.forget_stale()
    if dropped:
        summary += f"; dropped {dropped} unmatched WeChat reports"
    return summary
