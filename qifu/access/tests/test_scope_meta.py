"""Meta-test: reads of models with an owning organisation go through the data scope.

The data scope is applied by ``ctx.scoped`` / ``ctx.get_or_404`` (both end in
``RequestContext.scope_filter``). A handler that returns rows of such a model without calling
them shows every row of the tenant to everyone holding the permission. This test calls every
GET operation that needs a permission code, as the platform admin (who passes every permission
check), and fails when one answers 200 without the data scope having been consulted for

* the model it declares (``x-data-scope``), or
* the model of the rows it returns (an instance, a list or a page of them; proxies count as
  the model they proxy, and a proxy declaring no owning organisation is exempt by design).
"""

from __future__ import annotations

import sys

import pytest
from django.apps import apps

from qifu.core import fieldrules
from qifu.core.context import RequestContext
from qifu.core.openapi import live_contract, operations
from qifu.core.permissions import AUTHENTICATED, PUBLIC
from qifu.core.testing import sweep, sweep_world
from qifu.core.testing.client import ApiClient

# Operations whose rows are legitimately not organisation-scoped, with the reason.
EXEMPT: dict[str, str] = {}


def _scoped_model(op) -> str | None:
    label = (op.get("x-data-scope") or {}).get("model")
    if not label:
        return None
    try:
        model = apps.get_model(label)
    except LookupError:
        return None
    return label if getattr(model, "scope_org_field", None) else None


@pytest.fixture
def spy(monkeypatch):
    """Records the models the data scope was consulted for, and the models of the rows returned."""
    seen = {"scoped": set(), "returned": set()}
    original_filter = RequestContext.scope_filter
    original_wrap = fieldrules.wrap

    def scope_filter(self, model, permission=None):
        seen["scoped"].add(fieldrules.label_of(model))
        return original_filter(self, model, permission)

    def top_rows(value):
        if isinstance(value, dict) and "items" in value:
            value = value["items"]
        rows = value if isinstance(value, (list, tuple)) else [value]
        return [r for r in rows if hasattr(r, "_meta")]

    def wrap(value, ctx):
        # Only what a handler hands to the router; related rows wrapped later are reached from these.
        if sys._getframe(1).f_globals.get("__name__") == "qifu.core.routers":
            for row in top_rows(value):
                if getattr(type(row), "scope_org_field", None):
                    seen["returned"].add(fieldrules.label_of(type(row)))
        return original_wrap(value, ctx)

    monkeypatch.setattr(RequestContext, "scope_filter", scope_filter)
    monkeypatch.setattr(fieldrules, "wrap", wrap)
    return seen


def test_reads_of_scoped_models_go_through_the_data_scope(cast, spy):
    """Each GET with a permission code, by every person of the sweep world holding the code (and the
    platform admin), on real rows (the access sweep's builders)."""
    sweep_world.discover()
    alpha, _beta = sweep_world.build_worlds(cast)
    ops = [(m, p, op) for m, p, op in operations(live_contract()) if m == "get"]
    for label in sorted({op["x-object"] for _, _, op in ops if op.get("x-object")}):
        alpha.row(label)  # lists have something to return, details a row to open
    callers = [(ApiClient(u, host=alpha.host), sweep_world.permissions_of(alpha, u)) for u in alpha.actors]
    callers.append((ApiClient(cast.platform_admin, host=alpha.host), None))
    checked, failures = set(), []
    for _, path, op in ops:
        permission = op["x-permission"]
        if permission in (PUBLIC, AUTHENTICATED) or path in EXEMPT:
            continue
        url = path
        if op.get("x-object"):
            url = sweep.fill_path(path, alpha.path_values(op["x-object"], sweep.path_params(path)))
        declared = _scoped_model(op)
        for client, codes in callers:
            if codes is not None and permission not in codes:
                continue
            spy["scoped"].clear()
            spy["returned"].clear()
            if client.get(url).status_code != 200:
                continue
            checked.add(path)
            wanted = ({fieldrules.label_of(declared)} if declared else set()) | spy["returned"]
            missing = sorted(wanted - spy["scoped"])
            if missing:
                failures.append(f"GET {path} answered 200 with {missing} not read through ctx.scoped / ctx.get_or_404")
    assert not failures, "\n".join(sorted(set(failures)))
    assert len(checked) >= 60, f"only {len(checked)} operations answered; the meta-test lost its reach"


def test_the_spy_sees_scoped_and_unscoped_reads(cast, api, spy, in_tenant):
    """The meta-test itself can fail: rows returned without the scope are noticed."""
    from qifu.orgs.models import Enterprise

    client = api(cast.platform_admin, host="alpha.test")
    assert client.get("access/enterprises").status_code == 200
    assert spy["scoped"] >= {"orgs.enterprise"} and spy["returned"] == {"orgs.enterprise"}
    spy["scoped"].clear()
    spy["returned"].clear()
    ctx = RequestContext(request=None, user=cast.platform_admin, tenant=cast.tenant)
    from qifu.core import routers

    handler = routers._ruled(lambda request: list(Enterprise.objects.all()), ["GET"], "/x", None, None)
    handler(type("Request", (), {"ctx": ctx})())  # what an unscoped handler would hand back
    assert spy["returned"] == {"orgs.enterprise"} and not spy["scoped"]
