"""The registry of function permission codes.

Each capability declares its codes in its ``permissions.py`` with the built-in
roles that get them by default; operations name these codes in ``permission=``
and roles hold lists of them. An unknown code is a programming error caught at import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PUBLIC = "public"
AUTHENTICATED = "authenticated"  # any signed-in user of the tenant; no role needed

# Built-in role codes created for every tenant (see qifu.access.services.ensure_builtin_roles).
TENANT_ADMIN = "tenant_admin"
DISTRICT_STAFF = "district_staff"
AUDITOR = "auditor"
INSTITUTION_ADMIN = "institution_admin"
INSTITUTION_OPERATOR = "institution_operator"
ENTERPRISE_OWNER = "enterprise_owner"
ENTERPRISE_MEMBER = "enterprise_member"


@dataclass(frozen=True)
class Permission:
    code: str
    label: str
    capability: str
    default_roles: tuple[str, ...] = field(default_factory=tuple)


REGISTRY: dict[str, Permission] = {}


def define(code: str, label: str, *, capability: str, roles: tuple[str, ...] | list[str] = ()) -> str:
    """Declare a permission code; returns the code so modules can keep it as a constant."""
    if code in (PUBLIC, AUTHENTICATED):
        raise ValueError(f"{code!r} is reserved")
    existing = REGISTRY.get(code)
    if existing and existing.label != label:
        raise ValueError(f"permission {code!r} declared twice with different labels")
    roles = tuple(roles)
    if TENANT_ADMIN not in roles:
        roles = (TENANT_ADMIN, *roles)  # the tenant admin can do everything in the tenant
    REGISTRY[code] = Permission(code=code, label=label, capability=capability, default_roles=roles)
    return code


def is_known(code: str) -> bool:
    return code in (PUBLIC, AUTHENTICATED) or code in REGISTRY


def codes_for_role(role_code: str) -> list[str]:
    return sorted(p.code for p in REGISTRY.values() if role_code in p.default_roles)
