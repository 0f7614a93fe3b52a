"""The one table of allowed application transitions: action → (from states, to state, side).

Each action is carried out by one service function in services/applications.py,
which checks this table, writes the timeline and the audit entry, and notifies.
"""

from __future__ import annotations

from dataclasses import dataclass

from qifu.marketplace.models import Application, Product, ProductRevision

S = Application.Status

ENTERPRISE = "enterprise"
INSTITUTION = "institution"
GOVERNMENT = "government"
SYSTEM = "system"

SIDE_LABELS = {ENTERPRISE: "企业", INSTITUTION: "服务机构", GOVERNMENT: "政府", SYSTEM: "系统"}


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    side: str


APPLICATION_TRANSITIONS: dict[tuple[str, str], Transition] = {}


def _t(action: str, label: str, sources: tuple[str, ...], target: str, side: str) -> None:
    APPLICATION_TRANSITIONS[(action, side)] = Transition(action, label, sources, target, side)


_t("submit", "提交申请", ("",), S.SUBMITTED, ENTERPRISE)
_t("accept", "受理", (S.SUBMITTED,), S.ACCEPTED, INSTITUTION)
_t("decline", "拒绝受理", (S.SUBMITTED,), S.DECLINED, INSTITUTION)
_t("start", "开始服务", (S.ACCEPTED,), S.IN_SERVICE, INSTITUTION)
_t("complete", "完成服务", (S.IN_SERVICE,), S.COMPLETED, INSTITUTION)
_t("confirm", "确认完成", (S.COMPLETED,), S.CONFIRMED, ENTERPRISE)
_t("reopen", "退回服务（未完成）", (S.COMPLETED,), S.IN_SERVICE, ENTERPRISE)
_t("rate", "评价", (S.CONFIRMED,), S.RATED, ENTERPRISE)
_t("verify_subsidy", "核销补贴", (S.RATED,), S.SUBSIDY_VERIFIED, GOVERNMENT)
_t("refuse_subsidy", "不予核销", (S.RATED,), S.SUBSIDY_REFUSED, GOVERNMENT)
# Cancellation rules per state: the enterprise may withdraw until the service starts;
# the institution may cancel an accepted or running service it cannot deliver (with a reason).
_t("cancel", "企业取消", (S.SUBMITTED, S.ACCEPTED), S.CANCELLED, ENTERPRISE)
_t("cancel", "机构终止服务", (S.ACCEPTED, S.IN_SERVICE), S.CANCELLED, INSTITUTION)
_t("expire", "超时未受理", (S.SUBMITTED,), S.EXPIRED, SYSTEM)

FINAL_STATES = {S.DECLINED, S.CANCELLED, S.EXPIRED, S.SUBSIDY_VERIFIED, S.SUBSIDY_REFUSED}


def transition(action: str, side: str) -> Transition:
    return APPLICATION_TRANSITIONS[(action, side)]


def allowed_actions(status: str, side: str) -> list[str]:
    return [t.action for (a, s), t in APPLICATION_TRANSITIONS.items() if s == side and status in t.sources]


# Product review: the revision's transitions.
R = ProductRevision.Status
REVISION_TRANSITIONS = {
    "approve": ((R.PENDING,), R.APPROVED),
    "reject": ((R.PENDING,), R.REJECTED),
    "supersede": ((R.PENDING,), R.SUPERSEDED),
}
P = Product.Status
PRODUCT_TRANSITIONS = {
    # action: (from, to) — the live product's listing state.
    "approve_first": ((P.PENDING, P.REJECTED, P.UNLISTED), P.LISTED),
    "reject_first": ((P.PENDING,), P.REJECTED),
    "resubmit": ((P.REJECTED, P.UNLISTED), P.PENDING),
    "unlist": ((P.LISTED,), P.UNLISTED),
}
