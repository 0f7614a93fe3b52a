"""The console menu, declared by each capability next to its permissions.

The API returns only the entries whose permission the user holds, so the
console shell never shows a page the server would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MenuItem:
    key: str
    title: str
    path: str  # console route, e.g. "/access/roles"
    permission: str
    parent: str = ""  # key of the group this item sits under
    icon: str = ""
    order: int = 100


GROUPS: dict[str, MenuItem] = {}
ITEMS: dict[str, MenuItem] = {}


def group(key: str, title: str, *, icon: str = "", order: int = 100) -> str:
    GROUPS[key] = MenuItem(key=key, title=title, path="", permission="authenticated", icon=icon, order=order)
    return key


def item(key: str, title: str, path: str, *, permission: str, parent: str, icon: str = "", order: int = 100) -> None:
    ITEMS[key] = MenuItem(key=key, title=title, path=path, permission=permission, parent=parent, icon=icon, order=order)


def menu_for(ctx) -> list[dict]:
    """The menu tree visible to the request context."""
    tree = []
    for g in sorted(GROUPS.values(), key=lambda m: (m.order, m.key)):
        children = [
            {"key": i.key, "title": i.title, "path": i.path, "icon": i.icon}
            for i in sorted(ITEMS.values(), key=lambda m: (m.order, m.key))
            if i.parent == g.key and ctx.has_perm(i.permission)
        ]
        if children:
            tree.append({"key": g.key, "title": g.title, "icon": g.icon, "children": children})
    return tree
