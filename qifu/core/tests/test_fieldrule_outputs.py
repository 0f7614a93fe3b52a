"""Field rules and output schemas agree: whatever a role may withhold can come out empty.

A hidden or masked value is serialised as "" (text) or null. If an operation's output schema
typed such a field as a required number, flag, date or object, hiding it would turn the
response into a 500 — so either the field takes only the read-only rule (``can_withhold``)
or every output schema of it accepts null.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

from qifu.core import fieldrules, tenancy
from qifu.core.openapi import live_contract, operations
from qifu.core.permissions import AUTHENTICATED, PUBLIC
from qifu.core.testing import sweep, sweep_world
from qifu.core.testing.client import ApiClient
from qifu.core.testing.views import sheet_rows


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


# -- no withheld value leaves the server --------------------------------------------------------------
# A handler or selector that builds a dict (or a schema object) from a model's attributes bypasses the
# router's ``Ruled`` proxy. The test below withholds every text field of every ruleable model for every
# role of the sweep's tenant, calls every GET operation as each of its people on the sweep's real rows,
# and looks for the raw values in the answers (JSON and Excel alike).

# Fields holding codes the server copies from a registry (an event's code, an upload's purpose, a
# consent text's version): their values recur, as such, in the catalogues that list the registry.
CODE_FIELDS = {
    "core.storedfile.purpose",
    "core.storedfile.content_type",
    "accounts.consent.text_version",
    "messaging.send.category",
    "messaging.send.event",
    "finance.loanapplication.eligibility_status",
}
# Operations allowed to show a withheld value, with the reason.
EXEMPT_OPERATIONS = {
    "/api/v1/auth/me": "the signed-in user's own account and the organisations they act for (the switcher)",
    "/api/v1/access/catalogue": "the role editor's catalogue: permission codes, pages and the labels of the "
    "ruleable fields (the code's words, which a tag or category may happen to repeat), no rows",
    "/api/v1/access/audit/operations": "the operation log records changes as they were made; it has its own "
    "permission and is not a view of the rows",
    "/api/v1/access/audit/operations/export": "as the operation log",
    "/api/v1/access/audit/operations/{entry_id}": "as the operation log (who acted, where, what changed)",
}
# (operation, field) pairs whose values coincide with something else the operation rightly shows.
EXEMPT_VALUES = {
    ("/api/v1/messaging/events", "messaging.send.title"): "the event catalogue lists each event's default "
    "title, which the sends an event made copy",
}
PROBE_MIN_LENGTH = 4  # shorter values turn up inside unrelated text


def _probed_fields(model) -> list[str]:
    """Free-text fields a role may withhold: codes with choices and relations are left out (their
    values are short words that recur everywhere; relations are covered by the related model)."""
    ruleable = fieldrules.ruleable_fields(model)
    return [
        f.name
        for f in model._meta.concrete_fields
        if f.name in ruleable
        and isinstance(f, (models.CharField, models.TextField))
        and not f.choices
        and fieldrules.can_withhold(model, f.name)
    ]


def _withhold_everything(rule: str) -> dict[str, dict[str, str]]:
    rules = {}
    for label in fieldrules.ruleable_models():
        fields = _probed_fields(apps.get_model(label))
        if fields:
            rules[label] = dict.fromkeys(fields, rule)
    return rules


def _probes(tenant, rules: dict) -> dict[str, str]:
    """{raw value: "app.model.field"} of every withheld value of the tenant's rows — but values that
    also stand in a field nobody withholds (a tenant's name, a role code, a username) or contain one."""
    withheld: dict[str, str] = {}
    shown: set[str] = set()
    sources = [*fieldrules.ruleable_models(), "core.tenant", "orgs.industry"]
    with tenancy.tenant_scope(tenant):
        for label in sources:
            model = apps.get_model(label)
            texts = [f for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))]
            hidden = rules.get(label, {})
            if not texts:
                continue
            rows = model._default_manager.all()
            if not hasattr(model, "scope_org_field") and any(f.name == "tenant" for f in model._meta.fields):
                rows = rows.filter(tenant=tenant)  # users: not tenant-owned, but of a tenant
            for row in rows.values_list(*[f.attname for f in texts]):
                for field, value in zip(texts, row, strict=True):
                    if not isinstance(value, str):
                        continue
                    key = f"{label}.{field.name}"
                    if field.name in hidden and key not in CODE_FIELDS:
                        # A value stored masked already (the feed's "甲区**有限公司") masks to itself.
                        if len(value.strip()) >= PROBE_MIN_LENGTH and "*" not in value:
                            withheld.setdefault(value.strip(), key)
                    else:
                        shown.add(value)
    return {value: key for value, key in withheld.items() if not any(value in text for text in shown)}


def _texts(response) -> list[str]:
    kind = response.get("Content-Type", "")
    if kind.startswith("application/json"):
        found: list[str] = []

        def walk(value):
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(response.json())
        return found
    if "spreadsheet" in kind:
        return [str(cell) for row in sheet_rows(response) for cell in row if cell is not None]
    return []  # files: their bytes are the upload itself


@pytest.mark.parametrize("rule", [fieldrules.HIDDEN, fieldrules.MASKED])
def test_no_operation_shows_a_withheld_value(cast, rule):
    """Every GET, by every person of the sweep's tenant allowed to call it, on the sweep's real rows:
    no raw value of a field the caller's roles withhold may appear in the answer."""
    from qifu.access.models import Role

    sweep_world.discover()
    alpha, _beta = sweep_world.build_worlds(cast)
    contract = list(operations(live_contract()))
    # A row of every model any operation takes an id of, so that the lists have something to show.
    for label in sorted({op["x-object"] for _, _, op in contract if op.get("x-object")}):
        alpha.row(label)
    ops = [(path, op) for method, path, op in contract if method == "get"]
    rules = _withhold_everything(rule)
    with tenancy.tenant_scope(alpha.tenant):
        Role.objects.update(field_rules=rules)
    probes = _probes(alpha.tenant, rules)
    with tenancy.tenant_scope(alpha.tenant):
        reach = {alpha.enterprise.credit_code, alpha.institution.name}
    assert reach <= set(probes), f"the probes lost their reach: {sorted(reach - set(probes))}"
    callers = [(ApiClient(u, host=alpha.host), sweep_world.permissions_of(alpha, u)) for u in alpha.actors]
    answered, failures = set(), set()
    for path, op in ops:
        if path in EXEMPT_OPERATIONS:
            continue
        url = path
        if op.get("x-object"):
            url = sweep.fill_path(path, alpha.path_values(op["x-object"], sweep.path_params(path)))
        for client, codes in callers:
            permission = op["x-permission"]
            if permission not in (PUBLIC, AUTHENTICATED) and codes is not None and permission not in codes:
                continue
            response = client.get(url)
            assert response.status_code < 500, f"GET {path} with every field {rule}: {response.status_code}"
            if response.status_code != 200:
                continue
            answered.add(path)
            texts = _texts(response)
            for value, source in probes.items():
                if (path, source) not in EXEMPT_VALUES and any(value in text for text in texts):
                    failures.add(f"GET {path} ({permission}) shows {source} = {value!r}")
    assert not failures, "\n".join(sorted(failures))
    assert len(answered) >= 100, f"only {len(answered)} operations answered; the test lost its reach"
