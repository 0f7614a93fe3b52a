"""Messaging events of financing."""

from qifu.messaging.events import define

LOAN_SUBMITTED = define(
    "finance.application.submitted",
    "收到新的融资申请",
    variables=("number", "product", "enterprise", "amount"),
    default_text="{enterprise}申请了「{product}」（{number}），金额 {amount} 元，请及时受理。",
)
LOAN_PROGRESS = define(
    "finance.application.progress",
    "融资申请进度更新",
    essential=True,
    variables=("number", "product", "institution", "status", "note"),
    default_text="您的融资申请 {number}（{product}）{status}。{note}",
)
