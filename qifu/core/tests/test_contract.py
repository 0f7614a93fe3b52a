"""Meta-tests over the whole API contract. Every later capability inherits them."""

from __future__ import annotations

import re

from qifu.core import permissions
from qifu.core.openapi import CONTRACT_PATH, live_contract, operations, render
from qifu.core.routers import CAPABILITY_TAGS


def test_every_operation_declares_a_known_permission_and_a_capability_tag():
    problems = []
    for method, path, op in operations():
        code = op.get("x-permission")
        if not code:
            problems.append(f"{method.upper()} {path}: no x-permission")
        elif not permissions.is_known(code):
            problems.append(f"{method.upper()} {path}: unknown permission {code}")
        tags = op.get("tags") or []
        if not tags or any(t not in CAPABILITY_TAGS for t in tags):
            problems.append(f"{method.upper()} {path}: tags {tags} do not name a capability")
        if re.search(r"\{[^}]+\}", path) and not op.get("x-object"):
            problems.append(f"{method.upper()} {path}: path carries an id but the operation declares no object=")
    assert not problems, "\n".join(problems)


def test_every_operation_has_a_chinese_summary():
    missing = [
        f"{m.upper()} {p}" for m, p, op in operations() if not re.search(r"[\u4e00-\u9fff]", op.get("summary", ""))
    ]
    assert not missing, "operations without a Chinese summary: " + ", ".join(missing)


def test_committed_contract_matches_the_code():
    committed = CONTRACT_PATH.read_text() if CONTRACT_PATH.exists() else ""
    assert committed == render(live_contract()), "openapi.json is stale: run `.venv/bin/python manage.py openapi`"


def test_permission_registry_declares_labels():
    for code, perm in permissions.REGISTRY.items():
        assert perm.label and perm.capability in CAPABILITY_TAGS, code


def test_schema_names_are_unique():
    """ninja names contract components by class name and silently keeps one of two namesakes."""
    from collections import defaultdict

    from ninja import Schema

    import qifu.api  # noqa: F401  (mounts every router, importing every schema)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    places = defaultdict(set)
    for cls in subclasses(Schema):
        if cls.__module__.startswith("qifu."):
            places[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    clashes = {name: sorted(where) for name, where in places.items() if len(where) > 1}
    assert not clashes, f"schema class names used twice (rename one, e.g. with the capability as prefix): {clashes}"
