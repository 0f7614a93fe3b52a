"""Names in eligibility rules that must exist, checked when a rule is saved.

``rules.validate_rule`` checks shapes and formats without the database; ``check_rule`` adds what
needs the tables, for the nodes that compare or list values of these facts:

- ``industry_code``: every code must be in the GB/T 4754-2017 table — the 门类 and 大类 of
  ``qifu.orgs.industries`` (what the rule editor offers, from ``policies/options``) or a row of the
  shared ``orgs.Industry`` table, which enterprises point at and which may carry finer codes;
- ``town``: every name must be a 镇街 of the tenant (``auth/towns`` lists the active ones; a town
  deactivated later still validates, so older rules that name it stay editable).

An unknown value raises ``InvalidRule`` naming the node and the value, e.g.
"申报条件有误：条件 2（所属行业）：行业代码“99”不在平台的国民经济行业分类表（GB/T 4754-2017）中，请从行业列表中选择".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from qifu.policies import rules

_CHECKED_TYPES = ("in", "not_in", "compare")


def known_industries(codes: set[str]) -> set[str]:
    """Those of ``codes`` that are in the GB/T 4754 table (the check messaging's segments share)."""
    from qifu.orgs.industries import known_codes

    return known_codes(codes)


def known_towns(names: set[str]) -> set[str]:
    """Those of ``names`` that name a 镇街 of the current tenant."""
    from qifu.orgs.models import Organisation

    return set(Organisation.objects.filter(kind=Organisation.Kind.TOWN, name__in=names).values_list("name", flat=True))


def _walk(node: dict, path: tuple[int, ...]) -> Iterator[tuple[tuple[int, ...], dict]]:
    yield path, node
    for i, child in enumerate(node.get("children") or ()):
        yield from _walk(child, (*path, i))
    if node.get("child"):
        yield from _walk(node["child"], (*path, 0))


def _quoted(values: list[str]) -> str:
    shown = "、".join(f"“{v}”" for v in values[:5])
    return shown + (f"等 {len(values)} 个" if len(values) > 5 else "")


def check_rule(tree: dict[str, Any] | None) -> dict[str, Any] | None:
    """``tree`` (already through ``validate_rule``) unchanged, or InvalidRule naming each unknown value."""
    if not tree:
        return tree
    found: list[tuple[tuple[int, ...], dict, list[str]]] = []
    for path, node in _walk(tree, ()):
        if node["type"] in _CHECKED_TYPES and node.get("fact") in ("industry_code", "town"):
            found.append((path, node, node["values"] if "values" in node else [node["value"]]))
    wanted: dict[str, set[str]] = {"industry_code": set(), "town": set()}
    for _, node, values in found:
        wanted[node["fact"]].update(values)
    known = {
        "industry_code": known_industries(wanted["industry_code"]) if wanted["industry_code"] else set(),
        "town": known_towns(wanted["town"]) if wanted["town"] else set(),
    }
    errors: list[tuple[str, str]] = []
    for path, node, values in found:
        bad = [v for v in values if v not in known[node["fact"]]]
        if not bad:
            continue
        if node["fact"] == "industry_code":
            message = f"行业代码{_quoted(bad)}不在平台的国民经济行业分类表（GB/T 4754-2017）中，请从行业列表中选择"
        else:
            message = f"镇街{_quoted(bad)}不存在，请从本辖区镇街列表中选择"
        errors.append((rules.node_name(path, node), message))
    if errors:
        raise rules.InvalidRule(errors)
    return tree


def validate_rule(tree: Any) -> dict[str, Any] | None:
    """``rules.validate_rule`` then ``check_rule``: the normalised tree whose names all exist."""
    return check_rule(rules.validate_rule(tree))
