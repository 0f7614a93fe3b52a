"""Messaging services other capabilities call.

``notify(event, recipients, context)`` — from inside your own service's transaction::

    from qifu.messaging.services import Address, notify
    notify("marketplace.application.accepted", [owner], {"product": p.name, "enterprise": e.name})
    notify("identity.institution.rejected", [Address.phone(app.contact_phone)], {...})

Recipients are users of the current tenant or bare addresses (:class:`Address`: a phone number,
reached by SMS) of people without an account. Addresses take essential events only: without an
account nobody can opt out.

The send and its delivery rows are written in *your* transaction (an outbox: they
roll back with your change); in-site messages are delivered in it too, and the
external channels are queued only once it commits (``transaction.on_commit``).

``send_verification_sms(phone, code, purpose)`` — synchronous, essential (ignores
opt-outs), through the SMS channel; raises ``ApiError`` when the provider refuses.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from qifu.core import jobs, tenancy
from qifu.core.errors import ApiError
from qifu.messaging import channels, delivery, events, segments
from qifu.messaging.models import ChannelAddress, Delivery, EventRule, Send, Template
from qifu.messaging.render import VariableError, check, render, stringify

RUN_SEND = "messaging.run_send"
VERIFICATION_WAIT_SECONDS = 5
logger = logging.getLogger("qifu.messaging")


class MessagingError(ValueError):
    """A programming error in a notify() call (unknown event, wrong variables)."""


@dataclass(frozen=True)
class Address:
    """A recipient without an account: an address on one channel (only ``sms``, a mainland mobile number)."""

    channel: str
    value: str

    @classmethod
    def phone(cls, number: str) -> Address:
        return cls("sms", (number or "").strip())

    @property
    def masked(self) -> str:
        return self.value[:3] + "****" + self.value[-4:]


def _recipients(definition: events.Event, recipients: Iterable) -> tuple[list, list[str]]:
    """(users, phone numbers) of a notify() call: checked, without repeats."""
    tenant = tenancy.current_tenant()
    users, phones, seen = [], [], set()
    for recipient in recipients:
        if recipient is None:
            continue
        if isinstance(recipient, Address):
            if recipient.channel != "sms":
                raise MessagingError(f"消息事件 {definition.code}：没有账号的接收人只能用手机号（短信）接收")
            if not definition.essential:
                raise MessagingError(
                    f"消息事件 {definition.code} 不是必达消息：没有账号的接收人无法退订，只能接收必达类别的消息"
                )
            if not segments.PHONE_RE.match(recipient.value):
                # stored data, not the caller's code: the others still hear of it
                logger.warning("notify %s: %s is not a mobile number, skipped", definition.code, recipient.masked)
                continue
            if recipient.value not in phones:
                phones.append(recipient.value)
            continue
        if not hasattr(recipient, "tenant_id"):
            raise MessagingError(f"消息事件 {definition.code}：接收人须是用户或 Address（如 Address.phone(号码)）")
        if recipient.pk in seen:
            continue
        if recipient.tenant_id != tenant.pk:
            raise MessagingError(f"消息事件 {definition.code}：接收人 {recipient.pk} 不属于当前租户")
        seen.add(recipient.pk)
        users.append(recipient)
    # a number one of the users has is reached through that user (once, and in-site too)
    taken = {u.phone for u in users if u.phone}
    return users, [p for p in phones if p not in taken]


def _segment(users: list, phones: list[str]) -> dict:
    """What the send log shows as its recipients (numbers masked, as for verification codes)."""
    masked = [Address.phone(p).masked for p in phones]
    if not users:
        return {"kind": "phones", "values": masked}
    segment = {"kind": "users", "user_ids": [u.pk for u in users]}
    if masked:
        segment["phones"] = masked
    return segment


def _route(event: events.Event) -> tuple[list[str], dict[str, int], dict[str, str]]:
    """Channels, templates (by channel) and channels to skip (with the reason) for an event: the
    admin's rule, else the event's defaults.

    A rule cannot name a disabled template, nor can a template a rule names be disabled
    (``sending.save_rule`` / ``set_template_active``); a rule saved before those checks may still
    name one. That channel is then skipped with the reason in the delivery log — not sent with the
    event's default text instead of the template the administrator chose."""
    rule = EventRule.objects.filter(event=event.code).first()
    if rule is None:
        return ["inapp", *event.channels], {}, {}
    if not rule.is_enabled and not event.essential:
        return [], {}, {}
    chosen = [c for c in rule.channels if c in events.KNOWN_CHANNELS and c != "inapp"] if rule.is_enabled else []
    templates, skipped = {}, {}
    for channel, code in (rule.templates or {}).items():
        template = Template.objects.filter(code=code, channel=channel, is_current=True).first()
        if template is not None and template.is_active:
            templates[channel] = template.pk
        elif channel in chosen:
            skipped[channel] = f"事件推送规则所选模板 {code} 已停用或不存在，请在事件推送规则中改选模板"
    return ["inapp", *chosen], templates, skipped


def notify(event: str, recipients: Iterable, context: dict, *, link: str = "") -> Send | None:
    """Send ``event`` to ``recipients`` with ``context`` variables.

    Recipients are users of the current tenant and :class:`Address` es (essential events only);
    an address gets the event's SMS when its route has SMS. ``link`` (optional) is a same-site
    path the in-site message and WeChat message open.
    """
    try:
        definition = events.get(event)
    except events.UnknownEvent as exc:
        raise MessagingError(str(exc)) from None
    try:
        check(definition.variables, context or {}, what=f"消息事件 {event}", allow_extra=True)
    except VariableError as exc:
        raise MessagingError(str(exc)) from None
    tenant = tenancy.current_tenant()
    users, phones = _recipients(definition, recipients)
    if not users and not phones:
        return None
    chosen, templates, skipped = _route(definition)
    if phones and "sms" not in chosen:
        # the tenant's rule sends this event without SMS: a bare number has no other way in
        logger.info("notify %s: the event's route has no SMS, %d numbers not reached", event, len(phones))
        phones = []
    if not chosen or not (users or phones):
        return None
    variables = stringify({k: (context or {})[k] for k in definition.variables})
    with transaction.atomic():
        send = Send.objects.create(
            kind=Send.Kind.EVENT,
            status=Send.Status.RUNNING,
            title=definition.label,
            event=definition.code,
            category=definition.category,
            essential=definition.essential,
            channels=chosen,
            templates=templates,
            texts={"inapp": definition.default_text or definition.label},
            variables=variables,
            link=link[:300] if link.startswith("/") and not link.startswith("//") else "",
            segment=_segment(users, phones),
            started_at=timezone.now(),
        )
        segments.materialise(
            send, [*(segments.Recipient(u.pk) for u in users), *(segments.Recipient(None, p) for p in phones)]
        )
        for channel, reason in skipped.items():
            send.deliveries.filter(channel=channel, state=Delivery.State.QUEUED).update(
                state=Delivery.State.SKIPPED, reason=reason, updated_at=timezone.now()
            )
        # In-site messages are part of the caller's transaction: exactly once, rolled back with it.
        delivery.pump_inapp(send)
        external = send.deliveries.exclude(channel="inapp").filter(state=Delivery.State.QUEUED).exists()
        if external:
            transaction.on_commit(lambda: jobs.enqueue(RUN_SEND, tenant, send_id=send.pk))
        else:
            Send.objects.filter(pk=send.pk).update(status=Send.Status.COMPLETED, finished_at=timezone.now())
            send.status = Send.Status.COMPLETED
    return send


def send_verification_sms(phone: str, code: str, purpose: str) -> None:
    """Send an SMS verification code now; raises ``ApiError`` if the SMS channel refuses it.

    The code itself is never stored: the send keeps ``******`` in its variables.
    """
    if not segments.PHONE_RE.match(phone or ""):
        raise ApiError("messaging.bad_phone", "手机号格式不正确", status=422)
    definition = events.get(events.VERIFICATION_CODE)
    minutes = "5"
    values = {"code": code, "purpose": purpose, "minutes": minutes}
    tenant = tenancy.current_tenant(required=False)
    template = None
    if tenant is not None:
        template = Template.objects.filter(
            code="verification_code", channel="sms", is_current=True, is_active=True
        ).first()
    if template is not None:
        text = render(template.body, values)
        params = {k: render(str(v), values) for k, v in (template.provider_params or {}).items()} or {"code": code}
        provider_template = template.provider_template_id or template.code
    else:
        text = render(definition.default_text, values)
        params = {"code": code}
        # without a tenant template (or outside a tenant) the platform-wide provider template
        provider_template = os.environ.get("QIFU_MSG_SMS_VERIFICATION_TEMPLATE", "verification_code")
    channel = channels.get("sms")
    row = None
    send = None
    if tenant is not None:
        send = Send.objects.create(
            kind=Send.Kind.VERIFICATION,
            status=Send.Status.RUNNING,
            title=definition.label,
            event=definition.code,
            category=definition.category,
            essential=True,
            channels=["sms"],
            templates={"sms": template.pk} if template else {},
            variables={"code": "******", "purpose": purpose, "minutes": minutes},
            segment={"kind": "phones", "values": [phone[:3] + "****" + phone[-4:]]},
            started_at=timezone.now(),
            prepared_at=timezone.now(),
            total=1,
        )
        row = Delivery.objects.create(
            send=send,
            channel="sms",
            recipient_key=f"p:{phone}",
            address=phone,
            state=Delivery.State.SENDING,
            attempts=1,
            claim="verification",
            claimed_at=timezone.now(),
        )
    message = channels.Outgoing(
        channel="sms",
        to=phone,
        text=text,
        template=provider_template,
        variables=params,
        reference=str(row.pk) if row else "",
    )
    # the channel's rate limit holds for codes too; a user waits a few seconds at most
    if delivery.limiter("sms", getattr(channel, "default_rate", 0)).acquire(timeout=VERIFICATION_WAIT_SECONDS):
        result, duration = delivery.call_channel(channel, message)
    else:
        result = channels.Result(
            ok=False, provider=channel.provider, code="throttled", reason="短信发送速率已达上限，请稍后再试"
        )
        duration = 0
    if row is not None:
        # A verification code is never retried by the queue: the user asks for a new one.
        result.retryable = False
        delivery.record([(row, result, duration)], send)
        Send.objects.filter(pk=send.pk).update(
            status=Send.Status.COMPLETED if result.ok else Send.Status.FAILED,
            finished_at=timezone.now(),
            error="" if result.ok else result.reason[:500],
        )
    if not result.ok:
        if result.code in ("isv.BUSINESS_LIMIT_CONTROL", "throttled"):
            raise ApiError("messaging.sms_throttled", "短信发送过于频繁，请稍后再试", status=429)
        raise ApiError("messaging.sms_failed", f"短信发送失败：{result.reason or result.code}，请稍后重试", status=502)


@transaction.atomic
def set_address(user, channel: str, address: str) -> None:
    """Record a user's address on a channel the user model does not carry (the WeChat openid)."""
    if channel != "wechat":
        raise MessagingError("只有微信渠道需要单独登记地址；手机号和邮箱取自用户资料")
    if address:
        ChannelAddress.objects.update_or_create(user=user, channel=channel, defaults={"address": address[:200]})
    else:
        ChannelAddress.objects.filter(user=user, channel=channel).delete()
