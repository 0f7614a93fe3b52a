"""Channel registry: which backend serves each channel, chosen from the environment.

=================  ==============================  ===================================
channel            ``QIFU_MSG_<CHANNEL>_BACKEND``   backends
=================  ==============================  ===================================
inapp              (always in-site)                 —
sms                ``QIFU_MSG_SMS_BACKEND``          ``console`` (default), ``aliyun``
wechat             ``QIFU_MSG_WECHAT_BACKEND``       ``console`` (default), ``mp`` (公众号模板消息 / 客服消息)
email              ``QIFU_MSG_EMAIL_BACKEND``        ``console`` (default), ``django`` (Django mail backend)
=================  ==============================  ===================================
"""

from __future__ import annotations

import os
import threading

from qifu.messaging.channels.base import Channel, ChannelError, Outgoing, Result  # noqa: F401
from qifu.messaging.channels.console import ConsoleChannel

EXTERNAL = ("sms", "wechat", "email")
_cache: dict[tuple, Channel] = {}
_lock = threading.Lock()


def backend_name(channel: str) -> str:
    return os.environ.get(f"QIFU_MSG_{channel.upper()}_BACKEND", "console").strip().lower() or "console"


def _build(channel: str, backend: str) -> Channel:
    if backend == "console":
        return ConsoleChannel(channel)
    if channel == "sms" and backend == "aliyun":
        from qifu.messaging.channels.aliyun_sms import AliyunSmsChannel

        return AliyunSmsChannel.from_env()
    if channel == "wechat" and backend == "mp":
        from qifu.messaging.channels.wechat_mp import WechatMpChannel

        return WechatMpChannel.from_env()
    if channel == "email" and backend == "django":
        from qifu.messaging.channels.email import DjangoMailChannel

        return DjangoMailChannel()
    raise ChannelError(f"QIFU_MSG_{channel.upper()}_BACKEND={backend!r} is not a known backend for {channel}")


def get(channel: str) -> Channel:
    """The configured channel object (cached per backend and credentials)."""
    if channel not in EXTERNAL:
        raise ChannelError(f"{channel!r} is not an external channel")
    backend = backend_name(channel)
    key = (channel, backend, tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("QIFU_MSG_"))))
    with _lock:
        found = _cache.get(key)
        if found is None:
            found = _cache[key] = _build(channel, backend)
    return found
