"""Helpers for the generic access sweep: fill path parameters with real ids and
build a schema-valid request body, so a denial is the server's decision and
not a validation error."""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps

from qifu.core import tenancy

MISSING_ID = 987654321


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


def object_id(label: str | None, tenant) -> int:
    """The id of an existing row of ``label`` in ``tenant`` (so 404 means isolation, not absence)."""
    if not label:
        return MISSING_ID
    model = apps.get_model(label)
    with tenancy.all_tenants():
        manager = model._base_manager
        qs = (
            manager.filter(tenant=tenant)
            if hasattr(model, "tenant_id") or "tenant" in [f.name for f in model._meta.fields]
            else manager.all()
        )
        row = qs.order_by("id").first()
    return row.pk if row else MISSING_ID


def fill_path(path: str, object_label: str | None, tenant) -> str:
    ident = object_id(object_label, tenant)
    return re.sub(r"\{[^}]+\}", str(ident), path)


def body_for(schema: dict, op: dict) -> Any:
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return example(schema, content["application/json"]["schema"])
    return None


def database_fingerprint() -> dict[str, tuple[int, str]]:
    """Row count and newest update of every table — compared before and after the sweep."""
    result = {}
    with tenancy.all_tenants():
        for model in apps.get_models():
            if model._meta.proxy or not model._meta.managed:
                continue
            manager = model._base_manager
            field_names = {f.name for f in model._meta.concrete_fields}
            newest = ""
            if "updated_at" in field_names:
                latest = manager.order_by("-updated_at").values_list("updated_at", flat=True).first()
                newest = latest.isoformat() if latest else ""
            result[model._meta.label] = (manager.count(), newest)
    return result
