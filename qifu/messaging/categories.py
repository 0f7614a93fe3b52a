"""The one registry of message categories: what a message is about, and what users may opt out of.

A category is *essential* (验证码, 审核结果: it always goes, opt-outs do not apply, users
cannot turn it off) or optional. Every category a template, a send or an event names must be
registered here — a made-up category would reach people who opted out of what it really is.

Events without a category of their own are filed under their capability (``policies``,
``marketplace`` …): those categories are registered when the event is declared, optional and
labelled with the capability's name. Register others with :func:`define` at import time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    essential: bool = False


REGISTRY: dict[str, Category] = {}


class UnknownCategory(ValueError):
    def __init__(self, code: str):
        super().__init__(f"消息类别「{code}」未登记")
        self.code = code


def define(code: str, label: str, *, essential: bool = False) -> str:
    existing = REGISTRY.get(code)
    category = Category(code=code, label=label, essential=essential)
    if existing is not None and existing != category:
        raise ValueError(f"message category {code!r} declared twice with different definitions")
    REGISTRY[code] = category
    return code


def for_capability(capability: str) -> str:
    """The category of an event filed under its capability (registered on first use, optional)."""
    if capability not in REGISTRY:
        from qifu.core.routers import CAPABILITY_TAGS

        define(capability, CAPABILITY_TAGS.get(capability, capability))
    return capability


def get(code: str) -> Category:
    try:
        return REGISTRY[code]
    except KeyError:
        raise UnknownCategory(code) from None


def is_known(code: str) -> bool:
    return code in REGISTRY


def label(code: str) -> str:
    found = REGISTRY.get(code)
    return found.label if found else code


def all_categories() -> list[Category]:
    return sorted(REGISTRY.values(), key=lambda c: (not c.essential, c.code))


VERIFICATION = define("verification", "验证码", essential=True)
REVIEW = define("review", "审核结果", essential=True)
APPLICATION = define("application", "申请进度")
APPEAL = define("appeal", "诉求办理")
EXPIRY = define("expiry", "到期提醒")
POLICY = define("policy", "政策推送")
NOTICE = define("notice", "通知公告")
ACTIVITY = define("activity", "活动推广")
