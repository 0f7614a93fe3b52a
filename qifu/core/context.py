"""The request context handed to every operation: who, in which tenant and organisation,
holding which permissions, and the data scope those permissions carry.

This is the single place where role data scopes turn into queryset filters; API
handlers call ``ctx.scoped(queryset)`` and never filter by organisation by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.apps import apps
from django.db.models import Model, Q, QuerySet

from qifu.core.errors import ApiError, NotFound

# Data scope kinds (数据范围), the same vocabulary as RuoYi / EBS MOAC.
SCOPE_ALL = "all"  # 全部
SCOPE_ORG_AND_BELOW = "org_and_below"  # 本部门及以下
SCOPE_ORG = "org"  # 本部门
SCOPE_SELF = "self"  # 仅本人
SCOPE_ORG_AND_BELOW_OR_SELF = "org_and_below_or_self"  # 本部门及以下或本人
SCOPE_CUSTOM = "custom"  # 自定义（安全配置文件）
SCOPE_KINDS = (SCOPE_ALL, SCOPE_ORG_AND_BELOW, SCOPE_ORG, SCOPE_SELF, SCOPE_ORG_AND_BELOW_OR_SELF, SCOPE_CUSTOM)


def _is_plain_id(model, org_field: str) -> bool:
    """``scope_org_field`` naming an integer column holding an organisation id (no foreign key)."""
    if org_field == "self" or "__" in org_field:
        return False
    try:
        field = model._meta.get_field(org_field)
    except Exception:
        return False
    return not field.is_relation


def _below(model, org_field: str, path: str) -> Q:
    """Rows owned by the organisation at ``path`` or below it."""
    # ``scope_org_field = "self"`` marks the Organisation model itself.
    if org_field == "self":
        return Q(path__startswith=path)
    if _is_plain_id(model, org_field):
        Organisation = apps.get_model("orgs", "Organisation")
        return Q(**{f"{org_field}__in": Organisation.objects.filter(path__startswith=path).values("pk")})
    return Q(**{f"{org_field}__path__startswith": path})


def _exactly(model, org_field: str, org) -> Q:
    if org_field == "self":
        return Q(pk=org.pk)
    return Q(**{org_field: org.pk if _is_plain_id(model, org_field) else org})


@dataclass
class RequestContext:
    request: Any
    user: Any
    tenant: Any
    permission: str = "public"
    _cache: dict = field(default_factory=dict)

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user is not None and self.user.is_authenticated)

    @property
    def is_platform_admin(self) -> bool:
        return self.is_authenticated and bool(getattr(self.user, "is_platform_admin", False))

    # -- organisation ---------------------------------------------------------
    @cached_property
    def organisation(self):
        """The organisation the user is acting for (chosen in the session, else the default)."""
        if not self.is_authenticated:
            return None
        Membership = apps.get_model("orgs", "Membership")
        memberships = Membership.objects.filter(user=self.user, organisation__is_active=True).select_related(
            "organisation"
        )
        chosen = self.request.session.get("qifu_org") if hasattr(self.request, "session") else None
        if chosen:
            m = memberships.filter(organisation_id=chosen).first()
            if m:
                return m.organisation
        m = memberships.order_by("-is_default", "id").first()
        return m.organisation if m else None

    # -- roles and permissions ------------------------------------------------
    @cached_property
    def roles(self) -> list:
        if not self.is_authenticated or self.organisation is None:
            return []
        RoleAssignment = apps.get_model("access", "RoleAssignment")
        return [
            a.role
            for a in RoleAssignment.objects.filter(user=self.user, organisation=self.organisation).select_related(
                "role", "role__security_profile"
            )
        ]

    @cached_property
    def permissions(self) -> frozenset[str]:
        codes: set[str] = set()
        for role in self.roles:
            codes.update(role.permissions or [])
        return frozenset(codes)

    def has_perm(self, code: str) -> bool:
        if code == "public":
            return True
        if not self.is_authenticated:
            return False
        if code == "authenticated" or self.is_platform_admin:
            return True
        return code in self.permissions

    # -- data scope -------------------------------------------------------------
    def scope_filter(self, model: type[Model], permission: str | None = None) -> Q | None:
        """The Q restricting ``model`` for ``permission``; None means no restriction."""
        permission = permission or self.permission
        if self.is_platform_admin or permission in ("public", "authenticated"):
            return None
        org_field = getattr(model, "scope_org_field", None)
        owner_field = getattr(model, "scope_owner_field", None)
        org = self.organisation
        combined = Q(pk__in=[])  # a role granting nothing sees nothing
        for role in self.roles:
            if permission not in (role.permissions or []):
                continue
            scope = role.data_scope
            if scope == SCOPE_ALL or (org_field is None and scope != SCOPE_SELF):
                return None
            below = _below(model, org_field, org.path) if org_field and org else Q(pk__in=[])
            own = Q(**{owner_field: self.user}) if owner_field else Q(pk__in=[])
            if scope == SCOPE_ORG_AND_BELOW:
                combined |= below
            elif scope == SCOPE_ORG:
                combined |= _exactly(model, org_field, org) if org_field and org else Q(pk__in=[])
            elif scope == SCOPE_SELF:
                combined |= own
            elif scope == SCOPE_ORG_AND_BELOW_OR_SELF:
                combined |= below | own
            elif scope == SCOPE_CUSTOM:
                for path in self._custom_paths(role):
                    combined |= _below(model, org_field, path)
        return combined

    @cached_property
    def user_profile_paths(self) -> list[str]:
        """Organisation subtrees of the security profiles attached directly to the user."""
        if not self.is_authenticated:
            return []
        Organisation = apps.get_model("orgs", "Organisation")
        return list(
            Organisation.objects.filter(
                pk__in=apps.get_model("access", "SecurityProfile")
                .organisations.through.objects.filter(
                    securityprofile__user_links__user=self.user,
                )
                .values("organisation_id")
            ).values_list("path", flat=True)
        )

    def _custom_paths(self, role) -> list[str]:
        """The custom scope's subtrees: the user's own profiles (EBS user level) win over the role's."""
        if self.user_profile_paths:
            return self.user_profile_paths
        if not role.security_profile_id:
            return []
        key = ("profile_paths", role.security_profile_id)
        if key not in self._cache:
            self._cache[key] = [o.path for o in role.security_profile.organisations.all()]
        return self._cache[key]

    def scoped(self, queryset: QuerySet, permission: str | None = None) -> QuerySet:
        """``queryset`` within the data scope; its filters on fields hidden or masked for the
        user match nothing (``fieldrules.restrict_filters``), so a search cannot probe them, and
        an ordering by such a field falls back to the default order (``restrict_ordering``)."""
        from qifu.core import fieldrules

        queryset = fieldrules.restrict_ordering(self, fieldrules.restrict_filters(self, queryset))
        q = self.scope_filter(queryset.model, permission)
        return queryset if q is None else queryset.filter(q)

    # -- who the user acts for --------------------------------------------------------------
    def acting_enterprise(
        self, *, code: str = "auth.enterprise_required", message: str = "请以企业身份登录后操作", status: int = 403
    ):
        """The enterprise whose organisation the user currently acts for, else a refusal.

        Capabilities pass their own code and message; the lookup is the same everywhere. Read
        fresh on every call: a service earlier in the same request may have changed the row."""
        enterprise = self._acting_row("Enterprise", "enterprise")
        if enterprise is None:
            raise ApiError(code, message, status=status)
        return enterprise

    def acting_institution(
        self,
        *,
        approved_only: bool = False,
        code: str = "auth.institution_required",
        message: str = "请以服务机构身份登录后操作",
        status: int = 403,
    ):
        """The institution the user currently acts for (optionally only an approved one), else a refusal."""
        institution = self._acting_row("Institution", "institution")
        if institution is None or (approved_only and institution.status != "approved"):
            raise ApiError(code, message, status=status)
        return institution

    def _acting_row(self, model_name: str, kind: str):
        org = self.organisation
        if org is None or org.kind != kind:
            return None
        return apps.get_model("orgs", model_name).objects.filter(organisation_id=org.pk).first()

    def get_or_404(self, queryset: QuerySet, permission: str | None = None, **lookup) -> Any:
        """One object inside the tenant and the data scope, else 404 (never 403: no enumeration)."""
        obj = self.scoped(queryset, permission).filter(**lookup).first()
        if obj is None:
            raise NotFound()
        return obj
