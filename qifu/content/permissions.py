from qifu.core import menus
from qifu.core.permissions import DISTRICT_STAFF, define

ARTICLE_MANAGE = define(
    "content.article.manage", "管理资讯、公告、活动与指南", capability="content", roles=[DISTRICT_STAFF]
)
# Only the tenant admin by default: the export carries full phone numbers. Grant it to the
# organisers' role in the console; the role's field rules (content.signup → phone) still apply.
SIGNUP_EXPORT = define("content.signup.export", "导出活动报名名单（含完整联系电话）", capability="content")
SLOT_MANAGE = define("content.slot.manage", "管理运营位与平台介绍", capability="content", roles=[DISTRICT_STAFF])

menus.group("content", "内容运营", icon="Notebook", order=40)
menus.item("content.articles", "资讯内容", "/content/articles", permission=ARTICLE_MANAGE, parent="content", order=10)
menus.item("content.slots", "运营配置", "/content/slots", permission=SLOT_MANAGE, parent="content", order=20)
menus.item("content.intro", "平台介绍", "/content/intro", permission=SLOT_MANAGE, parent="content", order=30)
