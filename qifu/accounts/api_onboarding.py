"""Certification (企业实名认证), institution onboarding (机构入驻), institution sub-accounts and
staff accounts — operations on the identity router (/api/v1/auth/...)."""

from __future__ import annotations

from django.db.models import Q
from ninja import File, Form, Query, UploadedFile

from qifu.accounts import certification, institutions, registration
from qifu.accounts.api import router
from qifu.accounts.models import CertificationApplication, InstitutionApplication, User
from qifu.accounts.permissions import (
    CERTIFICATION_APPLY,
    CERTIFICATION_REVIEW,
    INSTITUTION_REVIEW,
    STAFF_MANAGE,
    SUBACCOUNT_MANAGE,
)
from qifu.accounts.schemas import (
    AccountCreatedOut,
    ApproveIn,
    CertificationFilter,
    CertificationIn,
    CertificationOut,
    ConsentTextOut,
    InstitutionApplicationOut,
    InstitutionAppliedOut,
    InstitutionApplyIn,
    InstitutionFilter,
    InstitutionLookupIn,
    InstitutionProgressOut,
    MyCertificationOut,
    OperatorIn,
    OperatorOut,
    OrganisationBrief,
    PasswordIssuedOut,
    ReasonIn,
    StaffIn,
)
from qifu.core import fieldrules
from qifu.core.errors import ApiError, NotFound
from qifu.core.files import file_response
from qifu.core.pagination import Page, PageQuery, paginate
from qifu.core.permissions import AUTHENTICATED, PUBLIC

# --- serialisation ------------------------------------------------------------------------------


def _person(user) -> str:
    """A user's display name as ruled (``user`` is the ruled related object, or None)."""
    return (user.name or user.username) if user is not None else ""


# What the registry was asked about (certification.run_verification); its answer is derived from them.
VERIFIED_FIELDS = ("credit_code", "company_name", "legal_rep_name")


def certification_out(app: CertificationApplication, disputed: set[int] | None = None, *, ctx=None) -> dict:
    """``disputed``: the ids from ``certification.disputed_ids`` for a page; one lookup otherwise.

    Read through ``ctx``'s field rules, related rows through their own model's: a dict carries no
    model, so the router cannot rule it afterwards."""
    shown = fieldrules.wrap(app, ctx)
    town, licence, consent = shown.town, shown.licence, shown.consent
    withheld = {name for name in VERIFIED_FIELDS if fieldrules.withheld(ctx, CertificationApplication, name)}
    return {
        "id": app.id,
        "status": shown.status,
        "status_label": shown.get_status_display(),
        "company_name": shown.company_name,
        "credit_code": shown.credit_code,
        "legal_rep_name": shown.legal_rep_name,
        # Masked in any case; empty when the rules withhold it.
        "legal_rep_id_number": app.legal_rep_id_masked if shown.legal_rep_id_number else "",
        "town": {"id": app.town_id, "name": town.name, "kind": town.kind},
        "enterprise_id": app.enterprise_id,
        # Derived from the credit code (another enterprise certified under it): withheld with it.
        "is_dispute": "credit_code" not in withheld
        and (app.id in disputed if disputed is not None else certification.is_dispute(app)),
        "reason": shown.reason,
        # The registry's answer for the code repeats the name and legal representative it holds, and
        # its result says whether they match ours: withheld (empty) when any of the three is.
        "verification": {} if withheld else app.verification or {},
        "licence_name": licence.original_name,
        "consent_version": consent.text_version,
        "consent_at": consent.accepted_at,
        "submitted_by": _person(shown.submitted_by),
        "reviewed_by": _person(shown.reviewed_by),
        "created_at": app.created_at,
        "reviewed_at": shown.reviewed_at,
        "events": list(app.events.all()),
    }


def _applications():
    return CertificationApplication.objects.select_related(
        "town", "licence", "consent", "submitted_by", "reviewed_by"
    ).prefetch_related("events")


def _my_institution(request):
    return request.ctx.acting_institution(
        approved_only=True,
        code="identity.not_institution",
        message="请先切换到已入驻的服务机构再管理子账号",
        status=422,
    )


def _my_enterprise(request):
    return request.ctx.acting_enterprise(code="identity.not_enterprise", message="请先切换到需要认证的企业", status=422)


# --- enterprise side ------------------------------------------------------------------------------


@router.get("/consent", permission=PUBLIC, response=ConsentTextOut, summary="数据授权书（当前版本）")
def consent_text(request):
    return {"version": certification.CURRENT_CONSENT_VERSION, "text": certification.consent_text()}


@router.get("/towns", permission=AUTHENTICATED, response=list[OrganisationBrief], summary="可选的所属镇街")
def towns(request):
    from qifu.orgs.models import Organisation

    return list(Organisation.objects.filter(kind=Organisation.Kind.TOWN, is_active=True).order_by("sort", "id"))


@router.get(
    "/certification", permission=CERTIFICATION_APPLY, response=MyCertificationOut, summary="本企业认证状态与进度"
)
def my_certification(request):
    enterprise = _my_enterprise(request)
    app = _applications().filter(enterprise=enterprise).order_by("-id").first()
    return {
        "enterprise_id": enterprise.id,
        "enterprise_name": fieldrules.wrap(enterprise, request.ctx).name,
        "certification": enterprise.certification,
        "certified_at": enterprise.certified_at,
        "application": certification_out(app, ctx=request.ctx) if app else None,
    }


@router.post(
    "/certification", permission=CERTIFICATION_APPLY, response=MyCertificationOut, summary="提交或补充企业实名认证"
)
def submit_certification(request, payload: Form[CertificationIn], licence: UploadedFile | None = File(None)):  # noqa: B008
    enterprise = _my_enterprise(request)
    app = certification.submit(user=request.user, enterprise=enterprise, data=payload.dict(), licence_upload=licence)
    certification.run_verification(app)
    return my_certification(request)


@router.get("/certification/licence", permission=CERTIFICATION_APPLY, summary="下载本企业提交的营业执照")
def my_licence(request):
    app = CertificationApplication.objects.filter(enterprise=_my_enterprise(request)).order_by("-id").first()
    if app is None:
        raise NotFound()
    return file_response(app.licence)


# --- staff review --------------------------------------------------------------------------------------


@router.get("/certifications", permission=CERTIFICATION_REVIEW, response=Page[CertificationOut], summary="认证审核队列")
def list_certifications(request, page: Query[PageQuery], filters: Query[CertificationFilter]):
    qs = _applications().order_by("-id")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        qs = qs.filter(Q(company_name__icontains=filters.q) | Q(credit_code__icontains=filters.q.upper()))
    result = paginate(request.ctx.scoped(qs), page)
    disputed = certification.disputed_ids(result["items"])
    result["items"] = [certification_out(app, disputed, ctx=request.ctx) for app in result["items"]]
    return result


def _application(request, application_id: int) -> CertificationApplication:
    return request.ctx.get_or_404(_applications(), pk=application_id)


@router.get(
    "/certifications/{application_id}",
    permission=CERTIFICATION_REVIEW,
    object="accounts.certificationapplication",
    response=CertificationOut,
    summary="认证申请详情",
)
def get_certification(request, application_id: int):
    return certification_out(_application(request, application_id), ctx=request.ctx)


@router.get(
    "/certifications/{application_id}/licence",
    permission=CERTIFICATION_REVIEW,
    object="accounts.certificationapplication",
    summary="查看认证申请的营业执照",
)
def certification_licence(request, application_id: int):
    return file_response(_application(request, application_id).licence, inline=True)


@router.post(
    "/certifications/{application_id}/approve",
    permission=CERTIFICATION_REVIEW,
    object="accounts.certificationapplication",
    response=CertificationOut,
    summary="认证审核：通过",
)
def approve_certification(request, application_id: int, payload: ApproveIn):
    app = certification.approve(
        _application(request, application_id), request.user, note=payload.note, revoke_other=payload.revoke_other
    )
    return certification_out(_application(request, app.id), ctx=request.ctx)


@router.post(
    "/certifications/{application_id}/reject",
    permission=CERTIFICATION_REVIEW,
    object="accounts.certificationapplication",
    response=CertificationOut,
    summary="认证审核：驳回（须填写原因）",
)
def reject_certification(request, application_id: int, payload: ReasonIn):
    app = certification.reject(_application(request, application_id), request.user, payload.reason)
    return certification_out(_application(request, app.id), ctx=request.ctx)


@router.post(
    "/certifications/{application_id}/request-more",
    permission=CERTIFICATION_REVIEW,
    object="accounts.certificationapplication",
    response=CertificationOut,
    summary="认证审核：要求补充材料",
)
def request_more_certification(request, application_id: int, payload: ReasonIn):
    app = certification.request_more(_application(request, application_id), request.user, payload.reason)
    return certification_out(_application(request, app.id), ctx=request.ctx)


# --- institution onboarding ------------------------------------------------------------------------


def institution_app_out(app: InstitutionApplication, ctx=None) -> dict:
    """Read through ``ctx``'s field rules (the review queue); the applicant's own progress lookup
    is public and passes none."""
    kinds = institutions._kinds()
    shown = fieldrules.wrap(app, ctx)
    return {
        "id": app.id,
        "name": shown.name,
        "kind": shown.kind,
        "kind_label": kinds.get(shown.kind, shown.kind),
        "credit_code": shown.credit_code,
        "contact_name": shown.contact_name,
        "contact_phone": shown.contact_phone,
        "introduction": shown.introduction,
        "status": shown.status,
        "status_label": shown.get_status_display(),
        "reason": shown.reason,
        "licence_name": shown.licence.original_name,
        "created_at": app.created_at,
        "reviewed_at": shown.reviewed_at,
        "institution_id": app.institution_id,
    }


@router.post(
    "/institution-applications",
    permission=PUBLIC,
    response=InstitutionAppliedOut,
    summary="服务机构申请入驻（联系人手机短信验证）",
)
def apply_institution(request, payload: Form[InstitutionApplyIn], licence: UploadedFile | None = File(None)):  # noqa: B008
    data = payload.dict()
    app = institutions.apply(data=data, phone=data.pop("phone"), sms_code=data.pop("sms_code"), licence_upload=licence)
    return {
        "id": app.id,
        "status": app.status,
        "message": "申请已提交，我们将尽快审核；审核通过后会短信通知联系人，届时可用该手机号以短信验证码登录",
    }


@router.post(
    "/institution-applications/status",
    permission=PUBLIC,
    response=list[InstitutionProgressOut],
    summary="查询入驻申请进度（联系人手机短信验证）",
)
def institution_progress(request, payload: InstitutionLookupIn):
    return [institution_app_out(app) for app in institutions.lookup(payload.phone, payload.sms_code)]


def _institution_apps():
    return InstitutionApplication.objects.select_related("licence")


@router.get(
    "/institution-applications",
    permission=INSTITUTION_REVIEW,
    response=Page[InstitutionApplicationOut],
    summary="机构入驻审核队列",
)
def list_institution_applications(request, page: Query[PageQuery], filters: Query[InstitutionFilter]):
    qs = _institution_apps().order_by("-id")
    if filters.status:
        qs = qs.filter(status=filters.status)
    return paginate(request.ctx.scoped(qs), page, lambda app: institution_app_out(app, request.ctx))


@router.get(
    "/institution-applications/{application_id}/licence",
    permission=INSTITUTION_REVIEW,
    object="accounts.institutionapplication",
    summary="查看入驻申请的执照",
)
def institution_licence(request, application_id: int):
    return file_response(request.ctx.get_or_404(_institution_apps(), pk=application_id).licence, inline=True)


@router.post(
    "/institution-applications/{application_id}/approve",
    permission=INSTITUTION_REVIEW,
    object="accounts.institutionapplication",
    response=InstitutionApplicationOut,
    summary="入驻审核：通过（创建机构及其管理员）",
)
def approve_institution(request, application_id: int, payload: ApproveIn):
    app = request.ctx.get_or_404(_institution_apps(), pk=application_id)
    return institution_app_out(institutions.approve(app, request.user, payload.note), request.ctx)


@router.post(
    "/institution-applications/{application_id}/reject",
    permission=INSTITUTION_REVIEW,
    object="accounts.institutionapplication",
    response=InstitutionApplicationOut,
    summary="入驻审核：驳回（须填写原因）",
)
def reject_institution(request, application_id: int, payload: ReasonIn):
    app = request.ctx.get_or_404(_institution_apps(), pk=application_id)
    return institution_app_out(institutions.reject(app, request.user, payload.reason), request.ctx)


# --- institution sub-accounts ------------------------------------------------------------------------


def operator_out(user: User, organisation, ctx=None) -> dict:
    """An operator account read through ``ctx``'s field rules on users (name and phone)."""
    from qifu.access.models import RoleAssignment

    roles = RoleAssignment.objects.filter(user=user, organisation=organisation).values_list("role__code", flat=True)
    shown = fieldrules.wrap(user, ctx)
    phone = shown.phone or ""
    return {
        "id": user.id,
        "username": user.username,
        "name": _person(shown),
        # A phone shown at all is shown masked here; a masked one stays as the rules masked it.
        "phone": phone[:3] + "****" + phone[-4:] if len(phone) >= 7 and phone == user.phone else phone,
        "is_active": user.is_active,
        "must_change_password": user.must_change_password,
        "roles": sorted(roles),
        "last_login": user.last_login,
    }


@router.get("/subaccounts", permission=SUBACCOUNT_MANAGE, response=Page[OperatorOut], summary="本机构子账号")
def list_operators(request, page: Query[PageQuery]):
    institution = _my_institution(request)
    return paginate(
        institutions.operators(institution), page, lambda u: operator_out(u, institution.organisation, request.ctx)
    )


@router.post("/subaccounts", permission=SUBACCOUNT_MANAGE, response=AccountCreatedOut, summary="创建经办人子账号")
def create_operator(request, payload: OperatorIn):
    institution = _my_institution(request)
    user, initial = institutions.create_operator(
        institution, name=payload.name, phone=payload.phone, role=payload.role, title=payload.title
    )
    return {"user": operator_out(user, institution.organisation, request.ctx), "initial_password": initial}


def _operator(request, user_id: int):
    try:
        institution = _my_institution(request)
    except ApiError:
        # Not acting for an institution: no sub-account is within reach (404, not a hint).
        raise NotFound()
    return institution, institutions.operator(institution, user_id)


@router.post(
    "/subaccounts/{user_id}/disable",
    permission=SUBACCOUNT_MANAGE,
    object="accounts.user",
    response=OperatorOut,
    summary="停用子账号",
)
def disable_operator(request, user_id: int):
    institution, user = _operator(request, user_id)
    return operator_out(
        institutions.set_operator_active(institution, user, False), institution.organisation, request.ctx
    )


@router.post(
    "/subaccounts/{user_id}/enable",
    permission=SUBACCOUNT_MANAGE,
    object="accounts.user",
    response=OperatorOut,
    summary="启用子账号",
)
def enable_operator(request, user_id: int):
    institution, user = _operator(request, user_id)
    return operator_out(
        institutions.set_operator_active(institution, user, True), institution.organisation, request.ctx
    )


@router.post(
    "/subaccounts/{user_id}/reset-password",
    permission=SUBACCOUNT_MANAGE,
    object="accounts.user",
    response=PasswordIssuedOut,
    summary="重置子账号密码（首次登录须修改）",
)
def reset_operator(request, user_id: int):
    institution, user = _operator(request, user_id)
    return {"initial_password": institutions.reset_operator_password(institution, user)}


# --- staff accounts ------------------------------------------------------------------------------------


@router.post(
    "/staff", permission=STAFF_MANAGE, response=AccountCreatedOut, summary="创建工作人员账号（首次登录须改密）"
)
def create_staff(request, payload: StaffIn):
    user, initial, organisation = registration.create_staff(
        request.ctx,
        name=payload.name,
        phone=payload.phone,
        organisation_id=payload.organisation_id,
        role=payload.role,
        username=payload.username,
        title=payload.title,
    )
    return {"user": operator_out(user, organisation, request.ctx), "initial_password": initial}
