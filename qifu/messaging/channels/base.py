"""The one interface every channel implements.

A channel turns an :class:`Outgoing` message into a :class:`Result`. It never
touches the database: the delivery service claims the delivery row, calls the
channel, and records the result, so exactly-once bookkeeping lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Outgoing:
    channel: str  # inapp | sms | wechat | email
    to: str  # phone number, WeChat openid, e-mail address or user id
    text: str  # the rendered text (what the recipient reads)
    title: str = ""
    template: str = ""  # provider template id (SMS/WeChat) or our template code
    variables: dict = field(default_factory=dict)  # template variables as sent to the provider
    reference: str = ""  # our delivery id: idempotency key for providers that accept one
    link: str = ""


@dataclass
class Result:
    ok: bool
    provider: str
    provider_id: str = ""  # the provider's message id (BizId, msgid, Message-ID)
    code: str = ""  # the provider's status code ("OK", "isv.BUSINESS_LIMIT_CONTROL", "40003", ...)
    reason: str = ""  # the provider's reason, for the delivery log
    retryable: bool = False  # worth another attempt later (throttling, network, 5xx)
    delivered: bool = False  # the provider confirmed final delivery synchronously


class ChannelError(Exception):
    """A channel is misconfigured (missing credentials, unknown backend)."""


class Channel:
    """Base class: subclasses set ``name``/``provider`` and implement ``send``."""

    name = ""
    provider = ""

    def send(self, message: Outgoing) -> Result:
        raise ChannelError(f"{type(self).__name__} does not implement send()")

    def address_of(self, user) -> str:
        """The address of a user on this channel ('' when the user has none)."""
        return ""
