"""Field rules and output schemas agree: whatever a role may withhold can come out empty.

A hidden or masked value is serialised as "" (text) or null. If an operation's output schema
typed such a field as a required number, flag, date or object, hiding it would turn the
response into a 500 — so either the field takes only the read-only rule (``can_withhold``)
or every output schema of it accepts null.
"""

from __future__ import annotations

import pytest
from django.apps import apps

from qifu.core import fieldrules
from qifu.core.openapi import live_contract, operations


def _resolve(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _accepts_empty(prop: dict) -> bool:
    variants = prop.get("anyOf") or prop.get("oneOf") or [prop]
    return any(v.get("type") in ("null", "string") and v.get("format") is None for v in variants)


def _row_schema(op: dict, components: dict) -> dict | None:
    for status in ("200", "201"):
        content = op.get("responses", {}).get(status, {}).get("content", {})
        schema = content.get("application/json", {}).get("schema")
        if schema:
            schema = _resolve(schema, components)
            items = schema.get("properties", {}).get("items")
            if items and items.get("type") == "array":  # a page of rows
                return _resolve(items["items"], components)
            return schema
    return None


def test_every_field_a_role_may_withhold_can_be_output_empty():
    contract = live_contract()
    components = contract["components"]["schemas"]
    problems = set()
    for method, path, op in operations(contract):
        label = (op.get("x-field-rules") or {}).get("model")
        if not label:
            continue
        model = apps.get_model(label)
        ruleable = fieldrules.ruleable_fields(model)
        row = _row_schema(op, components)
        for name, prop in ((row or {}).get("properties") or {}).items():
            field = name[:-3] if name.endswith("_id") and name[:-3] in ruleable else name
            if field in ruleable and fieldrules.can_withhold(model, field) and not _accepts_empty(prop):
                problems.add(f"{method.upper()} {path}: {label}.{name} can be hidden but its output cannot be empty")
    assert not problems, "\n".join(sorted(problems))


def test_a_field_that_must_have_a_value_takes_only_the_read_only_rule(db):
    assert not fieldrules.can_withhold("marketplace.product", "is_free")
    assert fieldrules.can_withhold("marketplace.application", "contact_phone")
    with pytest.raises(ValueError, match="只能设为只读"):
        fieldrules.validate_rules({"marketplace.product": {"is_free": "hidden"}})
    with pytest.raises(ValueError, match="只能设为只读"):
        fieldrules.validate_rules({"marketplace.product": {"rating_count": "masked"}})
    assert fieldrules.validate_rules({"marketplace.product": {"is_free": "readonly"}}) == {
        "marketplace.product": {"is_free": "readonly"}
    }
    catalogue = fieldrules.ruleable_models()["marketplace.product"]
    assert "is_free" in catalogue["readonly_only"] and "name" not in catalogue["readonly_only"]
