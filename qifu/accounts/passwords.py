"""Password policy, history and rotation.

Policy (configurable, qifu.accounts.conf): at least PASSWORD_MIN_LENGTH characters,
PASSWORD_MIN_CLASSES of the four classes (lower, upper, digit, symbol), not containing
the phone number, username or name (a two-character Chinese name too), not one of the last
PASSWORD_HISTORY passwords.
Optional rotation (PASSWORD_ROTATION_DAYS) for staff and institution accounts.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string

from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.utils import timezone

from qifu.accounts import conf
from qifu.accounts.models import PasswordHistory, PasswordState, User
from qifu.core import audit
from qifu.core.errors import ApiError

# Roles whose holders rotate their passwords when rotation is on.
ROTATING_ROLES = {"tenant_admin", "district_staff", "auditor", "institution_admin", "institution_operator"}


def policy_errors(password: str, user: User | None = None, *, phone: str = "", name: str = "") -> list[str]:
    """Every rule the password breaks, in Chinese; empty when it is acceptable."""
    errors = []
    minimum = conf.get("PASSWORD_MIN_LENGTH")
    if len(password) < minimum:
        errors.append(f"密码至少 {minimum} 位")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    needed = conf.get("PASSWORD_MIN_CLASSES")
    if classes < needed:
        errors.append(f"密码须包含小写字母、大写字母、数字、符号中的至少 {needed} 类")
    lowered = password.lower()
    personal = {phone, name}
    if user is not None:
        personal |= {user.phone, user.name, user.username}
    if any(_personal(value) in lowered for value in personal if _personal(value)):
        errors.append("密码不能包含手机号、用户名或姓名")
    if user is not None and user.pk and _reused(user, password):
        errors.append(f"新密码不能与最近 {conf.get('PASSWORD_HISTORY')} 次使用过的密码相同")
    return errors


def _personal(value: str | None) -> str:
    """``value`` as the policy looks for it in a password, or "" when it is too short to mean anything.

    Chinese names are often two characters (李四), so two characters count when any is not ASCII;
    Latin names, usernames and phones from three (two letters occur in too many passwords)."""
    value = (value or "").strip().lower()
    minimum = 2 if any(ord(c) > 127 for c in value) else 3
    return value if len(value) >= minimum else ""


def _reused(user: User, password: str) -> bool:
    keep = conf.get("PASSWORD_HISTORY")
    if keep == 0:
        return False
    if user.has_usable_password() and user.check_password(password):
        return True
    # The current password is one of the last N, so the history holds the N-1 before it.
    previous = PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[: max(keep - 1, 0)]
    return any(check_password(password, encoded) for encoded in previous)


def check_policy(password: str, user: User | None = None, *, phone: str = "", name: str = "") -> None:
    errors = policy_errors(password, user, phone=phone, name=name)
    if errors:
        raise ApiError("identity.weak_password", "；".join(errors), status=422, detail={"fields": {"password": errors}})


@transaction.atomic
def set_password(user: User, password: str, *, must_change: bool = False, action: str = "identity.password.change"):
    """Store a new password (policy already checked), remembering the old hash."""
    now = timezone.now()
    if user.has_usable_password():
        PasswordHistory.objects.create(user=user, password=user.password, created_at=now)
        keep = max(conf.get("PASSWORD_HISTORY") - 1, 0)
        stale = PasswordHistory.objects.filter(user=user).values_list("id", flat=True)[keep:]
        PasswordHistory.objects.filter(id__in=list(stale)).delete()
    user.set_password(password)
    user.must_change_password = must_change
    user.save(update_fields=["password", "must_change_password"])
    PasswordState.objects.update_or_create(user=user, defaults={"changed_at": now})
    audit.record(action, user, changes={"password": {"before": "******", "after": "******"}})


def temporary_password() -> str:
    """A random initial password that satisfies the default policy (shown once)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(12))
        candidate = f"{body[:6]}#{body[6:]}"
        if any(c.islower() for c in body) and any(c.isupper() for c in body) and any(c.isdigit() for c in body):
            return candidate


def rotation_due(user: User) -> bool:
    days = conf.get("PASSWORD_ROTATION_DAYS")
    if not days or not user.has_usable_password():
        return False
    if not (user.is_platform_admin or _holds_rotating_role(user)):
        return False
    state = PasswordState.objects.filter(user=user).first()
    changed = state.changed_at if state else user.date_joined
    return timezone.now() - changed > dt.timedelta(days=days)


def _holds_rotating_role(user: User) -> bool:
    from qifu.access.models import RoleAssignment

    return RoleAssignment.objects.filter(user=user, role__code__in=ROTATING_ROLES).exists()
