from qifu.core import menus
from qifu.core.permissions import define

ROLE_VIEW = define("access.role.view", "查看角色", capability="access")
ROLE_MANAGE = define("access.role.manage", "管理角色", capability="access")
USER_VIEW = define("access.user.view", "查看用户", capability="access")
USER_MANAGE = define("access.user.manage", "管理用户", capability="access")

menus.group("system", "系统管理", icon="Setting", order=90)
menus.item("system.roles", "角色管理", "/access/roles", permission=ROLE_VIEW, parent="system")
menus.item("system.users", "用户管理", "/access/users", permission=USER_VIEW, parent="system")
