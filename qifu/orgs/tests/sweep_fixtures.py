"""Access-sweep rows of organisations, enterprises and ledgers (see qifu.core.testing.sweep_world)."""

from __future__ import annotations

from qifu.core.testing.sweep_world import fixture
from qifu.orgs import services


@fixture("orgs.enterprise")
def enterprise(world):
    return world.enterprise


@fixture("orgs.organisation")
def organisation(world):
    return world.town


@fixture("orgs.ledger")
def ledger(world):
    return services.create_ledger(name=f"{world.name} 巡检分类账")
