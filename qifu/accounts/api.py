"""Session endpoints: who am I, sign in and out, switch organisation, my menu."""

from __future__ import annotations

from django.middleware.csrf import get_token

from qifu.accounts import services
from qifu.accounts.schemas import LoginIn, MenuNode, MeOut, SwitchOrgIn
from qifu.core import menus
from qifu.core.permissions import AUTHENTICATED, PUBLIC
from qifu.core.routers import QifuRouter

PREFIX = "/auth"
router = QifuRouter(tag="identity")


def _me(request) -> dict:
    from qifu.orgs.models import Membership

    ctx = request.ctx
    user = request.user
    orgs = [
        {"id": m.organisation_id, "name": m.organisation.name, "kind": m.organisation.kind}
        for m in Membership.objects.filter(user=user).select_related("organisation").order_by("-is_default", "id")
    ]
    org = ctx.organisation
    tenant = request.tenant
    return {
        "id": user.id,
        "username": user.username,
        "name": user.display_name,
        "is_platform_admin": user.is_platform_admin,
        "must_change_password": user.must_change_password,
        "tenant": {"id": tenant.id, "code": tenant.code, "name": tenant.name} if tenant else None,
        "organisation": {"id": org.id, "name": org.name, "kind": org.kind} if org else None,
        "organisations": orgs,
        "roles": [r.code for r in ctx.roles],
        "permissions": sorted(ctx.permissions),
    }


@router.get("/csrf", permission=PUBLIC, response={204: None}, summary="获取 CSRF 令牌（写入 Cookie）")
def csrf(request):
    get_token(request)
    return 204, None


@router.post("/login", permission=PUBLIC, response=MeOut, summary="账号密码登录")
def login(request, payload: LoginIn):
    user = services.authenticate_password(request, payload.username, payload.password)
    services.start_session(request, user)
    request.ctx.user = user
    for attr in ("organisation", "roles", "permissions"):
        request.ctx.__dict__.pop(attr, None)
    return _me(request)


@router.post("/logout", permission=AUTHENTICATED, response={204: None}, summary="退出登录")
def logout(request):
    services.end_session(request)
    return 204, None


@router.get("/me", permission=AUTHENTICATED, response=MeOut, summary="当前用户、组织与权限")
def me(request):
    return _me(request)


@router.post("/organisation", permission=AUTHENTICATED, response=MeOut, summary="切换当前组织")
def switch_organisation(request, payload: SwitchOrgIn):
    services.switch_organisation(request, payload.organisation_id)
    for attr in ("organisation", "roles", "permissions"):
        request.ctx.__dict__.pop(attr, None)
    return _me(request)


@router.get("/menu", permission=AUTHENTICATED, response=list[MenuNode], summary="当前用户可见的控制台菜单")
def menu(request):
    return menus.menu_for(request.ctx)
