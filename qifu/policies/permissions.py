from qifu.core import menus
from qifu.core.permissions import DISTRICT_STAFF, ENTERPRISE_MEMBER, ENTERPRISE_OWNER, define

POLICY_MANAGE = define("policies.policy.manage", "录入和维护政策", capability="policies", roles=[DISTRICT_STAFF])
POLICY_REVIEW = define("policies.policy.review", "审核发布政策", capability="policies", roles=[DISTRICT_STAFF])
TAG_MANAGE = define("policies.tag.manage", "管理政策标签库", capability="policies", roles=[DISTRICT_STAFF])
SOURCE_MANAGE = define("policies.source.manage", "管理政策归集", capability="policies", roles=[DISTRICT_STAFF])
ELIGIBILITY_CHECK = define(
    "policies.eligibility.check", "政策申报自检", capability="policies", roles=[ENTERPRISE_OWNER, ENTERPRISE_MEMBER]
)

menus.group("policies", "政策库", icon="Document", order=30)
menus.item("policies.list", "政策管理", "/policies", permission=POLICY_MANAGE, parent="policies", order=10)
menus.item("policies.reviews", "政策审核", "/policies/reviews", permission=POLICY_REVIEW, parent="policies", order=20)
menus.item("policies.tags", "标签库", "/policies/tags", permission=TAG_MANAGE, parent="policies", order=30)
menus.item("policies.sources", "政策归集", "/policies/sources", permission=SOURCE_MANAGE, parent="policies", order=40)
