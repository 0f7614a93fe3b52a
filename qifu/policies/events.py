"""Message events of the policy library."""

from qifu.messaging.events import define

POLICY_PUBLISHED = define(
    "policies.policy.published",
    "订阅的政策已发布",
    variables=("title", "department", "level", "url"),
    default_text="您订阅的{department}发布了新政策《{title}》（{level}），查看：{url}",
    category="policy",
)
POLICY_REVIEWED = define(
    "policies.policy.reviewed",
    "政策审核结果",
    variables=("title", "result", "comment"),
    default_text="您提交的政策《{title}》审核{result}。{comment}",
    category="review",  # a review result: essential, reaches the submitter whatever they opted out of
)
