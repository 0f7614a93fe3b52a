from qifu.core import menus
from qifu.core.permissions import AUDITOR, AUTHENTICATED, DISTRICT_STAFF, define

TEMPLATE_VIEW = define("messaging.template.view", "查看消息模板", capability="messaging", roles=[DISTRICT_STAFF])
TEMPLATE_MANAGE = define("messaging.template.manage", "维护消息模板", capability="messaging")
RULE_VIEW = define("messaging.rule.view", "查看事件推送规则", capability="messaging", roles=[DISTRICT_STAFF])
RULE_MANAGE = define("messaging.rule.manage", "配置事件推送规则", capability="messaging")
SEND_VIEW = define("messaging.send.view", "查看消息发送", capability="messaging", roles=[DISTRICT_STAFF, AUDITOR])
SEND_CREATE = define("messaging.send.create", "新建消息发送", capability="messaging", roles=[DISTRICT_STAFF])
SEND_CANCEL = define("messaging.send.cancel", "取消定时发送", capability="messaging", roles=[DISTRICT_STAFF])
DELIVERY_VIEW = define(
    "messaging.delivery.view", "查看投递与推送日志", capability="messaging", roles=[DISTRICT_STAFF, AUDITOR]
)

menus.group("messaging", "消息中心", icon="Message", order=70)
menus.item("messaging.inbox", "我的消息", "/messaging/inbox", permission=AUTHENTICATED, parent="messaging", order=5)
menus.item("messaging.sends", "消息发送", "/messaging/sends", permission=SEND_VIEW, parent="messaging", order=10)
menus.item(
    "messaging.templates", "消息模板", "/messaging/templates", permission=TEMPLATE_VIEW, parent="messaging", order=20
)
menus.item("messaging.rules", "事件推送规则", "/messaging/rules", permission=RULE_VIEW, parent="messaging", order=30)
menus.item(
    "messaging.deliveries", "投递日志", "/messaging/deliveries", permission=DELIVERY_VIEW, parent="messaging", order=40
)
menus.item("messaging.pushes", "推送日志", "/messaging/pushes", permission=DELIVERY_VIEW, parent="messaging", order=50)
