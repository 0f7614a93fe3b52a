"""Permission codes and console menu entries of organisations, roles and audit (C2, C3)."""

from qifu.core import menus
from qifu.core.permissions import AUDITOR, define

ROLE_VIEW = define("access.role.view", "查看角色与安全配置文件", capability="access")
ROLE_MANAGE = define("access.role.manage", "管理角色与安全配置文件", capability="access")
USER_VIEW = define("access.user.view", "查看用户与角色分配", capability="access")
USER_MANAGE = define("access.user.manage", "分配角色与组织", capability="access")
CONFIG_VIEW = define("access.config.view", "查看字典与系统参数", capability="access")
CONFIG_MANAGE = define("access.config.manage", "管理字典与系统参数", capability="access")
AUDIT_VIEW = define("audit.log.view", "查询操作日志与登录日志", capability="audit", roles=[AUDITOR])
AUDIT_EXPORT = define("audit.log.export", "导出操作日志与登录日志", capability="audit", roles=[AUDITOR])

menus.group("system", "系统管理", icon="Setting", order=90)
menus.item("system.roles", "角色管理", "/access/roles", permission=ROLE_VIEW, parent="system", order=10)
menus.item("system.users", "用户与授权", "/access/users", permission=USER_VIEW, parent="system", order=20)
menus.item("system.profiles", "安全配置文件", "/access/profiles", permission=ROLE_VIEW, parent="system", order=25)
menus.item("system.dictionaries", "字典管理", "/system/dictionaries", permission=CONFIG_VIEW, parent="system", order=60)
menus.item("system.parameters", "参数配置", "/system/parameters", permission=CONFIG_VIEW, parent="system", order=70)
menus.group("audit", "审计日志", icon="Document", order=92)
menus.item("audit.operations", "操作日志", "/audit/operations", permission=AUDIT_VIEW, parent="audit", order=10)
menus.item("audit.logins", "登录日志", "/audit/logins", permission=AUDIT_VIEW, parent="audit", order=20)
menus.item("system.online", "在线用户", "/access/online", permission=USER_VIEW, parent="system", order=80)
