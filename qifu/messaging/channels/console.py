"""The console channel: the default for SMS, WeChat and e-mail until a provider is configured.

It logs the message and keeps it in :data:`SENT` so tests (and developers) can read
what would have gone out, e.g. the SMS code identity sent::

    from qifu.messaging.channels import console
    console.SENT.clear()
    ...
    code = console.SENT[-1]["variables"]["code"]
"""

from __future__ import annotations

import itertools
import logging
import threading

from qifu.messaging.channels.base import Channel, Outgoing, Result

logger = logging.getLogger("qifu.messaging.console")

# Every message the console channel "sent", oldest first. Tests read and clear it.
SENT: list[dict] = []
# Keep memory bounded in long-running development servers and benchmarks.
MAX_KEPT = 10_000
_lock = threading.Lock()
_ids = itertools.count(1)


def last(channel: str | None = None, to: str | None = None) -> dict | None:
    """The most recent console message, optionally for one channel and address."""
    for entry in reversed(SENT):
        if (channel is None or entry["channel"] == channel) and (to is None or entry["to"] == to):
            return entry
    return None


class ConsoleChannel(Channel):
    provider = "console"

    def __init__(self, name: str):
        self.name = name

    def send(self, message: Outgoing) -> Result:
        entry = {
            "channel": self.name,
            "to": message.to,
            "text": message.text,
            "template": message.template,
            "variables": dict(message.variables),
        }
        with _lock:
            SENT.append(entry)
            if len(SENT) > MAX_KEPT:
                del SENT[: len(SENT) - MAX_KEPT]
            number = next(_ids)
        logger.info("console %s to %s: %s", self.name, message.to, message.text)
        return Result(ok=True, provider="console", provider_id=f"console-{number}", code="OK", delivered=True)
