"""Roles, security profiles, users' roles, dictionaries and parameters (tag access); logs (tag audit)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from ninja import Query, Status

from qifu.access import (
    audit_api,  # noqa: F401  (registers the audit operations on the router)
    catalogue,
    configuration,
    services,
)
from qifu.access.models import Dictionary, Parameter, Role, RoleAssignment, SecurityProfile, UserSecurityProfile
from qifu.access.permissions import CONFIG_MANAGE, CONFIG_VIEW, ROLE_MANAGE, ROLE_VIEW, USER_MANAGE, USER_VIEW
from qifu.access.routing import router
from qifu.access.schemas import (
    ActiveIn,
    AssignIn,
    CatalogueOut,
    DictionaryIn,
    DictionaryOptionOut,
    DictionaryOut,
    MembershipIn,
    OnlineSessionOut,
    OrganisationRefIn,
    ParameterIn,
    ParameterOut,
    PasswordResetOut,
    ProfileIn,
    ProfileLinkIn,
    ProfileOut,
    RoleCopyIn,
    RoleIn,
    RoleOut,
    RoleUpdate,
    UserFilter,
    UserOut,
)
from qifu.core import fieldrules
from qifu.core.errors import NotFound, RuleViolation
from qifu.core.fields import mask
from qifu.core.pagination import Page, PageQuery, paginate
from qifu.core.permissions import AUTHENTICATED
from qifu.core.routers import NO_ROWS, describe_model
from qifu.orgs import services as org_services
from qifu.orgs.models import Membership, Organisation

PREFIX = "/access"


def _roles():
    return Role.objects.select_related("security_profile").annotate(holders=Count("assignments"))


def _profile(ctx, profile_id):
    if profile_id is None:
        return None
    profile = SecurityProfile.objects.filter(pk=profile_id).first()
    if profile is None:
        raise RuleViolation("access.profile_missing", "所选安全配置文件不存在")
    return profile


# -- roles -------------------------------------------------------------------------------
@router.get(
    "/catalogue",
    permission=ROLE_VIEW,
    model=NO_ROWS,
    response=CatalogueOut,
    summary="角色编辑目录：菜单与按钮、数据范围、字段",
)
def get_catalogue(request):
    return catalogue.catalogue()


@router.get("/roles", permission=ROLE_VIEW, model="access.role", response=list[RoleOut], summary="角色列表")
def list_roles(request):
    return list(_roles())


@router.get("/roles/{role_id}", permission=ROLE_VIEW, object="access.role", response=RoleOut, summary="角色详情")
def get_role(request, role_id: int):
    return request.ctx.get_or_404(_roles(), pk=role_id)


@router.post("/roles", permission=ROLE_MANAGE, model="access.role", response={201: RoleOut}, summary="新建角色")
def create_role(request, payload: RoleIn):
    role = services.create_role(
        request.ctx,
        code=payload.code,
        name=payload.name,
        description=payload.description,
        permissions_=payload.permissions,
        data_scope=payload.data_scope,
        security_profile=_profile(request.ctx, payload.security_profile_id),
        field_rules=payload.field_rules,
    )
    return Status(201, _roles().get(pk=role.pk))


@router.put("/roles/{role_id}", permission=ROLE_MANAGE, object="access.role", response=RoleOut, summary="修改角色")
def update_role(request, role_id: int, payload: RoleUpdate):
    role = request.ctx.get_or_404(Role.objects.all(), pk=role_id)
    services.update_role(
        request.ctx,
        role,
        name=payload.name,
        description=payload.description,
        permissions_=payload.permissions,
        data_scope=payload.data_scope,
        security_profile=_profile(request.ctx, payload.security_profile_id),
        field_rules=payload.field_rules,
    )
    return _roles().get(pk=role.pk)


@router.post(
    "/roles/{role_id}/copy", permission=ROLE_MANAGE, object="access.role", response={201: RoleOut}, summary="复制角色"
)
def copy_role(request, role_id: int, payload: RoleCopyIn):
    role = request.ctx.get_or_404(Role.objects.all(), pk=role_id)
    copy = services.copy_role(request.ctx, role, code=payload.code, name=payload.name)
    return Status(201, _roles().get(pk=copy.pk))


@router.delete(
    "/roles/{role_id}",
    permission=ROLE_MANAGE,
    object="access.role",
    response={204: None},
    summary="删除角色（未被使用时）",
)
def delete_role(request, role_id: int):
    services.delete_role(request.ctx, request.ctx.get_or_404(Role.objects.all(), pk=role_id))
    return Status(204, None)


# -- security profiles --------------------------------------------------------------------------
@router.get(
    "/profiles",
    permission=ROLE_VIEW,
    model="access.securityprofile",
    response=list[ProfileOut],
    summary="安全配置文件列表",
)
def list_profiles(request):
    return list(SecurityProfile.objects.prefetch_related("organisations").order_by("name"))


@router.post(
    "/profiles",
    permission=ROLE_MANAGE,
    model="access.securityprofile",
    response={201: ProfileOut},
    summary="新建安全配置文件",
)
def create_profile(request, payload: ProfileIn):
    profile = services.save_profile(
        request.ctx,
        None,
        name=payload.name,
        organisations=services.profile_organisations(request.ctx, payload.organisation_ids),
    )
    return Status(201, profile)


@router.put(
    "/profiles/{profile_id}",
    permission=ROLE_MANAGE,
    object="access.securityprofile",
    response=ProfileOut,
    summary="修改安全配置文件",
)
def update_profile(request, profile_id: int, payload: ProfileIn):
    profile = request.ctx.get_or_404(SecurityProfile.objects.all(), pk=profile_id)
    return services.save_profile(
        request.ctx,
        profile,
        name=payload.name,
        organisations=services.profile_organisations(request.ctx, payload.organisation_ids, profile),
    )


@router.delete(
    "/profiles/{profile_id}",
    permission=ROLE_MANAGE,
    object="access.securityprofile",
    response={204: None},
    summary="删除安全配置文件",
)
def delete_profile(request, profile_id: int):
    services.delete_profile(request.ctx, request.ctx.get_or_404(SecurityProfile.objects.all(), pk=profile_id))
    return Status(204, None)


# -- users and their roles ------------------------------------------------------------------------
def _person(ctx, user) -> tuple[str, str]:
    """Name and phone as the admin may see them: the phone masked unless a field rule says otherwise
    (a role may hide it, or hide the name); the admin list is not the place to read numbers."""
    rules = fieldrules.rules_for(ctx, "accounts.user") if ctx is not None else {}
    name = "" if rules.get("name") == fieldrules.HIDDEN else user.name
    if rules.get("name") == fieldrules.MASKED:
        name = fieldrules.mask_value(user.name)
    phone = "" if rules.get("phone") == fieldrules.HIDDEN else mask(user.phone)
    return name, phone


def _user_out(user, ctx=None) -> dict:
    memberships = Membership.objects.filter(user=user).select_related("organisation").order_by("-is_default", "id")
    assignments = RoleAssignment.objects.filter(user=user).select_related("organisation", "role").order_by("id")
    links = UserSecurityProfile.objects.filter(user=user).select_related("profile")
    # Read through the rules of each row's own model (an organisation's or a role's hidden name).
    memberships, assignments, links = (fieldrules.wrap(list(rows), ctx) for rows in (memberships, assignments, links))
    name, phone = _person(ctx, user)
    return {
        "id": user.id,
        "username": user.username,
        "name": name,
        "phone": phone,
        "is_active": user.is_active,
        "last_login": user.last_login,
        "memberships": [
            {
                "organisation_id": m.organisation_id,
                "organisation_name": m.organisation.name,
                "is_default": m.is_default,
                "title": m.title,
            }
            for m in memberships
        ],
        "assignments": [
            {
                "id": a.id,
                "organisation_id": a.organisation_id,
                "organisation_name": a.organisation.name,
                "role_id": a.role_id,
                "role_code": a.role.code,
                "role_name": a.role.name,
            }
            for a in assignments
        ],
        "security_profiles": [
            {"id": link.id, "profile_id": link.profile_id, "name": link.profile.name} for link in links
        ],
    }


def _user(ctx, user_id: int):
    user = services.users_in_scope(ctx).filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user


# Users carry no organisation of their own: they are reached through their memberships.
USERS_SCOPE = {
    "x-data-scope": {
        **describe_model("orgs.membership").get("x-data-scope", {}),
        "description": "列出在当前用户数据范围内的组织中有成员关系的用户（按授予本操作权限的角色的数据范围）",
    }
}


@router.get(
    "/users",
    permission=USER_VIEW,
    model="accounts.user",
    openapi_extra=USERS_SCOPE,
    response=Page[UserOut],
    summary="用户与角色分配列表",
)
def list_users(request, page: Query[PageQuery], filters: Query[UserFilter]):
    users = get_user_model().objects.all()
    if filters.q:
        # The whole number finds the person (as a phone call would); a partial one does not.
        users = users.filter(Q(username__icontains=filters.q) | Q(name__icontains=filters.q) | Q(phone=filters.q))
    if filters.organisation_id:
        users = users.filter(memberships__organisation_id=filters.organisation_id)
    if filters.role_id:
        users = users.filter(role_assignments__role_id=filters.role_id)
    # Filters on a name or phone hidden for the admin match nothing (as everywhere: fieldrules.restrict_filters).
    users = fieldrules.restrict_filters(request.ctx, users)
    users = users.filter(pk__in=services.users_in_scope(request.ctx).values("pk")).order_by("id")
    return paginate(users.distinct(), page, transform=lambda u: _user_out(u, request.ctx))


@router.get(
    "/users/{user_id}",
    permission=USER_VIEW,
    object="accounts.user",
    openapi_extra=USERS_SCOPE,
    response=UserOut,
    summary="用户详情与授权",
)
def get_user(request, user_id: int):
    return _user_out(_user(request.ctx, user_id), request.ctx)


def _org_in_reach(ctx, organisation_id: int) -> Organisation:
    return ctx.get_or_404(Organisation.objects.all(), permission=USER_MANAGE, pk=organisation_id)


@router.post(
    "/users/{user_id}/memberships",
    permission=USER_MANAGE,
    object="accounts.user",
    response=UserOut,
    summary="把用户加入组织",
)
def add_membership(request, user_id: int, payload: MembershipIn):
    user = _user(request.ctx, user_id)
    org = _org_in_reach(request.ctx, payload.organisation_id)
    org_services.add_member(user, org, is_default=payload.is_default, title=payload.title)
    if payload.is_default:
        org_services.set_default_membership(user, org)
    return _user_out(user, request.ctx)


@router.post(
    "/users/{user_id}/default-organisation",
    permission=USER_MANAGE,
    object="accounts.user",
    response=UserOut,
    summary="设置用户的默认组织",
)
def set_default_organisation(request, user_id: int, payload: OrganisationRefIn):
    user = _user(request.ctx, user_id)
    org_services.set_default_membership(user, _org_in_reach(request.ctx, payload.organisation_id))
    return _user_out(user, request.ctx)


@router.post(
    "/users/{user_id}/assignments",
    permission=USER_MANAGE,
    object="accounts.user",
    response=UserOut,
    summary="在组织中为用户分配角色",
)
def assign_role(request, user_id: int, payload: AssignIn):
    user = _user(request.ctx, user_id)
    org = _org_in_reach(request.ctx, payload.organisation_id)
    role = Role.objects.filter(pk=payload.role_id).first()
    if role is None:
        raise RuleViolation("access.role_missing", "所选角色不存在")
    services.assign_role(user, org, role, ctx=request.ctx)
    return _user_out(user, request.ctx)


@router.delete(
    "/assignments/{assignment_id}",
    permission=USER_MANAGE,
    object="access.roleassignment",
    response={204: None},
    summary="收回角色",
)
def revoke_assignment(request, assignment_id: int):
    assignment = request.ctx.get_or_404(
        RoleAssignment.objects.select_related("role", "organisation", "user"), pk=assignment_id
    )
    services.revoke_assignment(request.ctx, assignment)
    return Status(204, None)


@router.post(
    "/users/{user_id}/profiles",
    permission=USER_MANAGE,
    object="accounts.user",
    response=UserOut,
    summary="为用户直接关联安全配置文件",
)
def attach_profile(request, user_id: int, payload: ProfileLinkIn):
    user = _user(request.ctx, user_id)
    services.attach_profile(request.ctx, user, services.attachable_profile(request.ctx, payload.profile_id))
    return _user_out(user, request.ctx)


@router.delete(
    "/user-profiles/{link_id}",
    permission=USER_MANAGE,
    object="access.usersecurityprofile",
    response={204: None},
    summary="取消用户的安全配置文件",
)
def detach_profile(request, link_id: int):
    link = UserSecurityProfile.objects.select_related("profile", "user").filter(pk=link_id).first()
    if link is None or not services.users_in_scope(request.ctx).filter(pk=link.user_id).exists():
        raise NotFound()
    services.detach_profile(request.ctx, link)
    return Status(204, None)


# -- dictionaries and parameters --------------------------------------------------------------------
def _dictionaries():
    return Dictionary.objects.prefetch_related("items").order_by("code")


@router.get(
    "/dictionaries", permission=CONFIG_VIEW, model="access.dictionary", response=list[DictionaryOut], summary="字典列表"
)
def list_dictionaries(request):
    return list(_dictionaries())


@router.get(
    "/dictionaries/{code}/items",
    permission=AUTHENTICATED,
    response=list[DictionaryOptionOut],
    summary="字典项（供下拉选择）",
    object="access.dictionary",
)
def dictionary_items(request, code: str):
    from qifu.access import selectors

    if not Dictionary.objects.filter(code=code).exists():
        raise NotFound("字典不存在")
    return [{"value": i["value"], "label": i["label"]} for i in selectors.dictionary(code)]


@router.post(
    "/dictionaries",
    permission=CONFIG_MANAGE,
    model="access.dictionary",
    response={201: DictionaryOut},
    summary="新建字典",
)
def create_dictionary(request, payload: DictionaryIn):
    d = configuration.save_dictionary(
        None,
        code=payload.code,
        name=payload.name,
        description=payload.description,
        items=[i.model_dump() for i in payload.items],
    )
    return Status(201, _dictionaries().get(pk=d.pk))


@router.put(
    "/dictionaries/{dictionary_id}",
    permission=CONFIG_MANAGE,
    object="access.dictionary",
    response=DictionaryOut,
    summary="修改字典与字典项",
)
def update_dictionary(request, dictionary_id: int, payload: DictionaryIn):
    d = request.ctx.get_or_404(Dictionary.objects.all(), pk=dictionary_id)
    configuration.save_dictionary(
        d,
        code=payload.code,
        name=payload.name,
        description=payload.description,
        items=[i.model_dump() for i in payload.items],
    )
    return _dictionaries().get(pk=d.pk)


@router.delete(
    "/dictionaries/{dictionary_id}",
    permission=CONFIG_MANAGE,
    object="access.dictionary",
    response={204: None},
    summary="删除字典",
)
def delete_dictionary(request, dictionary_id: int):
    configuration.delete_dictionary(request.ctx.get_or_404(Dictionary.objects.all(), pk=dictionary_id))
    return Status(204, None)


@router.get(
    "/parameters", permission=CONFIG_VIEW, model="access.parameter", response=list[ParameterOut], summary="系统参数列表"
)
def list_parameters(request):
    return list(Parameter.objects.order_by("key"))


@router.post(
    "/parameters",
    permission=CONFIG_MANAGE,
    model="access.parameter",
    response={201: ParameterOut},
    summary="新建系统参数",
)
def create_parameter(request, payload: ParameterIn):
    return Status(201, configuration.save_parameter(None, **payload.model_dump()))


@router.put(
    "/parameters/{parameter_id}",
    permission=CONFIG_MANAGE,
    object="access.parameter",
    response=ParameterOut,
    summary="修改系统参数",
)
def update_parameter(request, parameter_id: int, payload: ParameterIn):
    parameter = request.ctx.get_or_404(Parameter.objects.all(), pk=parameter_id)
    return configuration.save_parameter(parameter, **payload.model_dump())


@router.delete(
    "/parameters/{parameter_id}",
    permission=CONFIG_MANAGE,
    object="access.parameter",
    response={204: None},
    summary="删除系统参数",
)
def delete_parameter(request, parameter_id: int):
    configuration.delete_parameter(request.ctx.get_or_404(Parameter.objects.all(), pk=parameter_id))
    return Status(204, None)


@router.get(
    "/online-users",
    permission=USER_VIEW,
    model="accounts.usersession",
    response=list[OnlineSessionOut],
    summary="在线用户",
)
def online_users(request):
    from qifu.access import selectors

    return selectors.online_sessions(request.ctx)


@router.post(
    "/users/{user_id}/active",
    permission=USER_MANAGE,
    object="accounts.user",
    response=UserOut,
    summary="启用或停用用户（停用即结束其所有会话）",
)
def set_user_active(request, user_id: int, payload: ActiveIn):
    user = services.set_user_active(request.ctx, _user(request.ctx, user_id), payload.is_active)
    return _user_out(user, request.ctx)


@router.post(
    "/users/{user_id}/reset-password",
    permission=USER_MANAGE,
    object="accounts.user",
    response=PasswordResetOut,
    summary="重置用户密码（临时密码仅显示一次）",
)
def reset_user_password(request, user_id: int):
    return {"temporary_password": services.reset_user_password(request.ctx, _user(request.ctx, user_id))}
