"""Enterprise quick registration and admin-created accounts (staff, institution operators).

Quick registration: phone + company name + contact name + SMS code (the code request is
guarded by an image captcha). The person becomes the owner of a new, not yet certified
enterprise and is signed in. Phones are unique per tenant.
"""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from qifu.accounts import passwords, sms
from qifu.accounts.models import PasswordState, User
from qifu.core import audit
from qifu.core import permissions as P
from qifu.core.errors import ApiError, Conflict, RuleViolation

DUPLICATE_PHONE = "该手机号已注册，请直接登录；如忘记密码，可通过“找回密码”用短信验证码重设"


def _root():
    from qifu.orgs.models import Organisation

    root = Organisation.objects.filter(kind=Organisation.Kind.ROOT, parent__isnull=True).order_by("id").first()
    if root is None:
        raise RuleViolation("identity.no_root", "平台尚未完成组织机构初始化，暂不能注册，请联系平台管理员")
    return root


def new_username(tenant, hint: str = "") -> str:
    # Usernames are unique across tenants; people sign in with their phone, so the
    # stored username only has to be unique and stable.
    base = f"{tenant.code}-{hint}" if hint else f"{tenant.code}-u"
    return f"{base}-{uuid.uuid4().hex[:6]}"[:150]


def phone_taken(tenant, phone: str) -> bool:
    return User.objects.filter(tenant=tenant, phone=phone).exists()


def register_enterprise(
    request, *, phone: str, sms_code: str, company_name: str, contact_name: str, password: str | None
) -> User:
    tenant = request.tenant
    phone = sms.normalise_phone(phone)
    company_name = company_name.strip()
    contact_name = contact_name.strip()
    if password:
        passwords.check_policy(password, None, phone=phone, name=contact_name)
    sms.verify_code(phone, sms.SmsCode.Purpose.REGISTER, sms_code)
    if phone_taken(tenant, phone):
        raise Conflict("identity.phone_registered", DUPLICATE_PHONE)
    try:
        return _create_enterprise_owner(tenant, phone, company_name, contact_name, password)
    except IntegrityError:
        # Two registrations for one phone at the same moment: the constraint decides.
        raise Conflict("identity.phone_registered", DUPLICATE_PHONE)


@transaction.atomic
def _create_enterprise_owner(tenant, phone, company_name, contact_name, password) -> User:
    from qifu.access.services import assign_role, ensure_builtin_roles
    from qifu.orgs.services import add_member, create_enterprise

    user = User(username=new_username(tenant, phone), name=contact_name, phone=phone, tenant=tenant)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()  # signs in by SMS code until a password is set
    user.save()
    audit.record(
        "identity.user.register", user, changes=audit.diff({}, audit.snapshot(user, ["username", "name", "phone"]))
    )
    enterprise = create_enterprise(name=company_name, parent=_root(), contact_name=contact_name, contact_phone=phone)
    add_member(user, enterprise.organisation, is_default=True, title="企业管理员")
    roles = ensure_builtin_roles()
    assign_role(user, enterprise.organisation, roles[P.ENTERPRISE_OWNER])
    if password:
        PasswordState.objects.update_or_create(user=user, defaults={"changed_at": timezone.now()})
    return user


@transaction.atomic
def create_account(
    *,
    tenant,
    name: str,
    phone: str,
    organisation,
    role,
    username: str = "",
    title: str = "",
    action: str,
    ctx=None,
) -> tuple[User, str]:
    """An admin-created account with a one-time initial password (must be changed at first login).

    With ``ctx`` (the acting admin) the access capability's grant guard checks the role and the
    organisation against the actor's own reach; a refusal undoes the whole account."""
    from qifu.access.services import assign_role
    from qifu.orgs.services import add_member

    phone = sms.normalise_phone(phone)
    existing = User.objects.filter(tenant=tenant, phone=phone).first()
    if existing is not None:
        raise Conflict("identity.phone_registered", "该手机号已有账号；如需让其加入本组织，请使用“添加成员”")
    if username and User.objects.filter(username=username).exists():
        raise Conflict("identity.username_taken", "用户名已被使用，请换一个")
    initial = passwords.temporary_password()
    user = User(
        username=username or new_username(tenant, phone),
        name=name.strip(),
        phone=phone,
        tenant=tenant,
        must_change_password=True,
    )
    user.set_password(initial)
    user.save()
    audit.record(action, user, changes=audit.diff({}, audit.snapshot(user, ["username", "name", "phone"])))
    add_member(user, organisation, is_default=True, title=title)
    assign_role(user, organisation, role, ctx=ctx)
    return user, initial


# Roles a tenant admin may give a staff account, and the organisation kinds staff sit in.
STAFF_ROLES = (P.DISTRICT_STAFF, P.AUDITOR, P.TENANT_ADMIN)
STAFF_ORG_KINDS = ("root", "town", "gov_department", "department", "business_group", "operating_unit")


def create_staff(
    ctx, *, name: str, phone: str, organisation_id: int, role: str, username: str = "", title: str = ""
) -> tuple[User, str, object]:
    """A staff account created by ``ctx``'s user: only in an organisation within their data scope for
    identity.staff.manage, and only with a role the access guard lets them hand out (a tenant admin
    only by someone who holds everything a tenant admin holds). Returns the account, its one-time
    password and its organisation."""
    from qifu.access.services import ensure_builtin_roles
    from qifu.accounts.permissions import STAFF_MANAGE
    from qifu.orgs.models import Organisation

    if role not in STAFF_ROLES:
        raise ApiError("identity.bad_role", "工作人员账号只能授予政府工作人员、审计员或租户管理员角色", status=422)
    candidates = Organisation.objects.filter(pk=organisation_id, kind__in=STAFF_ORG_KINDS, is_active=True)
    organisation = ctx.scoped(candidates, STAFF_MANAGE).first()
    if organisation is None:
        raise ApiError("identity.bad_organisation", "请选择您管辖范围内的政府部门或镇街", status=422)
    user, initial = create_account(
        tenant=ctx.tenant,
        name=name,
        phone=phone,
        organisation=organisation,
        role=ensure_builtin_roles()[role],
        username=username,
        title=title,
        action="identity.staff.create",
        ctx=ctx,
    )
    return user, initial, organisation
