"""The rows the access sweep calls object operations on: a real row of every object model
(``x-object`` in the contract) in each of two tenants, and the people of each tenant who act on them.

Each capability registers one small builder per object model in ``qifu/<app>/tests/sweep_fixtures.py``::

    from qifu.core.testing.sweep_world import fixture

    @fixture("policies.policy")
    def policy(world):
        return services.create_policy({"title": "...", "level": "district", "department": "..."})

A builder runs inside its world's tenant scope, acting as the world's tenant admin, and returns the
row — or ``(row, {"file_id": ...})`` when the operation's path carries a second id. The row must be
one the world's own people can reach (the sweep checks this: the tenant's own actors must get 200 on
every read of it), so that "another tenant gets 404" proves isolation and not absence.
``world.row(label)`` builds (once) a row another builder depends on; ``world.person(...)`` adds a
person of the world (who then also takes part in the sweep as an actor).
"""

from __future__ import annotations

import importlib
import importlib.util
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

from qifu.core import permissions as P
from qifu.core import requestinfo, tenancy

BUILDERS: dict[str, Callable[[World], Any]] = {}

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


class SweepFixtureError(LookupError):
    """An object model has no builder, or a builder returned a row the sweep cannot use."""


def fixture(label: str) -> Callable:
    """Register the builder of one object model (``app_label.modelname``)."""
    key = label.lower()

    def register(fn: Callable) -> Callable:
        existing = BUILDERS.get(key)
        if existing is not None and existing.__qualname__ != fn.__qualname__:
            raise ValueError(f"two sweep fixtures for {key}: {existing.__module__} and {fn.__module__}")
        BUILDERS[key] = fn
        return fn

    return register


def discover() -> None:
    """Import every ``qifu/<app>/tests/sweep_fixtures.py`` of the installed capabilities."""
    for app in settings.QIFU_APPS:
        if importlib.util.find_spec(f"{app}.tests") is None:
            continue
        name = f"{app}.tests.sweep_fixtures"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)


@dataclass
class World:
    """One tenant of the sweep with its organisations, people and built rows."""

    name: str
    tenant: Any
    host: str
    roles: dict[str, Any]
    root: Any
    town: Any
    enterprise: Any
    institution: Any
    admin: Any
    enterprise_owner: Any
    institution_admin: Any
    institution_operator: Any
    phone_prefix: str
    actors: list[Any] = field(default_factory=list)
    rows: dict[str, models.Model] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)  # things builders share (e.g. a bank)
    _people: int = 0

    def __post_init__(self) -> None:
        if not self.actors:
            self.actors = [self.admin, self.enterprise_owner, self.institution_admin, self.institution_operator]

    # -- acting inside the world ---------------------------------------------------------------
    def scope(self):
        return tenancy.tenant_scope(self.tenant)

    def acting(self, user=None):
        return requestinfo.acting(user or self.admin, request_id="sweep-fixture")

    @property
    def ctx(self):
        """A request context of the tenant admin, for services that take one."""
        from qifu.core.context import RequestContext

        return RequestContext(request=None, user=self.admin, tenant=self.tenant)

    # -- helpers for builders --------------------------------------------------------------------
    def person(self, username: str, name: str, organisation, role_code: str | None, *, actor: bool = True):
        """A user of this world who belongs to ``organisation`` with a built-in role."""
        from qifu.access.services import assign_role
        from qifu.accounts.models import User
        from qifu.orgs import services as org_services

        self._people += 1
        user = User.objects.create_user(
            username=f"{self.name}-{username}",
            password="Sweep#Passw0rd-2026",
            name=name,
            phone=f"{self.phone_prefix}{self._people:04d}",
            tenant=self.tenant,
        )
        org_services.add_member(user, organisation, is_default=True)
        if role_code is not None:
            assign_role(user, organisation, self.roles[role_code])
        if actor:
            self.actors.append(user)
        return user

    def upload(self, purpose: str, *, kind: str = "pdf", allowed: tuple[str, ...] | None = None, name: str = ""):
        """A stored file of this tenant, saved through the real upload path."""
        from qifu.core import files

        data = PDF if kind == "pdf" else png()
        upload = SimpleUploadedFile(name or f"sweep.{kind}", data, content_type=f"application/{kind}")
        return files.save_upload(upload, purpose=purpose, allowed=allowed or (kind,))

    def file(self, kind: str = "pdf", name: str = "") -> SimpleUploadedFile:
        data = PDF if kind == "pdf" else png()
        return SimpleUploadedFile(name or f"sweep.{kind}", data, content_type=f"application/{kind}")

    # -- rows ------------------------------------------------------------------------------------
    def row(self, label: str) -> models.Model:
        key = label.lower()
        if key not in self.rows:
            builder = BUILDERS.get(key)
            if builder is None:
                raise SweepFixtureError(
                    f"no sweep fixture for {key}: register one with @fixture({key!r}) in "
                    f"qifu/{key.split('.')[0]}/tests/sweep_fixtures.py"
                )
            with self.scope(), self.acting():
                result = builder(self)
            row, params = result if isinstance(result, tuple) else (result, {})
            self._check(key, row)
            self.rows[key] = row
            self.params[key] = dict(params)
        return self.rows[key]

    def _check(self, key: str, row: Any) -> None:
        model = apps.get_model(key)
        if not isinstance(row, model) or row.pk is None:
            raise SweepFixtureError(f"the sweep fixture for {key} returned {row!r}, not a saved {model.__name__}")
        tenant_id = getattr(row, "tenant_id", None)
        if tenant_id is None and hasattr(row, "user"):
            tenant_id = row.user.tenant_id
        if tenant_id != self.tenant.pk:
            raise SweepFixtureError(f"the sweep fixture for {key} built a row of tenant {tenant_id}, not {self.name}")

    def path_values(self, label: str, names: list[str]) -> dict[str, Any]:
        """Values for a path's parameters: the object row for the first, builder extras for the rest."""
        row = self.row(label)
        first, *rest = names
        values = {first: row.pk if first == "id" or first.endswith("_id") else getattr(row, first)}
        for name in rest:
            if name not in self.params[label.lower()]:
                raise SweepFixtureError(
                    f"the sweep fixture for {label} gives no value for the path parameter {{{name}}}: "
                    f"return (row, {{{name!r}: ...}})"
                )
            values[name] = self.params[label.lower()][name]
        return values


def build_worlds(cast) -> tuple[World, World]:
    """The cast's tenant ``alpha`` and the outsider's tenant ``beta``, each with a full set of actors."""
    from qifu.access.services import ensure_builtin_roles
    from qifu.orgs import services as org_services
    from qifu.orgs.models import Institution, Organisation

    alpha = World(
        name="alpha",
        tenant=cast.tenant,
        host="alpha.test",
        roles=cast.roles,
        root=cast.root,
        town=cast.town_a,
        enterprise=cast.enterprise_a,
        institution=cast.institution,
        admin=cast.tenant_admin,
        enterprise_owner=cast.enterprise_owner,
        institution_admin=cast.institution_admin,
        institution_operator=cast.institution_operator,
        phone_prefix="1370000",
    )
    with tenancy.tenant_scope(cast.other_tenant), requestinfo.acting(cast.outsider, request_id="sweep-fixture"):
        roles = ensure_builtin_roles()
        root = Organisation.objects.get(kind=Organisation.Kind.ROOT)
        town = org_services.create_organisation(name="乙园区一街区", kind=Organisation.Kind.TOWN, parent=root)
        institution = org_services.create_institution(
            name="乙园区律师事务所", kind="legal", parent=root, status=Institution.Status.APPROVED
        )
        beta = World(
            name="beta",
            tenant=cast.other_tenant,
            host="beta.test",
            roles=roles,
            root=root,
            town=town,
            enterprise=cast.other_enterprise,
            institution=institution,
            admin=cast.outsider,
            enterprise_owner=None,
            institution_admin=None,
            institution_operator=None,
            phone_prefix="1371000",
            actors=[cast.outsider],
        )
        beta.enterprise_owner = beta.person(
            "ent-owner", "乙园区企业主", cast.other_enterprise.organisation, P.ENTERPRISE_OWNER
        )
        beta.institution_admin = beta.person("inst-admin", "乙所管理员", institution.organisation, P.INSTITUTION_ADMIN)
        beta.institution_operator = beta.person(
            "inst-operator", "乙所经办人", institution.organisation, P.INSTITUTION_OPERATOR
        )
    return alpha, beta


def permissions_of(world: World, user) -> frozenset[str] | None:
    """The permission codes ``user`` holds in its default organisation (None: platform admin, all)."""
    from qifu.core.context import RequestContext

    with world.scope():
        ctx = RequestContext(request=None, user=user, tenant=world.tenant)
        return None if ctx.is_platform_admin else ctx.permissions
