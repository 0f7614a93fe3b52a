"""Deterministic demo data, contributed by every capability.

``manage.py seed_demo`` creates the demo tenants and then calls ``seed(ctx)`` of
each app's ``demo`` module, in settings.QIFU_APPS order, inside the tenant's
scope. Apps add their own data without touching this file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from importlib import import_module, util
from typing import Any

from django.conf import settings
from django.db import transaction

from qifu.core import requestinfo, tenancy
from qifu.core.models import Tenant

DEMO_PASSWORD = "Qifu@2026demo"


@dataclass
class DemoContext:
    tenant: Tenant
    rng: random.Random
    scale: float = 1.0  # 1.0 = the full demo; tests use a small fraction
    password: str = DEMO_PASSWORD
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (who, username, password)
    shared: dict[str, Any] = field(default_factory=dict)  # objects apps hand to later apps

    def count(self, full: int, minimum: int = 1) -> int:
        return max(minimum, int(full * self.scale))


TENANTS = [
    ("demo", "示范区企业服务平台", Tenant.Kind.DISTRICT, ["127.0.0.1", "localhost"]),
    ("park", "示范产业园服务平台", Tenant.Kind.PARK, ["park.localhost"]),
]


def seed_all(seed: int = 42, scale: float = 1.0) -> list[tuple[str, str, str]]:
    from qifu.accounts.models import User

    logins: list[tuple[str, str, str]] = []
    if not User.objects.filter(username="admin").exists():
        User.objects.create_user(
            username="admin", password=DEMO_PASSWORD, name="平台管理员", is_platform_admin=True, is_staff=True
        )
    logins.append(("平台管理员", "admin", DEMO_PASSWORD))
    for index, (code, name, kind, domains) in enumerate(TENANTS):
        tenant, _ = Tenant.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "domains": domains})
        ctx = DemoContext(tenant=tenant, rng=random.Random(seed + index), scale=scale if index == 0 else scale * 0.2)
        with tenancy.tenant_scope(tenant), requestinfo.acting(request_id="seed-demo"), transaction.atomic():
            for app in settings.QIFU_APPS:
                module = f"{app}.demo"
                if util.find_spec(module) is not None:
                    import_module(module).seed(ctx)
        if index == 0:
            logins.extend(ctx.logins)
    # Seeders may run one another (and each adds its logins): list every username once.
    seen: set[str] = set()
    unique = [entry for entry in logins if not (entry[1] in seen or seen.add(entry[1]))]
    logins_file().write_text("\n".join("\t".join(entry) for entry in unique) + "\n", encoding="utf-8")
    return unique


def logins_file():
    return settings.DATA_DIR / "demo-logins.tsv"


def saved_logins() -> list[tuple[str, str, str]]:
    """The logins printed by the run that created the demo data."""
    path = logins_file()
    if not path.exists():
        return [("平台管理员", "admin", DEMO_PASSWORD)]
    return [tuple(line.split("\t")) for line in path.read_text(encoding="utf-8").splitlines() if line]
