"""Messaging events of the marketplace (sent by services after their transaction commits)."""

from qifu.messaging.events import define

V = ("number", "product", "enterprise", "institution", "reason")

PRODUCT_APPROVED = define(
    "marketplace.product.approved",
    "服务产品审核通过",
    essential=True,
    variables=("product",),
    default_text="您的服务产品「{product}」已审核通过并上架。",
)
PRODUCT_REJECTED = define(
    "marketplace.product.rejected",
    "服务产品审核未通过",
    essential=True,
    variables=("product", "reason"),
    default_text="您的服务产品「{product}」未通过审核：{reason}。请修改后重新提交。",
)
APPLICATION_SUBMITTED = define(
    "marketplace.application.submitted",
    "收到新的服务申请",
    variables=(*V, "deadline"),
    default_text="{enterprise}申请了「{product}」（{number}），请于{deadline}前受理。",
)
APPLICATION_REMINDER = define(
    "marketplace.application.reminder",
    "服务申请受理催办",
    variables=(*V, "deadline"),
    default_text="服务申请 {number}（{product}）尚未受理，受理截止时间为{deadline}。",
)
APPLICATION_PROGRESS = define(
    "marketplace.application.progress",
    "服务申请进度更新",
    variables=(*V, "status"),
    default_text="服务申请 {number}（{product}）{status}。{reason}",
)
APPLICATION_RATED = define(
    "marketplace.application.rated",
    "收到满意度评价",
    variables=(*V, "score"),
    default_text="{enterprise}对「{product}」（{number}）作出了 {score} 星评价。",
)
SUBSIDY_RESULT = define(
    "marketplace.subsidy.result",
    "服务补贴核销结果",
    essential=True,
    variables=(*V, "amount", "status"),
    default_text="服务申请 {number}（{product}）的服务补贴{status}，金额 {amount} 元。{reason}",
)
SUBSIDY_AWAITING = define(
    "marketplace.subsidy.awaiting",
    "服务补贴待核销",
    variables=(*V, "amount", "programme"),
    default_text="{enterprise}的服务申请 {number}（{product}）已完成并评价，「{programme}」补贴 {amount} 元待核销。",
)
