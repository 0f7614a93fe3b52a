"""Access-sweep rows of the framework's own object models (see qifu.core.testing.sweep_world)."""

from __future__ import annotations

from qifu.core import audit
from qifu.core.audit_models import AuditEntry
from qifu.core.testing.sweep_world import fixture


@fixture("core.auditentry")
def audit_entry(world):
    # The audit log is append-only: an entry of the world's tenant, written the way every service writes one.
    audit.record("sweep.fixture", world.town, changes={"note": {"after": "access sweep"}})
    return AuditEntry.objects.filter(tenant=world.tenant).order_by("-id").first()
