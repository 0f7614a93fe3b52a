"""Executing a send: materialise recipients, claim deliveries, call channels, record results.

Exactly once per (send, channel, recipient)
-------------------------------------------
1. One ``Delivery`` row per (send, channel, recipient) — a unique constraint, so
   re-running the recipient resolution after a crash adds nothing twice.
2. A worker *claims* a batch with a conditional UPDATE
   (``state='queued' → 'sending'``, a fresh claim token, ``claimed_at``) that commits
   before any channel is called. Two workers (or a retried task next to a slow one)
   can never claim the same row; only claimed rows are sent.
3. In-site messages are written in the same transaction that marks the row
   delivered (``Message.delivery`` is one-to-one): truly exactly once.
4. External channels: the result is recorded right after the provider answers.
   If the worker dies between the provider accepting and that record, the row stays
   ``sending``. After the lease (``QIFU_MSG_LEASE_SECONDS``) the sweep *reconciles*
   it: channels that can look a message up at the provider by our reference
   (Aliyun SMS ``QuerySendDetails`` by ``OutId``; the console channel's log) take
   the provider's answer and never resend what arrived; channels that cannot
   (WeChat template messages, e-mail) are re-sent — at-least-once for that
   millisecond window, because losing a review result silently is worse than a
   rare duplicate (e-mail carries a stable Message-ID so mail clients fold it).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from qifu.messaging import channels
from qifu.messaging.channels.base import Outgoing, Result
from qifu.messaging.models import ChannelAddress, Delivery, Message, PushAttempt, Send, Template
from qifu.messaging.render import render

logger = logging.getLogger("qifu.messaging")

MAX_ATTEMPTS = 5


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def lease_seconds() -> int:
    return _env_int("QIFU_MSG_LEASE_SECONDS", 120)


def chunk_size() -> int:
    return max(1, _env_int("QIFU_MSG_CHUNK", 200))


def backoff(attempts: int) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base … capped at one hour."""
    base = _env_int("QIFU_MSG_BACKOFF_SECONDS", 30)
    return timedelta(seconds=min(3600, base * 2 ** max(0, attempts - 1)))


class RateLimiter:
    """At most ``rate`` messages per second on a channel, counted across every process.

    The count lives in the cache (Redis in production, so all workers and web processes
    share it): a fixed window per second (1/rate seconds below one message per second) whose
    counter is incremented atomically; a caller that finds the window full sleeps until the
    next one. With the embedded default (an in-process cache) the count is per process.
    """

    def __init__(self, channel: str, rate: float):
        self.channel = channel
        self.rate = rate
        self.window = 1.0 if rate >= 1 else 1.0 / rate if rate > 0 else 1.0
        self.allowed = max(1, int(rate * self.window))

    def acquire(self, timeout: float | None = None) -> bool:
        """Take one message of the allowance; False if that needs more than ``timeout`` seconds."""
        if self.rate <= 0:
            return True
        from django.core.cache import cache

        started = _clock()
        while True:
            now = _clock()
            slot = int(now // self.window)
            key = f"qifu:msg:rate:{self.channel}:{self.rate:g}:{slot}"
            try:
                taken = cache.incr(key)  # one round trip in the common case
            except ValueError:  # the window's first message: open it (add is atomic), then count
                cache.add(key, 0, timeout=int(self.window) + 5)
                continue
            if taken <= self.allowed:
                return True
            wake = (slot + 1) * self.window
            if timeout is not None and wake - started > timeout:
                return False
            _sleep(max(0.0, wake - now))

    def wait(self) -> None:
        self.acquire()


# the limiter's clock and sleep (tests replace them; nothing real waits in a test)
_clock = time.time
_sleep = time.sleep

_limiters: dict[tuple[str, float], RateLimiter] = {}


def configured_rate(channel: str, default: float) -> float:
    """Messages per second allowed on ``channel`` (``QIFU_MSG_RATE_<CHANNEL>``; 0 = unlimited)."""
    raw = os.environ.get(f"QIFU_MSG_RATE_{channel.upper()}")
    try:
        return float(raw) if raw not in (None, "") else default
    except ValueError:
        return default


def limiter(channel: str, default: float) -> RateLimiter:
    rate = configured_rate(channel, default)
    key = (channel, rate)
    if key not in _limiters:
        _limiters[key] = RateLimiter(channel, rate)
    return _limiters[key]


# --- rendering ----------------------------------------------------------------------------------


@dataclass
class Rendered:
    title: str
    text: str
    template: str
    params: dict


class Renderer:
    """Renders a send's text per channel and recipient; caches the templates of the send."""

    def __init__(self, send: Send):
        self.send = send
        ids = [i for i in (send.templates or {}).values() if i]
        self.templates = {t.pk: t for t in Template.objects.filter(pk__in=ids)}

    def variables_for(self, delivery: Delivery) -> dict[str, str]:
        values = dict(self.send.variables or {})
        user = delivery.user
        values["recipient_name"] = (user.name or user.username) if user is not None else ""
        return values

    def render(self, delivery: Delivery) -> Rendered:
        values = self.variables_for(delivery)
        template = self.templates.get((self.send.templates or {}).get(delivery.channel))
        if template is not None:
            params = {key: render(str(text), values) for key, text in (template.provider_params or {}).items()}
            # SMS and WeChat name the provider's template (none: a WeChat customer-service text)
            provider_side = delivery.channel in ("sms", "wechat")
            return Rendered(
                title=render(template.title, values) or self.send.title,
                text=render(template.body, values),
                template=template.provider_template_id if provider_side else template.code,
                params=params,
            )
        text = (self.send.texts or {}).get(delivery.channel) or (self.send.texts or {}).get("inapp", "")
        return Rendered(title=self.send.title, text=render(text, values), template="", params=dict(values))

    def outgoing(self, delivery: Delivery) -> Outgoing:
        r = self.render(delivery)
        return Outgoing(
            channel=delivery.channel,
            to=delivery.address,
            text=r.text,
            title=r.title,
            template=r.template,
            variables=r.params,
            reference=str(delivery.pk),
            link=self.send.link,
        )


def addresses(users: dict[int, object], channel: str) -> dict[int, str]:
    """The address of each user (by id) on ``channel``, in one query at most ('' when none)."""
    if channel == "sms":
        return {pk: u.phone or "" for pk, u in users.items()}
    if channel == "email":
        return {pk: u.email or "" for pk, u in users.items()}
    if channel == "wechat":
        found = dict(
            ChannelAddress.objects.filter(user_id__in=list(users), channel="wechat").values_list("user_id", "address")
        )
        return {pk: found.get(pk, "") for pk in users}
    return {pk: str(pk) for pk in users}


# --- claiming and recording -----------------------------------------------------------------------


def claim(send: Send, limit: int, after: int = 0) -> list[Delivery]:
    """Atomically move up to ``limit`` due queued rows of ``send`` to ``sending`` under a new claim token.

    ``after`` is the highest id this worker claimed so far: starting the index scan there
    skips the index entries of rows already sent (on PostgreSQL they linger until vacuum,
    and scanning them from the start each time makes a large send quadratic).
    """
    now = timezone.now()
    due = (
        Delivery.objects.filter(send=send, state=Delivery.State.QUEUED, id__gt=after)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    ids = list(due)
    if not ids:
        return []
    token = uuid.uuid4().hex
    Delivery.objects.filter(id__in=ids, state=Delivery.State.QUEUED).update(
        state=Delivery.State.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1
    )
    # by id first: the claim token has no index of its own
    return list(Delivery.objects.filter(id__in=ids, claim=token, state=Delivery.State.SENDING).select_related("user"))


def _apply(delivery: Delivery, result: Result, now) -> None:
    delivery.provider = result.provider
    delivery.provider_code = result.code[:60]
    delivery.reason = result.reason[:500]
    if result.provider_id:
        delivery.provider_id = result.provider_id[:100]
    if result.ok:
        delivery.state = Delivery.State.DELIVERED if result.delivered else Delivery.State.SENT
        delivery.sent_at = now
        if result.delivered:
            delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif result.retryable and delivery.attempts < MAX_ATTEMPTS:
        delivery.state = Delivery.State.QUEUED
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    else:
        delivery.state = Delivery.State.FAILED
        delivery.next_attempt_at = None
    delivery.claim = ""


def _write_results(rows: list[Delivery]) -> None:
    """Store the outcome of many rows in few statements.

    Rows of a batch mostly share their outcome, so they are grouped by it: one UPDATE per
    group, with only the provider's message id varying per row (a CASE on the primary
    key). Django's ``bulk_update`` builds a CASE per field and row and costs ~10× more.
    """
    groups: dict[tuple, list[Delivery]] = {}
    for d in rows:
        key = (d.state, d.provider, d.provider_code, d.reason, d.sent_at, d.delivered_at, d.next_attempt_at)
        groups.setdefault(key, []).append(d)
    table = connection.ops.quote_name(Delivery._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    now = adapt(timezone.now())
    with connection.cursor() as cursor:
        for (state, provider, code, reason, sent_at, delivered_at, next_at), members in groups.items():
            ids = [d.pk for d in members]
            cases = " ".join("WHEN %s THEN %s" for _ in members)
            params: list = [state, provider, code, reason, adapt(sent_at), adapt(delivered_at), adapt(next_at), now]
            for d in members:
                params += [d.pk, d.provider_id]
            params += ids
            cursor.execute(
                # only the quoted table name and %s placeholders are interpolated; values go as parameters
                f"UPDATE {table} SET state = %s, provider = %s, provider_code = %s, reason = %s, sent_at = %s,"  # noqa: S608
                f" delivered_at = %s, next_attempt_at = %s, updated_at = %s, claim = '',"
                f" provider_id = CASE id {cases} ELSE provider_id END"
                f" WHERE id IN ({', '.join('%s' for _ in ids)})",
                params,
            )


def record(batch: list[tuple[Delivery, Result, int]], send: Send) -> None:
    """Store results (and the push log) for rows this worker still holds."""
    if not batch:
        return
    now = timezone.now()
    with transaction.atomic():
        held = set(
            Delivery.objects.select_for_update()
            .filter(
                pk__in=[d.pk for d, _, _ in batch],
                state=Delivery.State.SENDING,
                claim__in={d.claim for d, _, _ in batch},
            )
            .values_list("pk", flat=True)
        )
        rows, pushes = [], []
        for delivery, result, duration in batch:
            if delivery.pk not in held:  # reclaimed after our lease ran out: the other holder records
                continue
            pushes.append(
                PushAttempt(
                    tenant_id=delivery.tenant_id,
                    delivery=delivery,
                    send=send,
                    channel=delivery.channel,
                    provider=result.provider,
                    attempt=delivery.attempts,
                    ok=result.ok,
                    code=result.code[:60],
                    reason=result.reason[:500],
                    provider_id=result.provider_id[:100],
                    duration_ms=duration,
                )
            )
            _apply(delivery, result, now)
            rows.append(delivery)
        _write_results(rows)
        PushAttempt.objects.bulk_create(pushes)
        # WeChat may have reported some of these before we knew their msgid (qifu.messaging.wechat_events)
        msgids = [
            d.provider_id
            for d in rows
            if d.provider == "wechat_mp" and d.state == Delivery.State.SENT and d.provider_id
        ]
        if msgids:
            transaction.on_commit(lambda: _early_receipts(msgids))


def _early_receipts(msgids: list[str]) -> None:
    from qifu.messaging import wechat_events

    wechat_events.apply_pending(msgids)


def deliver_inapp(rows: list[Delivery], renderer: Renderer) -> None:
    """Write the in-site messages and mark the rows delivered in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        held = {
            pk: claim
            for pk, claim in Delivery.objects.select_for_update()
            .filter(pk__in=[d.pk for d in rows], state=Delivery.State.SENDING)
            .values_list("pk", "claim")
        }
        mine = [d for d in rows if held.get(d.pk) == d.claim]
        messages = []
        for d in mine:
            r = renderer.render(d)
            messages.append(
                Message(
                    tenant_id=d.tenant_id,
                    user_id=d.user_id,
                    send=renderer.send,
                    delivery=d,
                    title=r.title[:200],
                    body=r.text,
                    category=renderer.send.category,
                    event=renderer.send.event,
                    link=renderer.send.link,
                )
            )
            d.state = Delivery.State.DELIVERED
            d.provider = "inapp"
            d.provider_code = "OK"
            d.sent_at = d.delivered_at = d.updated_at = now
            d.claim = ""
        Message.objects.bulk_create(messages)
        _write_results(mine)


def call_channel(channel, message: Outgoing) -> tuple[Result, int]:
    started = time.perf_counter()
    try:
        result = channel.send(message)
    except Exception as exc:  # network errors and the like: worth a retry
        logger.warning("channel %s failed: %s", channel.name, exc)
        result = Result(
            ok=False,
            provider=channel.provider,
            code="error",
            reason=f"{type(exc).__name__}: {exc}"[:500],
            retryable=True,
        )
    return result, int((time.perf_counter() - started) * 1000)


class Hold:
    """The rows of a claim this worker still holds, with their lease kept fresh.

    Another worker may take a ``sending`` row over once its ``claimed_at`` is older than the
    lease. A batch that outlasts the lease (a slow provider, a low rate limit) would then be
    sent twice: by us, and by whoever reclaimed the rest. So before each external send the
    holder checks its lease; once a third of it has passed it renews ``claimed_at`` of every
    row it still holds and has not recorded yet, by a conditional UPDATE on the claim token,
    and drops the rows that are no longer its own (reclaimed while this process stalled).
    Renewing in bulk costs one statement per third of a lease instead of one committed write
    per message; a row is safe as long as clocks of the workers differ by less than a third
    of the lease.
    """

    def __init__(self, rows: list[Delivery]):
        self.rows = {d.pk: d for d in rows}
        self.renewed = min((d.claimed_at for d in rows if d.claimed_at), default=None) or timezone.now()
        self.lost: set[int] = set()

    def holds(self, delivery: Delivery) -> bool:
        """True while this worker still holds ``delivery`` (renewing the lease when it runs short)."""
        now = timezone.now()
        if now - self.renewed >= timedelta(seconds=lease_seconds() / 3):
            self.renew(now)
        return delivery.pk not in self.lost

    def renew(self, now) -> None:
        by_token: dict[str, list[int]] = {}
        for pk, d in self.rows.items():
            if pk not in self.lost:
                by_token.setdefault(d.claim, []).append(pk)
        for token, ids in by_token.items():
            renewed = Delivery.objects.filter(pk__in=ids, claim=token, state=Delivery.State.SENDING).update(
                claimed_at=now
            )
            if renewed < len(ids):
                kept = set(
                    Delivery.objects.filter(pk__in=ids, claim=token, state=Delivery.State.SENDING).values_list(
                        "pk", flat=True
                    )
                )
                self.lost.update(set(ids) - kept)
        self.renewed = now

    def done(self, rows) -> None:
        """Rows recorded: their state changed, no lease to keep."""
        for d in rows:
            self.rows.pop(d.pk, None)


def deliver_external(rows: list[Delivery], renderer: Renderer, send: Send) -> None:
    flush_every = max(1, _env_int("QIFU_MSG_FLUSH", 100))
    pending: list[tuple[Delivery, Result, int]] = []
    resolved: dict[str, tuple] = {}  # channel -> (channel object, limiter), once per batch
    hold = Hold(rows)
    for delivery in rows:
        if delivery.channel not in resolved:
            channel = channels.get(delivery.channel)
            resolved[delivery.channel] = (channel, limiter(delivery.channel, getattr(channel, "default_rate", 0)))
        channel, rate = resolved[delivery.channel]
        if not delivery.address:
            pending.append(
                (
                    delivery,
                    Result(ok=False, provider=channel.provider, code="no_address", reason="接收人没有该渠道的地址"),
                    0,
                )
            )
            continue
        rate.wait()
        if not hold.holds(delivery):  # reclaimed by another worker: it sends (or settles) this row
            continue
        result, duration = call_channel(channel, renderer.outgoing(delivery))
        pending.append((delivery, result, duration))
        if len(pending) >= flush_every:
            record(pending, send)
            hold.done(d for d, _, _ in pending)
            pending = []
    record(pending, send)


def reconcile_stale(send: Send) -> int:
    """Settle rows a dead worker left in ``sending`` (see the module docstring)."""
    cutoff = timezone.now() - timedelta(seconds=lease_seconds())
    stale = list(
        Delivery.objects.filter(send=send, state=Delivery.State.SENDING, claimed_at__lt=cutoff).select_related("user")
    )
    if not stale:
        return 0
    renderer = Renderer(send)
    found: list[tuple[Delivery, Result, int]] = []
    requeue: list[Delivery] = []
    for delivery in stale:
        result = None
        if delivery.channel != "inapp":
            channel = channels.get(delivery.channel)
            lookup = getattr(channel, "lookup", None)
            if lookup is not None:
                # accepted, if at all, while the claim was held: between the claim and its lease running out
                until = min(timezone.now(), delivery.claimed_at + timedelta(seconds=lease_seconds() + 300))
                try:
                    result = lookup(renderer.outgoing(delivery), delivery.claimed_at, until)
                except Exception as exc:  # the provider cannot tell us now: try again at the next sweep
                    logger.warning("lookup of delivery %s failed: %s", delivery.pk, exc)
                    continue
        if result is not None:
            found.append((delivery, result, 0))
        else:
            requeue.append(delivery)
    record(found, send)
    for delivery in requeue:
        Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENDING, claim=delivery.claim).update(
            state=Delivery.State.QUEUED, claim="", next_attempt_at=None
        )
    return len(stale)


def batch_size(send: Send) -> int:
    """Rows per claim: ``QIFU_MSG_CHUNK``, but no more than half a lease's worth at the slowest rate limit.

    A batch that cannot be sent within its lease stays correct (``Hold`` renews it) but keeps
    rows away from other workers for longer than it needs them.
    """
    size = chunk_size()
    for name in send.channels or []:
        if name == "inapp":
            continue
        rate = configured_rate(name, getattr(channels.get(name), "default_rate", 0))
        if rate > 0:
            size = min(size, max(1, int(rate * lease_seconds() / 2)))
    return size


def pump(send: Send) -> None:
    """Deliver every due row of a running send."""
    renderer = Renderer(send)
    after = 0
    size = batch_size(send)
    while True:
        rows = claim(send, size, after)
        if not rows:
            if after == 0:
                return
            after = 0  # one more pass from the start: rows re-queued behind us (retries, reconciled)
            continue
        after = max(d.pk for d in rows)
        Send.objects.filter(pk=send.pk).update(heartbeat_at=timezone.now())  # the sweep sees someone at it
        inapp = [d for d in rows if d.channel == "inapp"]
        external = [d for d in rows if d.channel != "inapp"]
        if inapp:
            deliver_inapp(inapp, renderer)
        if external:
            deliver_external(external, renderer, send)


def next_due(send: Send):
    return Delivery.objects.filter(send=send, state=Delivery.State.QUEUED).aggregate(at=Min("next_attempt_at"))["at"]


def has_open(send: Send) -> bool:
    return Delivery.objects.filter(send=send, state__in=[Delivery.State.QUEUED, Delivery.State.SENDING]).exists()


def pump_inapp(send: Send) -> None:
    """Deliver only the in-site rows of a send, here and now (inside the caller's transaction)."""
    renderer = Renderer(send)
    token = uuid.uuid4().hex
    now = timezone.now()
    Delivery.objects.filter(send=send, channel="inapp", state=Delivery.State.QUEUED).update(
        state=Delivery.State.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1
    )
    rows = list(Delivery.objects.filter(send=send, claim=token, state=Delivery.State.SENDING).select_related("user"))
    if rows:
        deliver_inapp(rows, renderer)
