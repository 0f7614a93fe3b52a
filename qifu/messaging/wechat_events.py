"""WeChat official-account pushes to our server URL: the delivery reports of template messages.

WeChat calls the URL configured under 公众号后台 → 设置与开发 → 基本配置 → 服务器配置
(``https://<tenant domain>/api/v1/messaging/wechat/events``):

- ``GET ?signature&timestamp&nonce&echostr`` once, when the URL is saved: we answer ``echostr``
  if the signature is ours;
- ``POST ?signature&timestamp&nonce&openid`` with an XML body for every push. Among user messages
  and menu events comes, for each template message, ``TEMPLATESENDJOBFINISH`` keyed by ``MsgID``
  (the ``msgid`` the send call answered, our ``Delivery.provider_id``) with ``Status``
  ``success`` / ``failed:user block`` / ``failed: system failed``. We answer ``success``.

Checks, in order, before anything is read or written:

1. the declared body size (at most :data:`MAX_BODY` bytes), else 413;
2. ``signature == sha1("".join(sorted([token, timestamp, nonce])))`` with ``QIFU_MSG_WECHAT_TOKEN``
   (constant-time comparison; no token configured = every call refused), else 403;
3. ``timestamp`` within :data:`MAX_SKEW` of our clock, else 403: a signature that leaked (proxy
   logs keep query strings) stops working;
4. the signature covers the timestamp and nonce only, not the body, so a signature is bound to
   the body it first came with (in the cache for the skew window): the same signature with
   another body is refused (403). WeChat's own retries repeat the body and pass;
5. the XML is parsed with defusedxml (no DTD, no entities), else 400.

Only plaintext mode (明文模式, or 兼容模式, whose pushes carry the plaintext fields too) is
implemented; a safe-mode (安全模式, AES) push carries only ``Encrypt`` and is refused (400).

Tenancy: the request's tenant (the host's, else the default tenant) is the only one looked at.
A report whose msgid is not one of that tenant's rows changes nothing, so one tenant's server URL
can never settle another tenant's deliveries. The row must also be addressed to the report's
``FromUserName`` (the recipient's openid).

Idempotent: only ``sent`` rows move (to ``delivered`` or ``failed`` with WeChat's status as the
code and its reason); a repeated report finds the row settled and changes nothing.

A report can overtake our own record of the msgid (results are written per flush of up to
``QIFU_MSG_FLUSH`` messages): when the msgid is unknown but a row to that openid is still
``sending``, the report is kept as an :class:`~qifu.messaging.models.EarlyReceipt` and applied
when the worker records the row (:func:`apply_pending`, after its commit). Each side writes
before it looks at the other's, so at least one of them sees both.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import time
from datetime import timedelta

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.core.cache import cache
from django.utils import timezone

from qifu.core import tenancy
from qifu.core.errors import ApiError
from qifu.messaging.models import Delivery, EarlyReceipt

logger = logging.getLogger("qifu.messaging")

PROVIDER = "wechat_mp"  # qifu.messaging.channels.wechat_mp.WechatMpChannel.provider
MAX_BODY = 16 * 1024  # an event is a few hundred bytes; a user's text message at most ~2 KB
MAX_SKEW = 300  # seconds between WeChat's timestamp and our clock
EARLY_RECEIPT_HOURS = 24
MSGID_RE = re.compile(r"^[1-9]\d{0,24}$")
# WeChat's statuses, compared without spaces and case ("failed: system failed" has a space)
STATUSES = {
    "success": (True, ""),
    "failed:userblock": (False, "用户设置了拒收公众号消息"),
    "failed:systemfailed": (False, "微信系统原因未能送达"),
}


def token() -> str:
    return os.environ.get("QIFU_MSG_WECHAT_TOKEN", "").strip()


def signature(secret: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([secret, timestamp, nonce])).encode()).hexdigest()  # noqa: S324 (WeChat's scheme)


def _refuse(code: str, message: str) -> ApiError:
    return ApiError(f"messaging.{code}", message, status=403)


def check_size(request) -> None:
    """413 for a body over :data:`MAX_BODY`, by its declared length, before anyone reads it."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = MAX_BODY + 1
    if declared > MAX_BODY:
        raise ApiError(
            "messaging.wechat_too_large",
            f"微信推送内容过大：上限为 {MAX_BODY // 1024} KB",
            status=413,
            detail={"limit_bytes": MAX_BODY},
        )


def verify(sig: str, timestamp: str, nonce: str, body: bytes | None = None) -> None:
    """Refuse (403) a call that WeChat did not sign with our token, a stale one, or a replayed signature
    with another body (``body`` None: the GET handshake, which has none)."""
    secret = token()
    if not secret:
        raise _refuse(
            "wechat_not_configured",
            "平台未配置微信服务器令牌（QIFU_MSG_WECHAT_TOKEN），不接受微信推送",
        )
    if not (sig and timestamp and nonce) or not hmac.compare_digest(
        signature(secret, timestamp, nonce), sig.strip().lower()
    ):
        # worth a line in the log: a wrong QIFU_MSG_WECHAT_TOKEN looks exactly like this
        logger.warning("wechat push refused: signature does not match QIFU_MSG_WECHAT_TOKEN")
        raise _refuse("wechat_signature", "微信推送签名校验失败")
    try:
        skew = abs(time.time() - int(timestamp))
    except ValueError:
        raise _refuse("wechat_signature", "微信推送签名校验失败：时间戳不正确") from None
    if skew > MAX_SKEW:
        raise _refuse("wechat_stale", "微信推送已过期（时间戳与服务器时间相差超过 5 分钟）")
    if body is not None:
        digest = hashlib.sha256(body).hexdigest()
        key = f"qifu:msg:wx:sig:{hashlib.sha256(sig.encode()).hexdigest()}"
        if not cache.add(key, digest, timeout=2 * MAX_SKEW) and cache.get(key) not in (digest, None):
            raise _refuse("wechat_replay", "微信推送签名已用于其他内容，拒绝重放")


def parse(body: bytes) -> dict[str, str]:
    """The top-level fields of a push (``MsgType``, ``Event``, ``MsgID`` …) as text."""
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        raise ApiError("messaging.wechat_bad_xml", "微信推送内容不是有效的 XML", status=400) from None
    fields = {child.tag: (child.text or "").strip() for child in root}
    if "Encrypt" in fields and "MsgType" not in fields:
        raise ApiError(
            "messaging.wechat_encrypted",
            "暂不支持安全模式（AES 加密）推送：请在公众号后台将消息加解密方式设为明文模式或兼容模式",
            status=400,
        )
    return fields


def classify(status: str) -> tuple[bool, str] | None:
    """(delivered, reason) for a Status; None for one that is not a final answer."""
    key = re.sub(r"\s+", "", status).lower()
    if key in STATUSES:
        return STATUSES[key]
    if key.startswith("failed"):
        return False, f"微信未能送达：{status}"
    return None


def receive(fields: dict[str, str]) -> str:
    """Handle one verified push in the current tenant; what happened, for the log."""
    if fields.get("MsgType") != "event" or fields.get("Event") != "TEMPLATESENDJOBFINISH":
        return "ignored"  # user messages, menu clicks, subscriptions: nothing of ours
    msgid = fields.get("MsgID") or fields.get("MsgId") or ""
    openid = fields.get("FromUserName", "")
    status = fields.get("Status", "")
    outcome = classify(status)
    if not MSGID_RE.match(msgid) or not openid or outcome is None:
        logger.info("wechat report ignored: msgid %r status %r", msgid[:30], status[:60])
        return "ignored"
    if tenancy.current_tenant(required=False) is None:
        return "ignored"
    ok, reason = outcome
    sends, known = _settle(msgid, openid, ok, status[:60], reason)
    if known:
        _restate(sends)
        return "settled" if sends else "duplicate"
    in_flight = Delivery.objects.filter(
        channel="wechat", state=Delivery.State.SENDING, provider__in=["", PROVIDER], address=openid
    ).exists()
    if not in_flight:
        logger.info("wechat report for unknown msgid %s", msgid)
        return "unknown"
    EarlyReceipt.objects.get_or_create(
        provider=PROVIDER,
        provider_id=msgid,
        defaults={"address": openid[:200], "ok": ok, "code": status[:60], "reason": reason},
    )
    # the worker may have recorded the row since we looked: it looks for us after its commit, we look again after ours
    apply_pending([msgid])
    return "held"


def _rows(msgid: str, openid: str):
    return Delivery.objects.filter(channel="wechat", provider=PROVIDER, provider_id=msgid, address=openid).exclude(
        provider_id=""
    )


def _settle(msgid: str, openid: str, ok: bool, code: str, reason: str) -> tuple[set[int], bool]:
    """Move the ``sent`` row of ``msgid`` to its final state: (ids of sends changed, whether the msgid is ours)."""
    rows = _rows(msgid, openid)
    now = timezone.now()
    fields = {"provider_code": code, "updated_at": now, "receipt_checked_at": now}
    if ok:
        fields.update(state=Delivery.State.DELIVERED, delivered_at=now)
    else:
        fields.update(state=Delivery.State.FAILED, reason=reason[:500])
    sends = set(rows.filter(state=Delivery.State.SENT).order_by().values_list("send_id", flat=True))
    changed = rows.filter(state=Delivery.State.SENT).update(**fields) if sends else 0
    if changed:
        logger.info("wechat report %s: %s", msgid, "delivered" if ok else f"failed ({code})")
        return sends, True
    return set(), rows.exists()


def apply_pending(msgids: list[str]) -> int:
    """Settle rows from reports that arrived before their msgid was recorded; returns how many."""
    settled, sends = 0, set()
    for receipt in EarlyReceipt.objects.filter(provider=PROVIDER, provider_id__in=list(msgids)):
        changed, known = _settle(receipt.provider_id, receipt.address, receipt.ok, receipt.code, receipt.reason)
        if known:
            EarlyReceipt.objects.filter(pk=receipt.pk).delete()
            settled += 1 if changed else 0
            sends |= changed
    _restate(sends)
    return settled


def forget_stale() -> int:
    """Drop reports nobody claimed within :data:`EARLY_RECEIPT_HOURS` (the row was never recorded)."""
    cutoff = timezone.now() - timedelta(hours=EARLY_RECEIPT_HOURS)
    deleted, _ = EarlyReceipt.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _restate(send_ids: set[int]) -> None:
    if send_ids:
        from qifu.messaging.tasks import refresh_outcome

        refresh_outcome(send_ids)
