"""Writes for roles, security profiles, assignments and user accounts (dictionaries and
parameters: ``qifu.access.configuration``).

Every grant is checked against what the acting user holds (``guard``): nobody can
give a role — or themselves — a permission code, a data scope, a field visibility
or a role assignment they do not hold.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from qifu.access.guard import (
    Guard,
    audited_refusal,
    custom_paths,
    profile_paths,
    user_profile_paths,
)
from qifu.access.guard import refuse as guard_refuse
from qifu.access.models import (
    Role,
    RoleAssignment,
    SecurityProfile,
    UserSecurityProfile,
)
from qifu.core import audit, context, fieldrules, permissions
from qifu.core.errors import Conflict, Forbidden, NotFound, RuleViolation

BUILTIN_ROLES = {
    permissions.TENANT_ADMIN: ("租户管理员", Role.DataScope.ALL),
    permissions.DISTRICT_STAFF: ("政府工作人员", Role.DataScope.ORG_AND_BELOW),
    permissions.AUDITOR: ("审计员", Role.DataScope.ALL),
    permissions.INSTITUTION_ADMIN: ("服务机构管理员", Role.DataScope.ORG_AND_BELOW),
    permissions.INSTITUTION_OPERATOR: ("服务机构经办人", Role.DataScope.ORG_AND_BELOW_OR_SELF),
    permissions.ENTERPRISE_OWNER: ("企业管理员", Role.DataScope.ORG),
    permissions.ENTERPRISE_MEMBER: ("企业员工", Role.DataScope.SELF),
}

# Field rules a new tenant's built-in roles start with; admins edit them afterwards.
BUILTIN_FIELD_RULES = {
    permissions.DISTRICT_STAFF: {"orgs.enterprise": {"legal_rep_id_number": "masked"}},
    permissions.AUDITOR: {"orgs.enterprise": {"legal_rep_id_number": "masked", "contact_phone": "masked"}},
}


@transaction.atomic
def ensure_builtin_roles() -> dict[str, Role]:
    """Create or refresh the built-in roles of the active tenant from the permission registry."""
    roles = {}
    for code, (name, scope) in BUILTIN_ROLES.items():
        granted = permissions.codes_for_role(code)
        role, created = Role.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "data_scope": scope,
                "permissions": granted,
                "is_builtin": True,
                "field_rules": BUILTIN_FIELD_RULES.get(code, {}),
            },
        )
        if not created and role.is_builtin and sorted(role.permissions) != granted:
            role.permissions = granted
            role.save(update_fields=["permissions", "updated_at"])
        roles[code] = role
    return roles


# -- the escalation guard ------------------------------------------------------------
# ``Guard`` lives in qifu.access.guard; the helpers below apply it to existing roles and their holders.


def _outside_reach(ctx, role: Role) -> list[str]:
    """Organisations where ``role`` is held that lie outside the actor's reach for this operation."""
    if ctx.is_platform_admin:
        return []
    from qifu.orgs.models import Organisation

    reachable = ctx.scoped(Organisation.objects.all()).values("pk")
    held = Organisation.objects.filter(role_assignments__role=role).exclude(pk__in=reachable).distinct()
    return list(held.values_list("name", flat=True)[:5])


def _guard_existing(ctx, guard: Guard, role: Role, verb: str) -> None:
    """Editing or deleting a role is acting for everyone who holds it: the role may hold nothing beyond
    the actor, and nobody outside the actor's reach may hold it."""
    try:
        guard.role(role)
    except Forbidden as exc:
        exc.message = f"角色「{role.name}」超出您自己的权限，不能{verb}：{exc.message}"
        exc.args = (exc.message,)
        raise
    outside = _outside_reach(ctx, role)
    if outside:
        raise guard_refuse(
            f"角色「{role.name}」还分配给了您管辖范围以外的组织（{'、'.join(outside)}），不能{verb}",
            organisations=outside,
        )


def _guard_holders(guard: Guard, role: Role, *, codes, scope, profile) -> None:
    """A role's new reach, measured where it is already held (and for holders with their own profiles)."""
    if guard.unlimited:
        return
    from qifu.orgs.models import Organisation

    for org in Organisation.objects.filter(role_assignments__role=role).distinct():
        guard.scope(codes, scope, org, profile_paths(profile))
    if scope == context.SCOPE_CUSTOM:
        holders = UserSecurityProfile.objects.filter(user__role_assignments__role=role).values_list("user", flat=True)
        from django.contrib.auth import get_user_model

        for holder in get_user_model().objects.filter(pk__in=holders):
            guard.scope(codes, scope, None, user_profile_paths(holder))


# -- roles ---------------------------------------------------------------------------
def _clean_permissions(codes: list[str]) -> list[str]:
    unknown = sorted({c for c in codes if c not in permissions.REGISTRY})
    if unknown:
        raise RuleViolation(
            "access.unknown_permission", f"权限码不存在：{'、'.join(unknown)}", detail={"permissions": unknown}
        )
    return sorted(set(codes))


def _clean_rules(rules: dict) -> dict:
    try:
        return fieldrules.validate_rules(rules or {})
    except ValueError as exc:
        raise RuleViolation("access.bad_field_rule", str(exc))


def _check_scope(scope: str, profile: SecurityProfile | None) -> None:
    if scope not in context.SCOPE_KINDS:
        raise RuleViolation("access.bad_scope", f"数据范围「{scope}」无效")
    if scope == context.SCOPE_CUSTOM and profile is None:
        raise RuleViolation("access.profile_required", "数据范围为「自定义」时必须选择安全配置文件")


@audited_refusal("access.role.create")
@transaction.atomic
def create_role(
    ctx,
    *,
    code: str,
    name: str,
    description: str = "",
    permissions_: list[str] | None = None,
    data_scope: str = context.SCOPE_SELF,
    security_profile: SecurityProfile | None = None,
    field_rules: dict | None = None,
) -> Role:
    codes = _clean_permissions(permissions_ or [])
    rules = _clean_rules(field_rules or {})
    _check_scope(data_scope, security_profile)
    profile = security_profile if data_scope == context.SCOPE_CUSTOM else None
    Guard(ctx).role_state(codes=codes, scope=data_scope, profile_paths=profile_paths(profile), rules=rules)
    if Role.objects.filter(code=code).exists():
        raise Conflict("access.role_code_taken", f"角色编码「{code}」已被使用")
    role = Role.objects.create(
        code=code,
        name=name,
        description=description,
        permissions=codes,
        data_scope=data_scope,
        security_profile=profile,
        field_rules=rules,
    )
    audit.record("access.role.create", role, changes=audit.diff({}, audit.snapshot(role)))
    return role


@audited_refusal("access.role.update", target="role")
@transaction.atomic
def update_role(
    ctx,
    role: Role,
    *,
    name: str | None = None,
    description: str | None = None,
    permissions_: list[str] | None = None,
    data_scope: str | None = None,
    security_profile: SecurityProfile | None = None,
    field_rules: dict | None = None,
) -> Role:
    role = Role.objects.select_for_update(of=("self",)).select_related("security_profile").get(pk=role.pk)
    before = audit.snapshot(role)
    guard = Guard(ctx)
    _guard_existing(ctx, guard, role, "修改")
    codes, scope, profile = list(role.permissions or []), role.data_scope, role.security_profile
    rules = role.field_rules or {}
    if permissions_ is not None:
        codes = _clean_permissions(permissions_)
        if role.is_builtin and codes != sorted(role.permissions):
            raise RuleViolation("access.builtin_role", "内置角色的权限随系统版本维护，不能修改；请复制为新角色后调整")
        guard.permissions(role.permissions, codes)
    if data_scope is not None:
        _check_scope(data_scope, security_profile)
        scope = data_scope
        profile = security_profile if data_scope == context.SCOPE_CUSTOM else None
    if field_rules is not None:
        rules = _clean_rules(field_rules)
    guard.role_state(codes=codes, scope=scope, profile_paths=profile_paths(profile), rules=rules)
    reach_changed = (
        scope != role.data_scope
        or getattr(profile, "pk", None) != role.security_profile_id
        or set(codes) - set(role.permissions or [])
    )
    if reach_changed:
        _guard_holders(guard, role, codes=codes, scope=scope, profile=profile)
    role.permissions, role.data_scope, role.security_profile, role.field_rules = codes, scope, profile, rules
    if name is not None:
        role.name = name
    if description is not None:
        role.description = description
    role.save()
    audit.record("access.role.update", role, changes=audit.diff(before, audit.snapshot(role)))
    return role


@audited_refusal("access.role.copy", target="role")
def copy_role(ctx, role: Role, *, code: str, name: str) -> Role:
    """A new role with the same content (one transaction: ``create_role``'s)."""
    return create_role(
        ctx,
        code=code,
        name=name,
        description=role.description,
        permissions_=list(role.permissions or []),
        data_scope=role.data_scope,
        security_profile=role.security_profile,
        field_rules=role.field_rules or {},
    )


@audited_refusal("access.role.delete", target="role")
@transaction.atomic
def delete_role(ctx, role: Role) -> None:
    role = Role.objects.select_for_update(of=("self",)).select_related("security_profile").get(pk=role.pk)
    if role.is_builtin:
        raise RuleViolation("access.builtin_role", "内置角色不能删除")
    holders = RoleAssignment.objects.filter(role=role).count()
    if holders:
        raise Conflict(
            "access.role_in_use", f"角色仍分配给 {holders} 人次，请先收回后再删除", detail={"assignments": holders}
        )
    _guard_existing(ctx, Guard(ctx), role, "删除")
    audit.record("access.role.delete", role, changes=audit.diff(audit.snapshot(role), {}))
    role.delete()


# -- assignments -----------------------------------------------------------------------
@audited_refusal("access.role.assign", target="role")
@transaction.atomic
def assign_role(user, organisation, role: Role, ctx=None) -> RoleAssignment:
    """Give ``user`` ``role`` in ``organisation``. With ``ctx`` the actor's reach is checked:
    the organisation lies within it, and the role placed there holds nothing beyond the actor."""
    if ctx is not None:
        guard = Guard(ctx)
        guard.organisations([organisation])
        guard.role(role, org=organisation, holder=user)
        from qifu.orgs.models import Membership

        if not Membership.objects.filter(user=user, organisation=organisation).exists():
            raise RuleViolation("access.not_member", "请先把该用户加入此组织，再分配角色")
    assignment, created = RoleAssignment.objects.get_or_create(user=user, organisation=organisation, role=role)
    if created:
        audit.record(
            "access.role.assign",
            assignment,
            object_repr=f"{user} @ {organisation}",
            changes={"role": {"before": None, "after": role.code}},
        )
    return assignment


@audited_refusal("access.role.revoke", target="assignment")
@transaction.atomic
def revoke_assignment(ctx, assignment: RoleAssignment) -> None:
    guard = Guard(ctx)
    guard.organisations([assignment.organisation])
    guard.role(assignment.role, org=assignment.organisation, holder=assignment.user)
    if (
        assignment.role.code == permissions.TENANT_ADMIN
        and not RoleAssignment.objects.filter(role=assignment.role, user__is_active=True)
        .exclude(pk=assignment.pk)
        .exists()
    ):
        raise Conflict("access.last_admin", "这是最后一位租户管理员，不能收回；请先为其他人分配租户管理员角色")
    audit.record(
        "access.role.revoke",
        assignment,
        object_repr=f"{assignment.user} @ {assignment.organisation}",
        changes={"role": {"before": assignment.role.code, "after": None}},
    )
    assignment.delete()


# -- security profiles -------------------------------------------------------------------
def _profile_snapshot(profile: SecurityProfile) -> dict:
    return {"name": profile.name, "organisations": sorted(profile.organisations.values_list("id", flat=True))}


def _codes_using(profile: SecurityProfile) -> list[str]:
    """Codes whose reach follows ``profile``: custom-scope roles naming it, and custom-scope roles
    of the users it is attached to."""
    roles = Role.objects.filter(data_scope=context.SCOPE_CUSTOM).filter(
        Q(security_profile=profile) | Q(assignments__user__security_profiles__profile=profile)
    )
    codes: set[str] = set()
    for granted in roles.values_list("permissions", flat=True).distinct():
        codes.update(granted or [])
    return sorted(codes)


def _known_organisations(ctx) -> Q:
    """Organisations the actor may name: in their data scope for this operation, or their own."""
    from qifu.orgs.models import Membership, Organisation

    known = Q(pk__in=ctx.scoped(Organisation.objects.all()).values("pk"))
    return known | Q(pk__in=Membership.objects.filter(user=ctx.user).values("organisation_id"))


def attachable_profile(ctx, profile_id: int) -> SecurityProfile:
    """The security profile ``profile_id`` names, for attaching to a user, if every organisation on it
    is one the actor may name (``_known_organisations``). Any other id answers like an id naming
    nothing (404): a manager who cannot list profiles must not learn, through the guard's refusal,
    the names of organisations beyond their reach; the guard still refuses a visible profile that
    reaches wider than they do, naming only organisations they see."""
    profile = SecurityProfile.objects.filter(pk=profile_id).first()
    if profile is not None and not ctx.is_platform_admin:
        if profile.organisations.exclude(_known_organisations(ctx)).exists():
            profile = None
    if profile is None:
        raise NotFound("所选安全配置文件不存在或不在您的管辖范围内", code="access.profile_missing")
    return profile


def profile_organisations(ctx, ids: list[int], profile: SecurityProfile | None = None) -> list:
    """The organisations ``ids`` names for a security profile, as far as the actor may name them:
    inside their data scope for this operation, their own organisations, or already on the profile
    (listed with it). Any other id answers exactly as an id naming nothing — 404 without a name —
    so the names of organisations outside one's reach cannot be read by trying ids (the escalation
    guard, which names what it refuses, then measures only organisations the actor already knows)."""
    from qifu.orgs.models import Organisation

    wanted = list(dict.fromkeys(ids))
    found = Organisation.objects.filter(pk__in=wanted)
    if not ctx.is_platform_admin:
        known = _known_organisations(ctx)
        if profile is not None:
            known |= Q(pk__in=profile.organisations.values("pk"))
        found = found.filter(known)
    found = list(found)
    if len(found) != len(wanted):
        raise NotFound("所选组织不存在或不在您的管辖范围内", code="access.organisation_missing")
    return found


@audited_refusal("access.profile.save", target="profile")
@transaction.atomic
def save_profile(ctx, profile: SecurityProfile | None, *, name: str, organisations: list) -> SecurityProfile:
    guard = Guard(ctx)
    old = list(profile.organisations.all()) if profile is not None else []
    old_ids, new_ids = {o.pk for o in old}, {o.pk for o in organisations}
    # Adding or removing an organisation changes the reach of whoever relies on the profile:
    # both must lie within the actor's reach, and what is added within it for every code that follows it.
    changed = [o for o in old if o.pk not in new_ids] + [o for o in organisations if o.pk not in old_ids]
    guard.organisations(changed)
    if profile is not None:
        guard.organisations([o for o in organisations if o.pk not in old_ids], _codes_using(profile))
    if SecurityProfile.objects.filter(name=name).exclude(pk=getattr(profile, "pk", None)).exists():
        raise Conflict("access.profile_name_taken", f"已有名为「{name}」的安全配置文件")
    before = _profile_snapshot(profile) if profile else {}
    if profile is None:
        profile = SecurityProfile.objects.create(name=name)
    else:
        profile.name = name
        profile.save()
    profile.organisations.set(organisations)
    action = "access.profile.update" if before else "access.profile.create"
    audit.record(action, profile, changes=audit.diff(before, _profile_snapshot(profile)))
    return profile


@audited_refusal("access.profile.delete", target="profile")
@transaction.atomic
def delete_profile(ctx, profile: SecurityProfile) -> None:
    if Role.objects.filter(security_profile=profile).exists() or profile.user_links.exists():
        raise Conflict("access.profile_in_use", "安全配置文件仍被角色或用户使用，不能删除")
    Guard(ctx).organisations(list(profile.organisations.all()))
    audit.record("access.profile.delete", profile, changes=audit.diff(_profile_snapshot(profile), {}))
    profile.delete()


def _guard_user_custom_roles(guard: Guard, user, paths: list[str]) -> None:
    """``user``'s custom-scope roles would reach ``paths``: within the actor's reach for each of their codes."""
    for assignment in RoleAssignment.objects.filter(user=user, role__data_scope=context.SCOPE_CUSTOM).select_related(
        "role", "role__security_profile"
    ):
        role = assignment.role
        guard.scope(list(role.permissions or []), role.data_scope, assignment.organisation, paths)


@audited_refusal("access.profile.attach", target="user")
@transaction.atomic
def attach_profile(ctx, user, profile: SecurityProfile) -> UserSecurityProfile:
    guard = Guard(ctx)
    orgs = list(profile.organisations.all())
    guard.organisations(orgs)
    _guard_user_custom_roles(guard, user, sorted(set(user_profile_paths(user)) | {o.path for o in orgs}))
    link, created = UserSecurityProfile.objects.get_or_create(user=user, profile=profile)
    if created:
        audit.record("access.profile.attach", link, object_repr=f"{user} ← {profile}")
    return link


@audited_refusal("access.profile.detach", target="link")
@transaction.atomic
def detach_profile(ctx, link: UserSecurityProfile) -> None:
    guard = Guard(ctx)
    guard.organisations(list(link.profile.organisations.all()))
    link_id = link.pk
    # Without this link the user's custom roles fall back to their other profiles, or to the roles' own.
    link.delete()
    remaining = user_profile_paths(link.user)
    for assignment in RoleAssignment.objects.filter(
        user=link.user, role__data_scope=context.SCOPE_CUSTOM
    ).select_related("role", "role__security_profile"):
        paths = remaining or custom_paths(assignment.role)
        guard.scope(list(assignment.role.permissions or []), context.SCOPE_CUSTOM, assignment.organisation, paths)
    audit.record(
        "access.profile.detach",
        object_type="access.usersecurityprofile",
        object_id=str(link_id),
        object_repr=f"{link.user} ← {link.profile}",
    )


def users_in_scope(ctx):
    """Users of the tenant the actor may see: members of organisations inside their data scope."""
    from django.contrib.auth import get_user_model

    from qifu.orgs.models import Membership

    users = get_user_model().objects.filter(tenant=ctx.tenant)
    q = ctx.scope_filter(Membership)
    if q is None:
        return users
    return users.filter(Q(pk__in=Membership.objects.filter(q).values("user_id")))


# -- account state (the admin side of the users screen) -------------------------------------
def _guard_target(ctx, user) -> None:
    """Acting on an account hands you its powers: the target may hold nothing beyond the actor."""
    if ctx.user is not None and user.pk == ctx.user.pk:
        raise RuleViolation("access.self", "不能对自己的账号执行此操作")
    guard = Guard(ctx)
    assignments = RoleAssignment.objects.filter(user=user).select_related(
        "role", "role__security_profile", "organisation"
    )
    for assignment in assignments:
        guard.role(assignment.role, org=assignment.organisation, holder=user)


@audited_refusal("access.user.set_active", target="user")
@transaction.atomic
def set_user_active(ctx, user, active: bool):
    from qifu.accounts import services as account_services

    _guard_target(ctx, user)
    if user.is_active == active:
        return user
    if (
        not active
        and RoleAssignment.objects.filter(role__code=permissions.TENANT_ADMIN, user__is_active=True)
        .exclude(user=user)
        .count()
        == 0
        and RoleAssignment.objects.filter(role__code=permissions.TENANT_ADMIN, user=user).exists()
    ):
        raise Conflict("access.last_admin", "这是最后一位租户管理员，不能停用")
    return account_services.set_active(user, active, audit_prefix="access.user")


@audited_refusal("access.user.reset_password", target="user")
@transaction.atomic
def reset_user_password(ctx, user) -> str:
    """A temporary password (shown once) that must be changed at the next sign-in; open sessions end."""
    from qifu.accounts import services as account_services

    _guard_target(ctx, user)
    return account_services.issue_temporary_password(user, audit_action="access.user.reset_password")
