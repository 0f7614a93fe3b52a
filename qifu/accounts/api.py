"""Identity endpoints under /api/v1/auth: session, sign-in (password, SMS, TOTP), captcha,
SMS codes, registration, passwords, my sessions, switch organisation, my menu.

Certification, institution onboarding and account administration are in
``api_onboarding`` (same router, imported at the bottom).
"""

from __future__ import annotations

from django.middleware.csrf import get_token
from ninja import Status

from qifu.accounts import conf, registration, services, sessions, totp
from qifu.accounts.models import User, UserSession
from qifu.accounts.permissions import SESSION_MANAGE
from qifu.accounts.schemas import (
    CaptchaOut,
    CountOut,
    LoginIn,
    LoginPolicyOut,
    MenuNode,
    MeOut,
    PasswordChangeIn,
    PasswordResetIn,
    RegisterIn,
    SecondFactorIn,
    SessionOut,
    SmsCodeIn,
    SmsCodeSentOut,
    SmsLoginIn,
    SwitchOrgIn,
    TotpDisableIn,
    TotpSetupOut,
    TotpStatusOut,
)
from qifu.core import captcha, menus
from qifu.core.errors import ApiError, NotFound
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
        for m in Membership.objects.filter(user=user, organisation__is_active=True)
        .select_related("organisation")
        .order_by("-is_default", "id")
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


def _signed_in(request, user) -> dict:
    request.ctx.user = user
    for attr in ("organisation", "roles", "permissions"):
        request.ctx.__dict__.pop(attr, None)
    return _me(request)


@router.get("/csrf", permission=PUBLIC, response={204: None}, summary="获取 CSRF 令牌（写入 Cookie）")
def csrf(request):
    get_token(request)
    return Status(204, None)


@router.get("/policy", permission=PUBLIC, response=LoginPolicyOut, summary="登录与密码规则（是否需要图形验证码等）")
def login_policy(request, username: str = ""):
    return {
        "captcha": conf.get("LOGIN_CAPTCHA"),
        "captcha_required": services.captcha_required(request.tenant, username[:150]),
        "password_min_length": conf.get("PASSWORD_MIN_LENGTH"),
        "password_min_classes": conf.get("PASSWORD_MIN_CLASSES"),
        "password_history": conf.get("PASSWORD_HISTORY"),
        "sms_code_ttl_seconds": conf.get("SMS_CODE_TTL_SECONDS"),
        "sms_resend_seconds": conf.get("SMS_RESEND_SECONDS"),
        "session_idle_minutes": conf.get("SESSION_IDLE_MINUTES"),
    }


@router.get("/captcha", permission=PUBLIC, response=CaptchaOut, summary="获取图形验证码（一次有效）")
def new_captcha(request):
    captcha_id, _answer, png = captcha.issue()
    return {"id": captcha_id, "image": captcha.as_data_url(png), "expires_in": captcha.TTL_SECONDS}


@router.post("/login", permission=PUBLIC, response=MeOut, summary="账号密码登录")
def login(request, payload: LoginIn):
    user = services.authenticate_password(
        request, payload.username, payload.password, payload.captcha_id, payload.captcha_answer
    )
    services.sign_in(request, user, "password")
    return _signed_in(request, user)


@router.post("/sms-code", permission=PUBLIC, response=SmsCodeSentOut, summary="获取短信验证码（需图形验证码）")
def send_sms_code(request, payload: SmsCodeIn):
    services.send_code(request, payload.phone, payload.purpose, payload.captcha_id, payload.captcha_answer)
    # The same answer whether or not the phone has an account.
    return {
        "message": "如该手机号可用，验证码已发送，5 分钟内有效",
        "resend_after_seconds": conf.get("SMS_RESEND_SECONDS"),
    }


@router.post("/login/sms", permission=PUBLIC, response=MeOut, summary="短信验证码登录")
def login_sms(request, payload: SmsLoginIn):
    user = services.authenticate_sms(request, payload.phone, payload.code)
    services.sign_in(request, user, "sms")
    return _signed_in(request, user)


@router.post("/login/totp", permission=PUBLIC, response=MeOut, summary="登录第二步：动态口令")
def login_totp(request, payload: SecondFactorIn):
    user = services.complete_second_factor(request, payload.code)
    return _signed_in(request, user)


@router.post(
    "/register", permission=PUBLIC, response=MeOut, summary="企业快速注册（手机号 + 企业名称 + 联系人 + 短信验证码）"
)
def register(request, payload: RegisterIn):
    user = registration.register_enterprise(
        request,
        phone=payload.phone,
        sms_code=payload.sms_code,
        company_name=payload.company_name,
        contact_name=payload.contact_name,
        password=payload.password or None,
    )
    services.start_session(request, user, method="sms")
    return _signed_in(request, user)


@router.post("/logout", permission=AUTHENTICATED, response={204: None}, summary="退出登录")
def logout(request):
    services.end_session(request)
    return Status(204, None)


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


# --- passwords ------------------------------------------------------------------------------------


@router.post("/password", permission=AUTHENTICATED, response=MeOut, summary="修改密码（首次登录须修改）")
def change_password(request, payload: PasswordChangeIn):
    services.change_password(request, payload.old_password, payload.new_password)
    return _me(request)


@router.post("/password/reset", permission=PUBLIC, response={204: None}, summary="短信验证码找回密码")
def reset_password(request, payload: PasswordResetIn):
    services.reset_password(request, payload.phone, payload.sms_code, payload.new_password)
    return Status(204, None)


# --- sessions ---------------------------------------------------------------------------------------


@router.get("/sessions", permission=AUTHENTICATED, response=list[SessionOut], summary="我的登录会话")
def my_sessions(request):
    current = request.session.session_key
    return [
        {
            "id": row.id,
            "created_at": row.created_at,
            "last_seen_at": row.last_seen_at,
            "ip": row.ip,
            "user_agent": row.user_agent,
            "method": row.method,
            "current": row.session_key == current,
        }
        for row in sessions.active_sessions(request.user)
    ]


@router.post(
    "/sessions/{session_id}/revoke",
    permission=AUTHENTICATED,
    object="accounts.usersession",
    response={204: None},
    summary="注销我的某个会话",
)
def revoke_session(request, session_id: int):
    if not UserSession.objects.filter(pk=session_id, user=request.user, ended_at__isnull=True).exists():
        raise NotFound()
    sessions.revoke(request.user, session_id)
    return Status(204, None)


@router.post("/logout-everywhere", permission=AUTHENTICATED, response=CountOut, summary="退出所有设备")
def logout_everywhere(request):
    return {"count": sessions.logout_everywhere(request)}


def _tenant_user(request, user_id: int) -> User:
    user = User.objects.filter(pk=user_id, tenant=request.tenant).first()
    if user is None or (user.is_platform_admin and not request.ctx.is_platform_admin):
        raise NotFound()
    return user


@router.post(
    "/users/{user_id}/force-logout",
    permission=SESSION_MANAGE,
    object="accounts.user",
    response=CountOut,
    summary="强制下线（结束该用户所有会话）",
)
def force_logout(request, user_id: int):
    return {"count": sessions.force_logout(_tenant_user(request, user_id))}


@router.post(
    "/users/{user_id}/unlock",
    permission=SESSION_MANAGE,
    object="accounts.user",
    response=CountOut,
    summary="解除登录锁定",
)
def unlock_user(request, user_id: int):
    return {"count": services.unlock_user(request.tenant, _tenant_user(request, user_id))}


# --- TOTP --------------------------------------------------------------------------------------------


@router.get("/totp", permission=AUTHENTICATED, response=TotpStatusOut, summary="动态口令状态")
def totp_status(request):
    return {"enrolled": totp.is_enrolled(request.user), "required": totp.is_required(request.user)}


@router.post("/totp/setup", permission=AUTHENTICATED, response=TotpSetupOut, summary="生成动态口令密钥（待确认）")
def totp_setup(request):
    device = totp.begin_enrolment(request.user)
    return {"secret": device.secret, "otpauth_uri": totp.provisioning_uri(request.user, device.secret)}


@router.post("/totp/confirm", permission=AUTHENTICATED, response=TotpStatusOut, summary="确认并启用动态口令")
def totp_confirm(request, payload: SecondFactorIn):
    totp.confirm_enrolment(request.user, payload.code)
    return {"enrolled": True, "required": totp.is_required(request.user)}


@router.post("/totp/disable", permission=AUTHENTICATED, response=TotpStatusOut, summary="停用动态口令")
def totp_disable(request, payload: TotpDisableIn):
    user = request.user
    if user.has_usable_password() and not user.check_password(payload.password):
        raise ApiError("identity.bad_old_password", "密码不正确", status=400)
    if not totp.verify(user, payload.code):
        raise ApiError("identity.bad_totp", "动态验证码不正确", status=400)
    totp.disable(user)
    return {"enrolled": False, "required": totp.is_required(user)}


from qifu.accounts import api_onboarding  # noqa: E402,F401  (registers its operations on ``router``)
