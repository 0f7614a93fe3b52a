"""Sign-in, sign-out and organisation switching.

The identity capability (C1) layers captcha, lockout, SMS login and TOTP on top of
``authenticate_password``; every path ends in ``start_session``.
"""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.db.models import Q

from qifu.accounts.models import User
from qifu.core import audit, requestinfo
from qifu.core.errors import ApiError, NotFound


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


def authenticate_password(request, identifier: str, password: str) -> User:
    user = find_user(getattr(request, "tenant", None), identifier)
    authenticated = authenticate(request, username=user.username, password=password) if user else None
    if authenticated is None:
        audit.record_login(user, identifier, success=False, reason="bad_credentials" if user else "unknown_user")
        # One message whether the account exists or not: no enumeration.
        raise ApiError("identity.bad_credentials", "账号或密码错误", status=400)
    return authenticated


def start_session(request, user: User) -> None:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.pop("qifu_org", None)
    requestinfo.update(user=user)
    audit.record_login(user, user.username, success=True)


def end_session(request) -> None:
    user = request.user if request.user.is_authenticated else None
    if user is not None:
        audit.record("identity.logout", user, actor=user)
    logout(request)


def switch_organisation(request, organisation_id: int) -> None:
    from qifu.orgs.models import Membership

    if not Membership.objects.filter(user=request.user, organisation_id=organisation_id).exists():
        raise NotFound("您不属于该组织")
    request.session["qifu_org"] = organisation_id
    requestinfo.update(organisation_id=organisation_id)
    audit.record("identity.switch_organisation", request.user, changes={"organisation": {"after": organisation_id}})
