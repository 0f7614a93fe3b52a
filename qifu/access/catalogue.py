"""The role editor's catalogue: menus (pages) and buttons derived from the code registries.

Menus are not stored separately: a page (``qifu.core.menus`` item) is visible when the
role holds the page's permission, and its buttons are the other permission codes
sharing the page permission's prefix (``orgs.enterprise.view`` → ``orgs.enterprise.*``).
Codes no page claims are listed under their capability as API permissions. One source
of truth, so a menu can never show a page the server would refuse.
"""

from __future__ import annotations

from qifu.core import context, fieldrules, menus, permissions
from qifu.core.routers import CAPABILITY_TAGS

SCOPE_LABELS = {
    context.SCOPE_ALL: "全部",
    context.SCOPE_ORG_AND_BELOW: "本部门及以下",
    context.SCOPE_ORG: "本部门",
    context.SCOPE_SELF: "仅本人",
    context.SCOPE_ORG_AND_BELOW_OR_SELF: "本部门及以下或本人",
    context.SCOPE_CUSTOM: "自定义（安全配置文件）",
}


def _perm(code: str) -> dict:
    p = permissions.REGISTRY[code]
    return {"key": f"perm:{code}", "title": p.label, "type": "button", "permission": code}


def menu_tree() -> list[dict]:
    claimed: set[str] = set()
    tree = []
    for group in sorted(menus.GROUPS.values(), key=lambda m: (m.order, m.key)):
        pages = []
        for item in sorted(menus.ITEMS.values(), key=lambda m: (m.order, m.key)):
            if item.parent != group.key or item.permission not in permissions.REGISTRY:
                continue
            prefix = item.permission.rsplit(".", 1)[0] + "."
            # A button sits under the first page that claims it (two pages may share a prefix).
            buttons = [
                _perm(code)
                for code in sorted(permissions.REGISTRY)
                if code.startswith(prefix) and code != item.permission and code not in claimed
            ]
            claimed.add(item.permission)
            claimed.update(b["permission"] for b in buttons)
            pages.append(
                {
                    "key": f"menu:{item.key}",
                    "title": item.title,
                    "type": "page",
                    "path": item.path,
                    "permission": item.permission,
                    "children": buttons,
                }
            )
        if pages:
            tree.append({"key": f"group:{group.key}", "title": group.title, "type": "group", "children": pages})
    rest: dict[str, list[dict]] = {}
    for code, perm in sorted(permissions.REGISTRY.items()):
        if code not in claimed:
            rest.setdefault(perm.capability, []).append(_perm(code))
    for capability, buttons in rest.items():
        tree.append(
            {
                "key": f"api:{capability}",
                "title": f"{CAPABILITY_TAGS.get(capability, capability)}（接口权限）",
                "type": "group",
                "children": buttons,
            }
        )
    return tree


def catalogue() -> dict:
    return {
        "menu": menu_tree(),
        "scopes": [{"value": k, "label": v} for k, v in SCOPE_LABELS.items()],
        "field_models": fieldrules.ruleable_models(),
        "field_rules": dict(fieldrules.RULES),
    }
