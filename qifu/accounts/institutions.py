"""Institution onboarding (入驻) and the institution admin's operator sub-accounts.

Application state machine:  pending ──▶ approved | rejected  (staff review).
Approval creates the institution (qifu.orgs.services.create_institution), and makes the
applicant's phone its admin: an existing account of the tenant joins the institution
(one person, several organisations), otherwise a new account is created that signs in
by SMS code and sets its password.

Sub-accounts: the institution admin creates, disables, enables and resets operators of
their own institution and grants only GRANTABLE_ROLES. A sub-account is an account that holds
a grantable role in the institution and no other role anywhere (``operators``); one that also
belongs to another organisation is neither disabled nor given a new password by the institution.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from qifu.accounts import registration, sms
from qifu.accounts import services as account_services
from qifu.accounts.models import InstitutionApplication, User
from qifu.core import audit, files
from qifu.core import permissions as P
from qifu.core.errors import ApiError, Conflict, NotFound, RuleViolation
from qifu.orgs.codes import credit_code_error

S = InstitutionApplication.Status
TRANSITIONS: dict[str, set[str]] = {S.PENDING: {S.APPROVED, S.REJECTED}, S.APPROVED: set(), S.REJECTED: set()}

# The roles an institution admin may hand out inside their institution. The admin role
# itself is granted only by platform staff (through onboarding), never by another admin.
GRANTABLE_ROLES = (P.INSTITUTION_OPERATOR,)


def _kinds() -> dict[str, str]:
    from qifu.orgs.models import Institution

    return dict(Institution.Kind.choices)


def validate_application(data: dict) -> dict:
    fields: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip()
    if len(name) < 4:
        fields["name"] = ["请填写机构全称"]
    if data.get("kind") not in _kinds():
        fields["kind"] = ["请选择机构类型"]
    code = (data.get("credit_code") or "").strip().upper()
    if error := credit_code_error(code):
        fields["credit_code"] = [error]
    contact = (data.get("contact_name") or "").strip()
    if len(contact) < 2:
        fields["contact_name"] = ["请填写联系人姓名"]
    if fields:
        raise ApiError(
            "identity.institution_invalid", next(iter(fields.values()))[0], status=422, detail={"fields": fields}
        )
    return {
        "name": name,
        "kind": data["kind"],
        "credit_code": code,
        "contact_name": contact,
        "introduction": (data.get("introduction") or "").strip()[:2000],
    }


def apply(*, data: dict, phone: str, sms_code: str, licence_upload) -> InstitutionApplication:
    """A public application; the contact's phone is proven by an SMS code."""
    from qifu.orgs.models import Institution

    clean = validate_application(data)
    phone = sms.normalise_phone(phone)
    if licence_upload is None:
        raise ApiError("identity.institution_invalid", "请上传营业执照或执业许可证", status=422)
    if Institution.objects.filter(credit_code=clean["credit_code"]).exists():
        raise Conflict("identity.institution_exists", "该机构已入驻本平台；如需新增账号，请联系机构管理员")
    if InstitutionApplication.objects.filter(credit_code=clean["credit_code"], status=S.PENDING).exists():
        raise Conflict("identity.institution_pending", "该机构已有入驻申请正在审核中")
    sms.verify_code(phone, sms.SmsCode.Purpose.INSTITUTION, sms_code)
    return record_application(clean, phone=phone, licence_upload=licence_upload)


@transaction.atomic
def record_application(clean: dict, *, phone: str, licence_upload) -> InstitutionApplication:
    """Store a validated application (the contact's phone already proven)."""
    licence = files.save_upload(licence_upload, purpose="institution_licence")
    app = InstitutionApplication.objects.create(**clean, contact_phone=phone, licence=licence)
    audit.record("identity.institution.apply", app, changes=audit.diff({}, audit.snapshot(app)))
    return app


def _transition(app: InstitutionApplication, to: str, reviewer, reason: str) -> None:
    if to not in TRANSITIONS[app.status]:
        raise RuleViolation(
            "identity.institution_state", f"当前状态“{app.get_status_display()}”不能变更为“{S(to).label}”"
        )
    before = app.status
    app.status = to
    app.reason = reason[:500]
    app.reviewed_by = reviewer
    app.reviewed_at = timezone.now()
    app.save()
    audit.record(
        f"identity.institution.{to}",
        app,
        changes={"status": {"before": before, "after": to}, "reason": {"after": reason}},
    )


@transaction.atomic
def approve(app: InstitutionApplication, reviewer, note: str = "") -> InstitutionApplication:
    from qifu.access.services import assign_role, ensure_builtin_roles
    from qifu.orgs.models import Institution
    from qifu.orgs.services import add_member, create_institution

    app = InstitutionApplication.objects.select_for_update().get(pk=app.pk)
    if app.status == S.PENDING and Institution.objects.filter(credit_code=app.credit_code).exists():
        raise Conflict("identity.institution_exists", "该统一社会信用代码的机构已入驻，请驳回本申请")
    _transition(app, S.APPROVED, reviewer, note or "审核通过")
    institution = create_institution(
        name=app.name,
        kind=app.kind,
        parent=registration._root(),
        status=Institution.Status.APPROVED,
        credit_code=app.credit_code,
        contact_name=app.contact_name,
        contact_phone=app.contact_phone,
        introduction=app.introduction,
    )
    tenant = institution.tenant
    admin = User.objects.filter(tenant=tenant, phone=app.contact_phone).first()
    if admin is None:
        admin = User(
            username=registration.new_username(tenant, app.contact_phone),
            name=app.contact_name,
            phone=app.contact_phone,
            tenant=tenant,
        )
        admin.set_unusable_password()  # signs in by SMS code, then sets a password
        admin.save()
        audit.record("identity.user.create", admin, changes={"name": {"after": admin.name}})
    has_default = admin.memberships.filter(is_default=True).exists()
    add_member(admin, institution.organisation, is_default=not has_default, title="机构管理员")
    assign_role(admin, institution.organisation, ensure_builtin_roles()[P.INSTITUTION_ADMIN])
    app.institution = institution
    app.admin_user = admin
    app.save(update_fields=["institution", "admin_user", "updated_at"])
    from qifu.accounts.events import INSTITUTION_APPROVED
    from qifu.messaging.services import notify

    notify(INSTITUTION_APPROVED, [admin], {"institution": institution.name})
    return app


@transaction.atomic
def reject(app: InstitutionApplication, reviewer, reason: str) -> InstitutionApplication:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ApiError("identity.reason_required", "请填写驳回原因，申请人将看到该说明", status=422)
    app = InstitutionApplication.objects.select_for_update().get(pk=app.pk)
    _transition(app, S.REJECTED, reviewer, reason)
    # The contact hears of it: through their account when the phone has one here (in-site at once,
    # SMS after commit), else by SMS at the phone itself. Everyone can also look the application up
    # with their phone (``lookup``).
    from qifu.accounts.events import INSTITUTION_REJECTED
    from qifu.messaging.services import Address, notify

    contact = User.objects.filter(tenant=app.tenant, phone=app.contact_phone, is_active=True).first()
    recipient = contact if contact is not None else Address.phone(app.contact_phone)
    notify(INSTITUTION_REJECTED, [recipient], {"institution": app.name, "reason": reason})
    return app


def lookup(phone: str, sms_code: str) -> list[InstitutionApplication]:
    """The applications filed with ``phone`` as the contact, newest first; the SMS code proves the
    caller holds that phone (the same code purpose as applying)."""
    phone = sms.normalise_phone(phone)
    sms.verify_code(phone, sms.SmsCode.Purpose.INSTITUTION, sms_code)
    return list(InstitutionApplication.objects.filter(contact_phone=phone).order_by("-id")[:20])


# --- sub-accounts -------------------------------------------------------------------------------


def operators(institution):
    """The sub-accounts the institution admin may manage.

    Holders of a role the institution may grant (GRANTABLE_ROLES) in the institution who hold
    nothing more anywhere: an account with any other role — a tenant admin, staff, an enterprise
    owner, the institution's own admins — is not a sub-account, even when it is also a member or
    an operator here, so the institution admin can neither see nor reset, disable or enable it.
    """
    from qifu.access.models import RoleAssignment

    path = institution.organisation.path
    granted = RoleAssignment.objects.filter(organisation__path__startswith=path, role__code__in=GRANTABLE_ROLES)
    beyond = RoleAssignment.objects.exclude(organisation__path__startswith=path, role__code__in=GRANTABLE_ROLES)
    return (
        User.objects.filter(tenant=institution.tenant, is_platform_admin=False, pk__in=granted.values("user_id"))
        .exclude(pk__in=beyond.values("user_id"))
        .order_by("id")
    )


def operator(institution, user_id: int) -> User:
    user = operators(institution).filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user


def _not_shared(institution, user: User, message: str) -> None:
    """An account that also belongs to another organisation is not the institution's alone: it can
    neither be switched off nor handed a new password (whoever holds it acts for the others too)."""
    elsewhere = user.memberships.exclude(organisation__path__startswith=institution.organisation.path)
    if elsewhere.exists():
        raise RuleViolation("identity.shared_account", message)


def _grantable_role(code: str):
    from qifu.access.services import ensure_builtin_roles

    if code not in GRANTABLE_ROLES:
        raise ApiError("auth.forbidden", "机构管理员只能授予“服务机构经办人”角色", status=403)
    return ensure_builtin_roles()[code]


def create_operator(institution, *, name: str, phone: str, role: str, title: str = "") -> tuple[User, str]:
    role_obj = _grantable_role(role)
    return registration.create_account(
        tenant=institution.tenant,
        name=name,
        phone=phone,
        organisation=institution.organisation,
        role=role_obj,
        title=title,
        action="identity.subaccount.create",
    )


@transaction.atomic
def set_operator_active(institution, user: User, active: bool) -> User:
    user = operator(institution, user.pk)
    if user.is_active == active:
        return user
    _not_shared(institution, user, "该人员同时属于其他组织，不能停用其账号，请改为移除其角色")
    return account_services.set_active(user, active, audit_prefix="identity.subaccount")


@transaction.atomic
def reset_operator_password(institution, user: User) -> str:
    user = operator(institution, user.pk)
    _not_shared(institution, user, "该人员同时属于其他组织，不能由本机构重置其密码，请其本人通过短信找回密码")
    return account_services.issue_temporary_password(user, audit_action="identity.subaccount.reset_password")
