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
# Our delivery references this process has sent, so a stale delivery can be reconciled
# instead of re-sent while the process lives (a dead process's console output is gone anyway).
_references: dict[str, str] = {}


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
            if message.reference:
                _references[message.reference] = f"console-{number}"
                if len(_references) > MAX_KEPT * 10:
                    _references.pop(next(iter(_references)))
        logger.info("console %s to %s: %s", self.name, message.to, message.text)
        return Result(ok=True, provider="console", provider_id=f"console-{number}", code="OK", delivered=True)

    def lookup(self, message: Outgoing, since, until=None) -> Result | None:
        found = _references.get(message.reference) if message.reference else None
        if found is None:
            return None
        return Result(ok=True, provider="console", provider_id=found, code="OK", delivered=True)
