"""The registry of domain events other capabilities notify through.

Each capability declares its events in its own ``events.py`` (imported at start-up
by :class:`qifu.messaging.apps.MessagingConfig`)::

    from qifu.messaging.events import define

    APPLICATION_ACCEPTED = define(
        "marketplace.application.accepted",
        "服务申请已受理",
        variables=("product", "enterprise"),
        default_text="您的{product}申请已被受理",
    )

and, after its own transaction commits, calls
``qifu.messaging.services.notify(APPLICATION_ACCEPTED, [user], {"product": ..., "enterprise": ...})``.

``essential`` events (verification codes, review results) ignore opt-outs; so does every
event of an essential category. ``category`` must be registered in
:mod:`qifu.messaging.categories` (default: the event's capability, registered for it).
``channels`` are sent in addition to the in-site message when no admin rule
exists for the event; admins override them per event (``EventRule``).
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass, field

from qifu.messaging import categories

CODE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
KNOWN_CHANNELS = ("inapp", "sms", "wechat", "email")


@dataclass(frozen=True)
class Event:
    code: str
    label: str
    essential: bool = False
    variables: tuple[str, ...] = field(default_factory=tuple)
    default_text: str = ""
    category: str = ""
    channels: tuple[str, ...] = field(default_factory=tuple)

    @property
    def capability(self) -> str:
        return self.code.split(".", 1)[0]


REGISTRY: dict[str, Event] = {}


@functools.lru_cache(maxsize=512)
def placeholders(text: str) -> frozenset[str]:
    """The ``{name}`` placeholders of a template text (format-string syntax)."""
    names = set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        raise ValueError("模板中的花括号不成对：变量写作 {product}，字面花括号写作 {{ 或 }}") from None
    for _, name, spec, conversion in parsed:
        if name is not None:
            if name == "" or not name.isidentifier():
                raise ValueError(f"模板占位符必须是变量名，例如 {{product}}，不能是 {{{name}}}")
            if spec or conversion:
                # a width like {x:>999999999} would make rendering allocate without bound
                raise ValueError(f"模板占位符 {{{name}}} 不能带格式说明或转换")
            names.add(name)
    return frozenset(names)


def define(
    code: str,
    label: str,
    *,
    essential: bool = False,
    variables: tuple[str, ...] = (),
    default_text: str = "",
    category: str = "",
    channels: tuple[str, ...] = (),
) -> str:
    """Declare an event; returns the code so modules can keep it as a constant."""
    if not CODE_RE.match(code):
        raise ValueError(f"event code {code!r} must look like 'capability.object.verb'")
    variables = tuple(variables)
    unknown = placeholders(default_text) - set(variables) - RECIPIENT_VARIABLES
    if unknown:
        raise ValueError(f"event {code!r}: default_text uses undeclared variables {sorted(unknown)}")
    bad = set(channels) - set(KNOWN_CHANNELS)
    if bad:
        raise ValueError(f"event {code!r}: unknown channels {sorted(bad)}")
    capability = code.split(".", 1)[0]
    category = category or capability
    if category == capability:
        categories.for_capability(capability)
    if not categories.is_known(category):
        raise ValueError(
            f"event {code!r}: category {category!r} is not registered in qifu.messaging.categories"
            f" (known: {', '.join(sorted(categories.REGISTRY))})"
        )
    event = Event(
        code=code,
        label=label,
        essential=essential or categories.get(category).essential,
        variables=variables,
        default_text=default_text,
        category=category,
        channels=tuple(c for c in channels if c != "inapp"),
    )
    existing = REGISTRY.get(code)
    if existing is not None and existing != event:
        raise ValueError(f"event {code!r} declared twice with different definitions")
    REGISTRY[code] = event
    return code


def get(code: str) -> Event:
    try:
        return REGISTRY[code]
    except KeyError:
        raise UnknownEvent(code) from None


def all_events() -> list[Event]:
    return sorted(REGISTRY.values(), key=lambda e: e.code)


class UnknownEvent(ValueError):
    def __init__(self, code: str):
        super().__init__(f"未登记的消息事件 {code!r}：请先在所属能力的 events.py 中用 messaging.events.define() 声明")
        self.code = code


# Variables every template may use without the caller passing them: filled per recipient.
RECIPIENT_VARIABLES = frozenset({"recipient_name"})

# The platform's own events.
VERIFICATION_CODE = define(
    "messaging.verification.code",
    "短信验证码",
    essential=True,
    variables=("code", "purpose", "minutes"),
    default_text="您的验证码为{code}，{minutes}分钟内有效，用于{purpose}。请勿泄露给他人。",
    category="verification",
    channels=("sms",),
)
