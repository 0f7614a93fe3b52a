"""Helpers for the generic access sweep: schema-valid request bodies (so a denial is the server's
decision and not a validation error), paths filled with the ids of real rows (see ``sweep_world``),
and a snapshot of every row of every table to prove that nothing was written (but the router's
audit entries for refused permissions, ``set_aside_denied_entries``)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import uuid
from typing import Any

from django.db import connection

MISSING_ID = 987654321
MISSING_TEXT = "sweep-missing"
PARAM = re.compile(r"\{([^}]+)\}")


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def example(schema: dict, node: dict, depth: int = 0) -> Any:
    node = resolve(schema, node)
    if depth > 6:
        return None
    if "default" in node and node["default"] is not None:
        return node["default"]
    if "enum" in node:
        return node["enum"][0]
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        return example(schema, options[0], depth + 1) if options else None
    if "allOf" in node:
        return example(schema, node["allOf"][0], depth + 1)
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        return {k: example(schema, v, depth + 1) for k, v in props.items() if k in node.get("required", [])}
    if kind == "array":
        n = node.get("minItems", 0)
        return [example(schema, node.get("items", {}), depth + 1) for _ in range(n)]
    if kind == "integer":
        return max(1, node.get("minimum", 1))
    if kind == "number":
        return max(1, node.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        fmt = node.get("format")
        if fmt == "date":
            return "2026-01-01"
        if fmt == "date-time":
            return "2026-01-01T08:00:00+08:00"
        if fmt == "email":
            return "sweep@example.com"
        if fmt == "uuid":
            return "00000000-0000-0000-0000-000000000000"
        length = max(node.get("minLength", 1), 1)
        return ("sweep" * length)[: max(length, min(5, node.get("maxLength", 5)))]
    return None


def body_for(schema: dict, op: dict) -> Any:
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return example(schema, content["application/json"]["schema"])
    return None


# -- paths -----------------------------------------------------------------------------------------
def path_params(path: str) -> list[str]:
    return [name.split(":")[-1] for name in PARAM.findall(path)]


def fill_path(path: str, values: dict[str, Any]) -> str:
    return PARAM.sub(lambda m: str(values[m.group(1).split(":")[-1]]), path)


def missing_values(path: str) -> dict[str, Any]:
    """Values naming no row at all: the control for "is this refusal about the object?"."""
    return {n: MISSING_ID if n == "id" or n.endswith("_id") else MISSING_TEXT for n in path_params(path)}


# -- nothing written -------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    if isinstance(value, (dt.date, dt.time, decimal.Decimal, uuid.UUID)):
        return str(value)
    return value


def database_snapshot(ignore: dict[str, set[str] | None] | None = None) -> dict[str, dict[str, Any]]:
    """Every row of every table (raw SQL, so search indexes and link tables count too).

    ``ignore`` maps a table to columns left out of the comparison (``None``: the whole table).
    Rows are keyed by their ``id`` column where the table has one."""
    ignore = ignore or {}
    snapshot: dict[str, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table in ignore and ignore[table] is None:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 (introspected names)
            columns = [c[0] for c in cursor.description]
            skip = ignore.get(table) or set()
            keep = [i for i, name in enumerate(columns) if name not in skip]
            keyed = columns and columns[0] == "id"
            rows: dict[Any, Any] = {}
            for n, raw in enumerate(cursor.fetchall()):
                values = tuple(_plain(raw[i]) for i in keep)
                rows[raw[0] if keyed else n] = values
            if not keyed:
                rows = dict(enumerate(sorted(rows.values(), key=repr)))
            snapshot[table] = {"columns": [columns[i] for i in keep], "rows": rows}
    return snapshot


def snapshot_changes(before: dict, after: dict, limit: int = 5) -> list[str]:
    """What differs between two snapshots, table by table, naming rows and columns."""
    changes = []
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table), after.get(table)
        if old == new:
            continue
        if old is None or new is None:
            changes.append(f"{table}: table {'created' if old is None else 'dropped'}")
            continue
        columns = new["columns"]
        added = [k for k in new["rows"] if k not in old["rows"]]
        removed = [k for k in old["rows"] if k not in new["rows"]]
        changed = [k for k in new["rows"] if k in old["rows"] and new["rows"][k] != old["rows"][k]]
        parts = []
        if added:
            parts.append(f"rows added {added[:limit]}")
        if removed:
            parts.append(f"rows removed {removed[:limit]}")
        for key in changed[:limit]:
            cols = [c for c, a, b in zip(columns, old["rows"][key], new["rows"][key], strict=True) if a != b]
            parts.append(f"row {key} changed {cols}")
        changes.append(f"{table}: " + "; ".join(parts))
    return changes


# -- the one write a refusal makes ------------------------------------------------------------------
def set_aside_denied_entries(before: dict, after: dict, *, actor_id: int, tenant_id: int) -> tuple[dict, int]:
    """``after`` without the audit entries the router writes when it refuses a missing permission.

    Only entries added since ``before`` that are ``access.permission_denied`` / ``denied`` entries of
    ``actor_id`` in ``tenant_id`` are set aside, and the chain head's move only when it now names the
    newest of them; any other added entry (another action, outcome, actor or tenant) stays in ``after``
    and so shows as a change. Returns the adjusted ``after`` and how many entries were set aside."""
    from qifu.core.audit import PERMISSION_DENIED
    from qifu.core.audit_models import AuditChainHead, AuditEntry

    entries, head = AuditEntry._meta.db_table, AuditChainHead._meta.db_table
    old, new = before.get(entries), after.get(entries)
    if old is None or new is None:
        return after, 0
    col = {name: i for i, name in enumerate(new["columns"])}

    def refusal(row) -> bool:
        return (
            row[col["action"]] == PERMISSION_DENIED
            and row[col["outcome"]] == "denied"
            and row[col["actor_id"]] == actor_id
            and row[col["tenant_id"]] == tenant_id
        )

    added = {key: row for key, row in new["rows"].items() if key not in old["rows"]}
    aside = {key for key, row in added.items() if refusal(row)}
    if not aside:
        return after, 0
    adjusted = dict(after)
    adjusted[entries] = {**new, "rows": {k: v for k, v in new["rows"].items() if k not in aside}}
    old_head, new_head = before.get(head), after.get(head)
    if aside == set(added) and old_head and new_head:
        newest = new["rows"][max(aside)][col["hash"]]
        last_hash = new_head["columns"].index("last_hash")
        if [row[last_hash] for row in new_head["rows"].values()] == [newest]:
            adjusted[head] = old_head
    return adjusted, len(aside)
