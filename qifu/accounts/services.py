"""Sign-in, sign-out, passwords and organisation switching.

Every sign-in path (password, SMS code, TOTP step) checks the lockout first, logs the
attempt with ``audit.record_login`` and ends in ``start_session``. Messages never say
whether an account exists.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from qifu.accounts import conf, passwords, sessions, sms, throttle, totp
from qifu.accounts.models import User, UserSession
from qifu.core import audit, captcha, requestinfo
from qifu.core.errors import ApiError, NotFound

SECOND_FACTOR_KEY = "qifu_2fa"
SECOND_FACTOR_SECONDS = 300


def find_user(tenant, identifier: str) -> User | None:
    """A user of ``tenant`` by username or phone (platform admins by username only)."""
    identifier = identifier.strip()
    if not identifier:
        return None
    q = Q(username=identifier) | Q(phone=identifier) if tenant is not None else Q(username=identifier)
    users = User.objects.filter(q)
    if tenant is not None:
        users = users.filter(Q(tenant=tenant) | Q(tenant__isnull=True, is_platform_admin=True))
    return users.order_by("id").first()


def _ip() -> str | None:
    return requestinfo.get().ip


def _lock_identity(user: User | None, identifier: str) -> str:
    # Count an account's failures once whether it is addressed by username or phone. Two namespaces
    # that cannot meet: whatever an unknown name is (even "id:5"), it never counts against account 5.
    return f"id:{user.pk}" if user is not None else f"name:{identifier}"


def captcha_required(tenant, identifier: str) -> bool:
    mode = conf.get("LOGIN_CAPTCHA")
    if mode == "always":
        return True
    if mode == "off":
        return False
    user = find_user(tenant, identifier) if identifier else None
    return throttle.recent_failures(tenant, _lock_identity(user, identifier), _ip()) > 0


def _fail(tenant, user, identifier: str, reason: str, method: str, message: str, code: str, status: int = 400):
    throttle.record_failure(tenant, _lock_identity(user, identifier), _ip())
    audit.record_login(user, identifier, success=False, reason=reason, method=method)
    raise ApiError(code, message, status=status, detail={"captcha_required": conf.get("LOGIN_CAPTCHA") != "off"})


def authenticate_password(
    request, identifier: str, password: str, captcha_id: str | None = None, captcha_answer: str | None = None
) -> User:
    """The account for these credentials, or an error. Lockout and captcha come first."""
    tenant = getattr(request, "tenant", None)
    user = find_user(tenant, identifier)
    lock_id = _lock_identity(user, identifier)
    try:
        throttle.check_not_locked(tenant, lock_id, _ip())
    except ApiError:
        audit.record_login(user, identifier, success=False, reason="locked")
        raise
    if captcha_required(tenant, identifier) and not captcha.verify(captcha_id, captcha_answer):
        audit.record_login(user, identifier, success=False, reason="captcha")
        raise ApiError("identity.bad_captcha", "请正确填写图形验证码", status=400, detail={"captcha_required": True})
    if user is None:
        # Hash anyway so an unknown account takes as long to refuse as a wrong password.
        make_password(password)
        authenticated = None
    else:
        authenticated = authenticate(request, username=user.username, password=password)
    if authenticated is None:
        # One message whether the account exists or not: no enumeration.
        _fail(
            tenant,
            user,
            identifier,
            "bad_credentials" if user else "unknown_user",
            "password",
            "账号或密码错误",
            "identity.bad_credentials",
        )
    return authenticated


def authenticate_sms(request, phone: str, code: str) -> User:
    tenant = getattr(request, "tenant", None)
    phone = sms.normalise_phone(phone)
    user = User.objects.filter(tenant=tenant, phone=phone, is_active=True).first() if tenant else None
    throttle.check_not_locked(tenant, _lock_identity(user, phone), _ip())
    try:
        sms.verify_code(phone, sms.SmsCode.Purpose.LOGIN, code)
    except ApiError:
        _fail(tenant, user, phone, "bad_sms_code", "sms", sms.GENERIC_INVALID, "identity.bad_sms_code")
    if user is None:  # unreachable in practice: no code is delivered to unknown phones
        _fail(tenant, None, phone, "unknown_user", "sms", sms.GENERIC_INVALID, "identity.bad_sms_code")
    return user


def sign_in(request, user: User, method: str) -> bool:
    """Start the session, or park the sign-in until the second factor is given.

    Returns True when signed in; raises ``identity.second_factor_required`` (428) with
    what the client needs (and, for a required first enrolment, the new secret).
    """
    enrolled = totp.is_enrolled(user)
    if not enrolled and not totp.is_required(user):
        start_session(request, user, method=method)
        return True
    detail: dict = {"second_factor": "totp", "enrol": not enrolled}
    if not enrolled:
        device = totp.begin_enrolment(user)
        detail.update(secret=device.secret, otpauth_uri=totp.provisioning_uri(user, device.secret))
    request.session[SECOND_FACTOR_KEY] = {"user": user.pk, "method": method, "at": timezone.now().isoformat()}
    audit.record_login(user, user.username, success=False, reason="second_factor_pending", method=method)
    message = (
        "请输入身份验证器中的 6 位动态验证码"
        if enrolled
        else "管理员账号须启用动态口令：请用身份验证器扫码后输入验证码"
    )
    raise ApiError("identity.second_factor_required", message, status=428, detail=detail)


def complete_second_factor(request, code: str) -> User:
    pending = request.session.get(SECOND_FACTOR_KEY)
    tenant = getattr(request, "tenant", None)
    expired = not pending or timezone.now() - dt.datetime.fromisoformat(pending["at"]) > dt.timedelta(
        seconds=SECOND_FACTOR_SECONDS
    )
    user = None if expired else User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(SECOND_FACTOR_KEY, None)
        raise ApiError("identity.second_factor_expired", "验证已超时，请重新登录", status=400)
    lock_id = _lock_identity(user, user.username)
    throttle.check_not_locked(tenant, lock_id, _ip())
    if totp.is_enrolled(user):
        ok = totp.verify(user, code)
    else:
        try:
            totp.confirm_enrolment(user, code)
            ok = True
        except ApiError:
            ok = False
    if not ok:
        _fail(tenant, user, user.username, "bad_totp", "totp", "动态验证码不正确", "identity.bad_totp")
    request.session.pop(SECOND_FACTOR_KEY, None)
    start_session(request, user, method="totp")
    return user


def start_session(request, user: User, method: str = "password") -> None:
    from qifu.orgs.models import Membership

    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    # The current organisation is part of the session from the start (the default one),
    # so every audit entry of this session names it.
    default = (
        Membership.objects.filter(user=user, organisation__is_active=True)
        .order_by("-is_default", "id")
        .values_list("organisation_id", flat=True)
        .first()
    )
    request.session["qifu_org"] = default
    requestinfo.update(user=user, organisation_id=default)
    tenant = getattr(request, "tenant", None)
    throttle.clear(tenant, _lock_identity(user, user.username))
    sessions.register(request, user, method)
    if passwords.rotation_due(user) and not user.must_change_password:
        user.must_change_password = True
        user.save(update_fields=["must_change_password"])
    audit.record_login(user, user.username, success=True, method=method)


def end_session(request) -> None:
    user = request.user if request.user.is_authenticated else None
    if user is not None:
        row = UserSession.objects.filter(session_key=request.session.session_key).first()
        if row is not None:
            sessions.mark_ended(row, UserSession.EndReason.LOGOUT)
        audit.record("identity.logout", user, actor=user)
    logout(request)


def switch_organisation(request, organisation_id: int) -> None:
    from qifu.orgs.models import Membership

    if not Membership.objects.filter(
        user=request.user, organisation_id=organisation_id, organisation__is_active=True
    ).exists():
        raise NotFound("您不属于该组织")
    request.session["qifu_org"] = organisation_id
    requestinfo.update(organisation_id=organisation_id)
    audit.record("identity.switch_organisation", request.user, changes={"organisation": {"after": organisation_id}})


# --- SMS codes -------------------------------------------------------------------------------


def send_code(request, phone: str, purpose: str, captcha_id: str, captcha_answer: str) -> None:
    """Same answer, and the same work, for every phone: whether the SMS goes out (only where it
    can be used) is decided by the delivery job (qifu.accounts.sms)."""
    if not captcha.verify(captcha_id, captcha_answer):
        raise ApiError("identity.bad_captcha", "请正确填写图形验证码", status=400, detail={"captcha_required": True})
    sms.request_code(sms.normalise_phone(phone), purpose, ip=_ip())


# --- Passwords --------------------------------------------------------------------------------


def change_password(request, old_password: str, new_password: str) -> None:
    user = request.user
    if user.has_usable_password() and not user.check_password(old_password):
        raise ApiError("identity.bad_old_password", "原密码不正确", status=400)
    passwords.check_policy(new_password, user)
    with transaction.atomic():
        passwords.set_password(user, new_password)
        # Other devices must sign in again with the new password; this one stays.
        sessions.end_sessions(user, UserSession.EndReason.PASSWORD, keep=request.session.session_key)
    # Changing the password rotates the session hash; keep this session signed in.
    from django.contrib.auth import update_session_auth_hash

    update_session_auth_hash(request, user)


def reset_password(request, phone: str, code: str, new_password: str) -> None:
    tenant = request.tenant
    phone = sms.normalise_phone(phone)
    user = User.objects.filter(tenant=tenant, phone=phone, is_active=True).first()
    # The rules that do not depend on the account first, the same for every phone (no
    # enumeration), and before the code is spent so a weak password does not cost a new SMS.
    passwords.check_policy(new_password, None, phone=phone)
    sms.verify_code(phone, sms.SmsCode.Purpose.RESET, code)
    if user is None:
        raise ApiError("identity.bad_sms_code", sms.GENERIC_INVALID, status=400)
    # Name and history only now that the code proved the caller owns the phone.
    passwords.check_policy(new_password, user)
    with transaction.atomic():
        passwords.set_password(user, new_password, action="identity.password.reset")
        sessions.end_sessions(user, UserSession.EndReason.PASSWORD)
        throttle.unlock(tenant, _lock_identity(user, user.username))


@transaction.atomic
def unlock_user(tenant, user: User) -> int:
    """An admin lifts a user's login lock early; returns how many locks were lifted."""
    count = throttle.unlock(tenant, _lock_identity(user, user.username))
    audit.record("identity.unlock", user, changes={"locks": {"after": count}})
    return count


@transaction.atomic
def set_active(user: User, active: bool, *, audit_prefix: str) -> User:
    """Enable or disable an account (disabling ends its sessions). Callers apply their own guards first;
    the audit action is ``<audit_prefix>.enable`` or ``.disable``."""
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        sessions.end_sessions(user, UserSession.EndReason.DISABLED)
    audit.record(
        f"{audit_prefix}.enable" if active else f"{audit_prefix}.disable",
        user,
        changes={"is_active": {"before": not active, "after": active}},
    )
    return user


@transaction.atomic
def issue_temporary_password(user: User, *, audit_action: str) -> str:
    """A temporary password (shown once) that must be changed at the next sign-in; open sessions end."""
    initial = passwords.temporary_password()
    passwords.set_password(user, initial, must_change=True, action=audit_action)
    sessions.end_sessions(user, UserSession.EndReason.PASSWORD)
    return initial
