"""The generic sweep over every operation of the contract.

Two tenants (the cast's ``alpha`` and the outsider's ``beta``) each get a real row of every model an
operation takes an id of (builders in ``qifu/<app>/tests/sweep_fixtures.py``). Then every operation is
called

- as anonymous: 401 unless public;
- as a signed-in user of ``alpha`` without the permission: 403;
- on an object of one tenant by every person of the other tenant who holds the permission: 404 —
  or a refusal that does not depend on the object (the same 403 the person gets for an id that
  names nothing, e.g. "act for an institution first"); at least one of them must get the 404;
- public object operations on one tenant's object from the other tenant's site (anonymous) and
  by the other tenant's admin: 404;

and afterwards every row of every table must be exactly as before — except the operation log's
``access.permission_denied`` entries of the user without permission (and the chain head naming the
newest), the one write a refusal makes (``sweep.set_aside_denied_entries``). Finally, as the control that
makes the 404s mean isolation rather than absence: every read of an object is answered 200 for at
least one person of the object's own tenant (anonymous for public reads).
"""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.models import Session

from qifu.accounts.models import UserSession
from qifu.core import audit, tenancy
from qifu.core.audit_models import AuditChainHead, AuditEntry
from qifu.core.openapi import live_contract, operations
from qifu.core.permissions import AUTHENTICATED, PUBLIC
from qifu.core.testing import sweep, sweep_world
from qifu.core.testing.client import ApiClient
from qifu.orgs import services as org_services
from qifu.orgs.models import Ledger, Organisation


@pytest.fixture
def contract():
    return live_contract()


def _outcome(response) -> tuple[int, str | None]:
    code = None
    if response.get("Content-Type", "").startswith("application/json"):
        body = response.json()
        code = body.get("code") if isinstance(body, dict) else None
    return response.status_code, code


class Person:
    """A signed-in test client of one world, with the permission codes its user holds."""

    def __init__(self, world, user):
        self.world = world
        self.user = user
        self.client = ApiClient(user, host=world.host)
        self.codes = sweep_world.permissions_of(world, user)

    def holds(self, permission: str) -> bool:
        return permission in (PUBLIC, AUTHENTICATED) or self.codes is None or permission in self.codes

    def __str__(self) -> str:
        return f"{self.world.name}:{self.user.username}"


def call(client, method: str, path: str, values: dict, body):
    return getattr(client, method)(sweep.fill_path(path, values), body)


def _cross_tenant(op_label, method, path, label, permission, body, home, people, failures):
    """``people`` (all of the other tenant) call the operation on ``home``'s row."""
    values = home.path_values(label, sweep.path_params(path))
    missing = sweep.missing_values(path)
    reached = []
    for person in people:
        if not person.holds(permission):
            continue  # refused by the permission check, proven by the no-permission call
        response = call(person.client, method, path, values, body)
        status, code = _outcome(response)
        if status == 404:
            reached.append(person)
        elif status == 403:
            control = _outcome(call(person.client, method, path, missing, body))
            if control != (status, code):
                failures.append(
                    f"{op_label} by {person} on {home.name}'s row: {status} {code}, but {control} for an id that "
                    "names nothing — the answer tells the object exists"
                )
        else:
            failures.append(
                f"{op_label} by {person} on {home.name}'s row: {status} {code}, expected 404 "
                f"({response.content[:160]!r})"
            )
    if not reached:
        failures.append(f"{op_label}: no person of the other tenant reached the lookup of {home.name}'s row (no 404)")


def _public_cross_tenant(op_label, method, path, label, body, home, other, anonymous, failures):
    values = home.path_values(label, sweep.path_params(path))
    for who, client in ((f"anonymous on {other.host}", anonymous[other.name]), (str(other.admin), other.admin_client)):
        status, code = _outcome(call(client, method, path, values, body))
        if status != 404:
            failures.append(f"{op_label} as {who} on {home.name}'s row: {status} {code}, expected 404")


def test_sweep_refuses_and_changes_nothing(cast, contract):
    sweep_world.discover()
    alpha, beta = sweep_world.build_worlds(cast)
    ops = list(operations(contract))
    labels = sorted({op["x-object"] for _, _, op in ops if op.get("x-object")})
    for world in (alpha, beta):
        for label in labels:
            world.row(label)  # every object model has a real row in both tenants, or this raises
    people = {world.name: [Person(world, user) for user in world.actors] for world in (alpha, beta)}
    for world in (alpha, beta):
        world.admin_client = people[world.name][0].client
    anonymous = {world.name: ApiClient(None, host=world.host) for world in (alpha, beta)}
    no_role = ApiClient(cast.no_role_user, host=alpha.host)
    for client in [no_role, *(p.client for group in people.values() for p in group)]:
        client.get("auth/me")  # first-request session bookkeeping happens before the snapshot
    ignore = {Session._meta.db_table: None, UserSession._meta.db_table: {"last_seen_at"}}
    before = sweep.database_snapshot(ignore)

    failures: list[str] = []
    for method, path, op in ops:
        permission = op["x-permission"]
        label = op.get("x-object")
        params = sweep.path_params(path)
        op_label = f"{method.upper()} {path}"
        if params and not label:
            failures.append(f"{op_label}: the path carries ids but the operation names no x-object")
            continue
        body = sweep.body_for(contract, op)
        values = alpha.path_values(label, params) if label else {}
        if permission != PUBLIC:
            status, code = _outcome(call(anonymous["alpha"], method, path, values, body))
            if status != 401:
                failures.append(f"{op_label} as anonymous: {status} {code}, expected 401")
        if permission not in (PUBLIC, AUTHENTICATED):
            status, code = _outcome(call(no_role, method, path, values, body))
            if status != 403:
                failures.append(f"{op_label} without permission: {status} {code}, expected 403")
        if not label:
            continue
        for home, other in ((alpha, beta), (beta, alpha)):
            if permission == PUBLIC:
                _public_cross_tenant(op_label, method, path, label, body, home, other, anonymous, failures)
            else:
                _cross_tenant(op_label, method, path, label, permission, body, home, people[other.name], failures)

    after = sweep.database_snapshot(ignore)
    # The one write allowed: the router logs the no-permission user's refusals (outcome denied).
    after, refusals_logged = sweep.set_aside_denied_entries(
        before, after, actor_id=cast.no_role_user.id, tenant_id=alpha.tenant.id
    )
    changes = sweep.snapshot_changes(before, after)

    # The control: each tenant's own people do reach every object they read.
    for method, path, op in ops:
        label = op.get("x-object")
        if method != "get" or not label:
            continue
        permission = op["x-permission"]
        for world in (alpha, beta):
            values = world.path_values(label, sweep.path_params(path))
            if permission == PUBLIC:
                callers = [anonymous[world.name]]
            else:
                callers = [p.client for p in people[world.name] if p.holds(permission)]
            outcomes = [_outcome(call(c, method, path, values, None)) for c in callers]
            if not any(status == 200 for status, _ in outcomes):
                failures.append(
                    f"GET {path}: no one of {world.name} reads its own {label} row ({outcomes}); "
                    "fix its sweep fixture so the 404s above mean isolation"
                )

    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
    assert not changes, "the sweep changed data:\n" + "\n".join(changes)
    assert refusals_logged, "the refusals without permission left no denied entry in the operation log"
    assert audit.check_chain().broken is None


def test_snapshot_sees_every_write(cast):
    """The "nothing changed" check itself: an added row and a single changed column both show."""
    before = sweep.database_snapshot()
    with tenancy.tenant_scope(cast.tenant):
        Organisation.objects.filter(pk=cast.town_a.pk).update(sort=7)
        ledger = org_services.create_ledger(name="快照测试分类账")
    changes = sweep.snapshot_changes(before, sweep.database_snapshot())
    assert f"row {cast.town_a.pk} changed ['sort']" in _for_table(changes, Organisation)
    assert f"rows added [{ledger.pk}]" in _for_table(changes, Ledger)
    assert _for_table(changes, AuditEntry)  # the service's audit entry


def test_only_the_callers_refusal_entries_are_set_aside(cast, api):
    """The sweep's one tolerated write: denied entries of the no-permission user, nothing else."""
    ignore = {Session._meta.db_table: None, UserSession._meta.db_table: {"last_seen_at"}}
    no_role, staff = api(cast.no_role_user), api(cast.staff_a)
    for client in (no_role, staff):
        client.get("auth/me")  # first-request session bookkeeping happens before the snapshot

    def aside(write):
        before = sweep.database_snapshot(ignore)
        write()
        after = sweep.database_snapshot(ignore)
        tolerated, count = sweep.set_aside_denied_entries(
            before, after, actor_id=cast.no_role_user.id, tenant_id=cast.tenant.id
        )
        return count, sweep.snapshot_changes(before, tolerated)

    assert aside(lambda: no_role.get("access/roles")) == (1, [])
    # Another user's refusal, or an entry of another kind or tenant, still shows (and so does the head).
    for write in (
        lambda: staff.get("access/roles"),
        lambda: audit.record("sweep.other", actor=cast.no_role_user, tenant=cast.tenant),
        lambda: audit.record(
            audit.PERMISSION_DENIED, actor=cast.no_role_user, tenant=cast.other_tenant, outcome="denied"
        ),
    ):
        count, changes = aside(write)
        assert count == 0 and _for_table(changes, AuditEntry) and _for_table(changes, AuditChainHead)
    # A refusal entry next to another write: the refusal is set aside, the other write and the head still show.
    count, changes = aside(lambda: (no_role.get("access/users"), audit.record("sweep.other", tenant=cast.tenant)))
    assert count == 1 and _for_table(changes, AuditEntry) and _for_table(changes, AuditChainHead)


def _for_table(changes: list[str], model) -> str:
    return "".join(c for c in changes if c.startswith(model._meta.db_table + ":"))


def _mounted_operations() -> set[tuple[str, str]]:
    """Every (method, path) the API serves, read from ninja's routers rather than from the contract."""
    from ninja.utils import normalize_path

    from qifu.api import api

    mounted = set()
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            full = normalize_path("/".join(("/api/v1", prefix, path))).rstrip("/")
            full = re.sub(r"\{(?:[^}:]+:)?([^}]+)\}", r"{\1}", full)
            for operation in view.operations:
                mounted.update((method.lower(), full) for method in operation.methods)
    return mounted


def test_sweep_covers_every_operation(contract):
    """The sweep walks exactly the operations the API serves (none hidden from the contract), and
    every model an operation takes an id of has a sweep fixture."""
    walked = [(method, path.rstrip("/")) for method, path, _ in operations(contract)]
    assert len(walked) == len(set(walked))
    assert set(walked) == _mounted_operations()
    sweep_world.discover()
    labels = {op["x-object"].lower() for _, _, op in operations(contract) if op.get("x-object")}
    assert labels <= set(sweep_world.BUILDERS), f"no sweep fixture for {sorted(labels - set(sweep_world.BUILDERS))}"
