"""The escalation guard: nobody hands out more than they hold.

``Guard(ctx)`` compares what a grant gives with what the acting user holds, code by code:

* **codes** — every permission code granted (or taken away) must be one the actor holds;
* **reach** — for each code, the organisations the holder would reach with it must lie within the
  organisations the actor reaches *with that same code* (a wide scope held for one code does not
  license a wide scope for another);
* **field visibility** — for each code (and for ``authenticated`` operations), the role may not be
  less restrictive than the actor on any field the actor sees masked, hidden or read-only;
* **organisations** — a security profile, an assignment or a profile link may only name
  organisations inside the actor's reach.

A role is "placed" somewhere to measure its reach: at the organisation it is assigned in, or —
for the role definition itself — at the actor's own organisation. Platform admins are unrestricted.
Refusals are 403 ``access.escalation``; ``audited_refusal`` writes them to the operation log with
outcome ``denied`` after the refused transaction rolled back.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field

from django.db import models

from qifu.core import audit, context, fieldrules, permissions
from qifu.core.errors import Forbidden

ESCALATION = "access.escalation"


def _label(code: str) -> str:
    return permissions.REGISTRY[code].label if code in permissions.REGISTRY else code


def refuse(message: str, **detail) -> Forbidden:
    return Forbidden(message, code=ESCALATION, detail=detail)


@dataclass
class Reach:
    """The organisations one user reaches with one permission code."""

    everything: bool = False
    subtrees: set[str] = field(default_factory=set)  # organisation paths: the node and below
    nodes: set[str] = field(default_factory=set)  # organisation paths: the node only

    def covers_subtree(self, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.subtrees)

    def covers_node(self, path: str) -> bool:
        return self.covers_subtree(path) or path in self.nodes


def needs(scope: str, org, custom_paths: list[str]) -> list[tuple[str, str]]:
    """What a role with ``scope`` placed at ``org`` reaches: ("all"|"subtree"|"node", path) items.

    ``self`` (仅本人) reaches only the holder's own rows and needs nothing of the grantor."""
    if scope == context.SCOPE_ALL:
        return [("all", "")]
    if scope == context.SCOPE_SELF:
        return []
    if scope == context.SCOPE_CUSTOM:
        return [("subtree", p) for p in custom_paths]
    if org is None:
        return [("all", "")]  # nowhere to place it: only an unlimited grantor may
    if scope == context.SCOPE_ORG:
        return [("node", org.path)]
    return [("subtree", org.path)]  # org_and_below, org_and_below_or_self


def _covered(reach: Reach, need: tuple[str, str]) -> bool:
    kind, path = need
    if kind == "all":
        return reach.everything
    if kind == "subtree":
        return reach.covers_subtree(path)
    return reach.covers_node(path)


class Guard:
    """What the acting user may hand out: their own codes, reach, field visibility and organisations."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.unlimited = ctx.is_platform_admin
        self._reach: dict[str, Reach] = {}
        self._rules: dict[str, dict[str, dict[str, str]]] = {}

    @property
    def codes(self) -> frozenset[str]:
        return self.ctx.permissions

    # -- what the actor holds -----------------------------------------------------------------
    def reach(self, code: str) -> Reach:
        """The actor's reach with ``code``: the union over their roles (in the current organisation) granting it."""
        if code not in self._reach:
            reach = Reach()
            org = self.ctx.organisation
            for role in self.ctx.roles:
                if code not in (role.permissions or []):
                    continue
                scope = role.data_scope
                if scope == context.SCOPE_ALL:
                    reach.everything = True
                elif scope in (context.SCOPE_ORG_AND_BELOW, context.SCOPE_ORG_AND_BELOW_OR_SELF) and org:
                    reach.subtrees.add(org.path)
                elif scope == context.SCOPE_ORG and org:
                    reach.nodes.add(org.path)
                elif scope == context.SCOPE_CUSTOM:
                    reach.subtrees.update(self.ctx._custom_paths(role))
            self._reach[code] = reach
        return self._reach[code]

    def my_rules(self, code: str) -> dict[str, dict[str, str]]:
        """The actor's effective field rules for operations needing ``code`` (``authenticated``: all roles)."""
        if code not in self._rules:
            labels: set[str] = set()
            for role in self.ctx.roles:
                labels.update(fieldrules.role_rules(role))
            saved = self.ctx.permission
            self.ctx.permission = code
            try:
                self._rules[code] = {label: fieldrules.rules_for(self.ctx, label) for label in labels}
            finally:
                self.ctx.permission = saved
        return self._rules[code]

    # -- checks ----------------------------------------------------------------------------------
    def permissions(self, old: list[str], new: list[str]) -> None:
        """Codes added or removed must be held by the actor."""
        if self.unlimited:
            return
        missing = sorted((set(old) ^ set(new)) - self.codes)
        if missing:
            labels = "、".join(_label(c) for c in missing)
            raise refuse(f"不能授予或收回您自己没有的权限：{labels}", permissions=missing)

    def held(self, codes: list[str]) -> None:
        """Every one of ``codes`` must be held by the actor (a role being edited, deleted or assigned)."""
        if self.unlimited:
            return
        missing = sorted(set(codes) - self.codes)
        if missing:
            labels = "、".join(_label(c) for c in missing)
            raise refuse(f"该角色含有您自己没有的权限：{labels}", permissions=missing)

    def scope(self, codes: list[str], scope: str, org, custom_paths: list[str]) -> None:
        """For each code, what the role reaches placed at ``org`` must lie within the actor's reach with that code."""
        if self.unlimited:
            return
        wanted = needs(scope, org, custom_paths)
        too_wide = [c for c in sorted(set(codes)) if not all(_covered(self.reach(c), n) for n in wanted)]
        if too_wide:
            labels = "、".join(_label(c) for c in too_wide[:5])
            where = f"（在「{org.name}」）" if org is not None and scope != context.SCOPE_CUSTOM else ""
            raise refuse(
                f"不能授予超出您自己数据范围的范围{where}：您对「{labels}」的数据范围更小",
                data_scope=scope,
                permissions=too_wide,
            )

    def field_rules(self, codes: list[str], rules: dict) -> None:
        """The role may not be less restrictive than the actor on any field the actor is restricted on,
        for any code it grants and for operations open to every signed-in user."""
        if self.unlimited:
            return
        rules = fieldrules.role_rules(rules or {})
        for code in [permissions.AUTHENTICATED, *sorted(set(codes))]:
            for label, mine in self.my_rules(code).items():
                theirs = rules.get(label) or {}
                for name, my_rule in sorted(mine.items()):
                    rule = theirs.get(name, fieldrules.VISIBLE)
                    if fieldrules._RANK[rule] < fieldrules._RANK[my_rule]:
                        field_name = fieldrules.field_labels(label, [name])[0]
                        raise refuse(
                            f"不能把字段「{field_name}」放宽到比您自己可见的程度更高（您为：{fieldrules.RULES[my_rule]}）",
                            field=f"{label}.{name}",
                        )

    def organisations(self, orgs: list, codes: list[str] | None = None) -> None:
        """Each organisation (as a subtree) lies within the actor's reach with every code in ``codes``
        (default: the operation's own permission)."""
        if self.unlimited or not orgs:
            return
        for code in codes if codes is not None else [self.ctx.permission]:
            reach = self.reach(code)
            outside = [o.name for o in orgs if not reach.covers_subtree(o.path)]
            if outside:
                raise refuse(
                    f"不能授权您管辖范围以外的组织：{'、'.join(outside)}",
                    organisations=outside,
                    permission=code,
                )

    def role_state(self, *, codes, scope, profile_paths, rules, org=None) -> None:
        """A role with this content, placed at ``org`` (default: the actor's organisation), holds nothing beyond the actor."""
        if self.unlimited:
            return
        self.held(codes)
        place = org if org is not None else self.ctx.organisation
        self.scope(codes, scope, place, profile_paths)
        self.field_rules(codes, rules)

    def role(self, role, org=None, holder=None) -> None:
        """Everything ``role`` gives, placed at ``org`` for ``holder`` (assigning or revoking it hands all of it)."""
        if self.unlimited:
            return
        self.role_state(
            codes=list(role.permissions or []),
            scope=role.data_scope,
            profile_paths=custom_paths(role, holder),
            rules=role.field_rules or {},
            org=org,
        )


def user_profile_paths(user) -> list[str]:
    """Subtrees of the security profiles attached directly to ``user``."""
    from qifu.access.models import SecurityProfile
    from qifu.orgs.models import Organisation

    linked = SecurityProfile.organisations.through.objects.filter(securityprofile__user_links__user=user)
    return list(Organisation.objects.filter(pk__in=linked.values("organisation_id")).values_list("path", flat=True))


def profile_paths(profile) -> list[str]:
    return [o.path for o in profile.organisations.all()] if profile is not None else []


def custom_paths(role, holder=None) -> list[str]:
    """The custom scope's subtrees for ``holder``: their own profiles (EBS user level) win over the role's."""
    if role.data_scope != context.SCOPE_CUSTOM:
        return []
    if holder is not None:
        own = user_profile_paths(holder)
        if own:
            return own
    return profile_paths(role.security_profile)


def audited_refusal(action: str, target: str | None = None):
    """Record an escalation refusal of the decorated service as a ``denied`` entry.

    Put it *outside* ``@transaction.atomic``: the refused transaction has rolled back by then,
    so the entry stays. ``target`` names the argument holding the object acted on."""

    def decorate(func):
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except Forbidden as exc:
                if exc.code == ESCALATION and not getattr(exc, "audited", False):
                    bound = signature.bind_partial(*args, **kwargs).arguments
                    obj = bound.get(target) if target else None
                    obj = obj if isinstance(obj, models.Model) and obj.pk else None
                    audit.record_denied(
                        action,
                        obj,
                        object_type="" if obj is not None else action.rsplit(".", 1)[0],
                        object_repr="" if obj is not None else str(bound.get("code") or bound.get("name") or ""),
                        reason=exc.message,
                        detail=exc.detail,
                    )
                    exc.audited = True
                raise

        return wrapper

    return decorate
