"""The one table of allowed loan-application transitions: (action, side) → sources and target."""

from __future__ import annotations

from qifu.finance.models import LoanApplication

S = LoanApplication.Status
ENTERPRISE = "enterprise"
INSTITUTION = "institution"

TRANSITIONS: dict[tuple[str, str], tuple[str, tuple[str, ...], str]] = {
    ("submit", ENTERPRISE): ("提交申请", ("",), S.SUBMITTED),
    ("accept", INSTITUTION): ("受理", (S.SUBMITTED,), S.ACCEPTED),
    ("request_materials", INSTITUTION): ("要求补充材料", (S.ACCEPTED,), S.MATERIALS_REQUESTED),
    ("supply_materials", ENTERPRISE): ("补充材料", (S.MATERIALS_REQUESTED,), S.ACCEPTED),
    ("approve", INSTITUTION): ("审批通过（授信）", (S.ACCEPTED,), S.APPROVED),
    ("reject", INSTITUTION): ("审批不通过", (S.SUBMITTED, S.ACCEPTED, S.MATERIALS_REQUESTED), S.REJECTED),
    ("disburse", INSTITUTION): ("放款", (S.APPROVED,), S.DISBURSED),
    ("cancel", ENTERPRISE): ("撤回申请", (S.SUBMITTED, S.ACCEPTED, S.MATERIALS_REQUESTED), S.CANCELLED),
}


def allowed_actions(status: str, side: str) -> list[str]:
    return [action for (action, s), (_, sources, _) in TRANSITIONS.items() if s == side and status in sources]
