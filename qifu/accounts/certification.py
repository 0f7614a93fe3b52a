"""Enterprise real-name certification (实名认证): the application state machine.

    submitted ──registry match──▶ approved ──dispute resolved for another──▶ revoked
        │ ──registry mismatch──▶ rejected
        └─no registry / failure / dispute──▶ pending_review ──▶ approved | rejected | more_info
                                                  ▲                                   │
                                                  └──────── enterprise resubmits ─────┘

Every transition is one function below, writes a CertificationEvent (what the
enterprise sees, with the reason), an audit entry, and mirrors the state onto the
enterprise through qifu.orgs.identity_services.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from qifu.accounts import registry
from qifu.accounts.models import CertificationApplication, CertificationEvent, Consent
from qifu.core import audit, files, requestinfo
from qifu.core.errors import ApiError, Conflict, RuleViolation
from qifu.orgs import identity_services
from qifu.orgs.codes import credit_code_error, id_number_error

S = CertificationApplication.Status

TRANSITIONS: dict[str, set[str]] = {
    S.SUBMITTED: {S.APPROVED, S.REJECTED, S.PENDING_REVIEW},
    S.PENDING_REVIEW: {S.APPROVED, S.REJECTED, S.MORE_INFO},
    S.MORE_INFO: {S.PENDING_REVIEW},
    S.APPROVED: {S.REVOKED},
    S.REJECTED: set(),
    S.REVOKED: set(),
}
OPEN = (S.SUBMITTED, S.PENDING_REVIEW, S.MORE_INFO)
DISPUTE_REASON = "该统一社会信用代码已被其他企业认证，转人工审核（争议）"

# What the enterprise row shows while an application is in each state.
ENTERPRISE_STATE = {
    S.SUBMITTED: "pending",
    S.PENDING_REVIEW: "pending",
    S.MORE_INFO: "more_info",
    S.REJECTED: "rejected",
    S.REVOKED: "none",
}

# The data-authorisation text the enterprise agrees to, by version. A new text gets a
# new version; consents keep the version (and hash) they were given for.
CONSENT_TEXTS = {
    "2026-01": (
        "本企业授权本平台及所属区人民政府相关部门，为开展企业服务、政策匹配、融资对接和统计分析之目的，"
        "向市场监管、税务、人社等部门及合作金融机构查询、核验和使用本企业的登记信息、经营信息和信用信息；"
        "平台按照《中华人民共和国个人信息保护法》《中华人民共和国数据安全法》保护上述数据，"
        "不用于上述目的以外的用途。本授权自提交之日起生效，本企业可随时通过平台撤回。"
    )
}
CURRENT_CONSENT_VERSION = "2026-01"


def consent_text(version: str = CURRENT_CONSENT_VERSION) -> str:
    return CONSENT_TEXTS[version]


def _sign_consent(consent: Consent) -> str:
    message = "|".join(
        str(v)
        for v in (
            consent.user_id,
            consent.organisation_id,
            consent.kind,
            consent.text_version,
            consent.text_sha256,
            consent.accepted_at.isoformat(),
        )
    )
    return hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def consent_is_intact(consent: Consent) -> bool:
    text = CONSENT_TEXTS.get(consent.text_version, "")
    return (
        hmac.compare_digest(consent.signature, _sign_consent(consent))
        and consent.text_sha256 == hashlib.sha256(text.encode()).hexdigest()
    )


def record_consent(user, organisation, version: str) -> Consent:
    info = requestinfo.get()
    consent = Consent(
        user=user,
        organisation=organisation,
        text_version=version,
        text_sha256=hashlib.sha256(consent_text(version).encode()).hexdigest(),
        accepted_at=timezone.now(),
        ip=info.ip,
        user_agent=(info.user_agent or "")[:300],
    )
    consent.signature = _sign_consent(consent)
    consent.save()
    audit.record("identity.consent.accept", consent, changes={"text_version": {"after": version}})
    return consent


# --- validation --------------------------------------------------------------------------------


def validate(data: dict) -> dict:
    """Normalised fields or a 422 naming every problem; nothing is written before this passes."""
    from qifu.orgs.models import Organisation

    fields: dict[str, list[str]] = {}
    code = (data.get("credit_code") or "").strip().upper()
    if error := credit_code_error(code):
        fields["credit_code"] = [error]
    id_number = (data.get("legal_rep_id_number") or "").strip().upper()
    if error := id_number_error(id_number):
        fields["legal_rep_id_number"] = [error]
    name = (data.get("company_name") or "").strip()
    if len(name) < 4:
        fields["company_name"] = ["请填写营业执照上的企业全称"]
    rep = (data.get("legal_rep_name") or "").strip()
    if len(rep) < 2:
        fields["legal_rep_name"] = ["请填写法定代表人姓名"]
    town = Organisation.objects.filter(pk=data.get("town_id"), kind=Organisation.Kind.TOWN, is_active=True).first()
    if town is None:
        fields["town_id"] = ["请选择所属镇街"]
    if not data.get("consent"):
        fields["consent"] = ["请阅读并同意数据授权书"]
    elif data.get("consent_version") != CURRENT_CONSENT_VERSION:
        fields["consent_version"] = ["数据授权书已更新，请刷新页面重新阅读后同意"]
    if fields:
        first = next(iter(fields.values()))[0]
        raise ApiError("identity.certification_invalid", first, status=422, detail={"fields": fields})
    return {
        "credit_code": code,
        "legal_rep_id_number": id_number,
        "company_name": name,
        "legal_rep_name": rep,
        "town": town,
    }


# --- transitions -------------------------------------------------------------------------------


def _transition(app: CertificationApplication, to: str, reason: str = "", *, reviewer=None) -> None:
    if to not in TRANSITIONS[app.status]:
        raise RuleViolation(
            "identity.certification_state",
            f"当前状态“{app.get_status_display()}”不能变更为“{S(to).label}”",
            detail={"from": app.status, "to": to},
        )
    before = app.status
    app.status = to
    app.reason = reason[:500]
    fields = ["status", "reason", "updated_at"]
    if reviewer is not None:
        app.reviewed_by = reviewer
        app.reviewed_at = timezone.now()
        fields += ["reviewed_by", "reviewed_at"]
    app.save(update_fields=fields)
    actor = reviewer or requestinfo.get().user
    CertificationEvent.objects.create(
        application=app,
        from_status=before,
        to_status=to,
        reason=reason[:500],
        actor_label=(getattr(actor, "display_name", "") if actor else "") or "系统",
        at=timezone.now(),
    )
    audit.record(
        f"identity.certification.{to}",
        app,
        changes={"status": {"before": before, "after": to}, "reason": {"after": reason}},
    )
    enterprise = app.enterprise
    if to in DECISION_TEXT:
        _notify(app, to, reason)
    if to == S.APPROVED:
        identity_services.certify(
            enterprise,
            credit_code=app.credit_code,
            legal_rep_name=app.legal_rep_name,
            legal_rep_id_number=app.legal_rep_id_number,
            town=app.town,
        )
    else:
        identity_services.set_certification_state(enterprise, ENTERPRISE_STATE[to])


DECISION_TEXT = {
    S.APPROVED: "已通过",
    S.REJECTED: "未通过",
    S.MORE_INFO: "需要补充材料",
    S.REVOKED: "已被撤销",
}


def _notify(app: CertificationApplication, to: str, reason: str) -> None:
    from qifu.accounts.events import CERTIFICATION_DECIDED
    from qifu.messaging.services import notify

    # In-site at once (same transaction), SMS after commit; the submitter is the enterprise's contact.
    notify(
        CERTIFICATION_DECIDED,
        [app.submitted_by],
        {"enterprise": app.company_name, "result": DECISION_TEXT[to], "reason": reason},
    )


def disputed_ids(apps) -> set[int]:
    """The open applications among ``apps`` whose credit code another enterprise holds as certified now.

    Derived when read, never stored: a claim becomes a dispute when a competing claim is certified
    after it was submitted, and stops being one when that certification is revoked."""
    from qifu.orgs.models import Enterprise

    open_apps = [a for a in apps if a.status in OPEN]
    if not open_apps:
        return set()
    holders: dict[str, set[int]] = {}
    for code, enterprise_id in Enterprise.objects.filter(
        credit_code__in={a.credit_code for a in open_apps}, certification=Enterprise.Certification.CERTIFIED
    ).values_list("credit_code", "id"):
        holders.setdefault(code, set()).add(enterprise_id)
    return {a.id for a in open_apps if holders.get(a.credit_code, set()) - {a.enterprise_id}}


def is_dispute(app: CertificationApplication) -> bool:
    return app.id in disputed_ids([app])


def latest_for(enterprise) -> CertificationApplication | None:
    return CertificationApplication.objects.filter(enterprise=enterprise).order_by("-id").first()


def submit(*, user, enterprise, data: dict, licence_upload) -> CertificationApplication:
    """A new application, or the resubmission of one that was sent back for more material."""
    clean = validate(data)
    current = latest_for(enterprise)
    if identity_services.is_certified(enterprise):
        raise Conflict("identity.already_certified", "本企业已完成认证，无需重复提交")
    if current is not None and current.status in (S.SUBMITTED, S.PENDING_REVIEW):
        raise Conflict("identity.certification_open", "已有认证申请正在审核中，请耐心等待审核结果")
    resubmitting = current is not None and current.status == S.MORE_INFO
    if licence_upload is None and not resubmitting:
        raise ApiError(
            "identity.certification_invalid",
            "请上传营业执照",
            status=422,
            detail={"fields": {"licence": ["请上传营业执照"]}},
        )
    with transaction.atomic():
        licence = files.save_upload(licence_upload, purpose="licence") if licence_upload is not None else None
        consent = record_consent(user, enterprise.organisation, data["consent_version"])
        holder = identity_services.certified_holder(clean["credit_code"], exclude_id=enterprise.pk)
        if resubmitting:
            app = current
            before = audit.snapshot(app, ["company_name", "credit_code", "legal_rep_name", "town", "licence"])
            for key in ("company_name", "credit_code", "legal_rep_name", "legal_rep_id_number", "town"):
                setattr(app, key, clean[key])
            app.licence = licence or app.licence
            app.consent = consent
            app.is_dispute = holder is not None
            app.save()
            audit.record(
                "identity.certification.resubmit",
                app,
                changes=audit.diff(
                    before, audit.snapshot(app, ["company_name", "credit_code", "legal_rep_name", "town", "licence"])
                ),
            )
            _transition(app, S.PENDING_REVIEW, "企业已补充材料，等待审核")
            return app
        app = CertificationApplication.objects.create(
            enterprise=enterprise,
            organisation=enterprise.organisation,
            town=clean["town"],
            company_name=clean["company_name"],
            credit_code=clean["credit_code"],
            legal_rep_name=clean["legal_rep_name"],
            legal_rep_id_number=clean["legal_rep_id_number"],
            licence=licence,
            consent=consent,
            is_dispute=holder is not None,
            submitted_by=user,
        )
        CertificationEvent.objects.create(
            application=app, to_status=S.SUBMITTED, actor_label=user.display_name, at=timezone.now()
        )
        audit.record(
            "identity.certification.submit",
            app,
            changes=audit.diff(
                {},
                audit.snapshot(app, ["company_name", "credit_code", "legal_rep_name", "legal_rep_id_number", "town"]),
            ),
        )
        identity_services.set_certification_state(enterprise, "pending")
        if holder is not None:
            _transition(app, S.PENDING_REVIEW, DISPUTE_REASON)
    return app


def run_verification(app: CertificationApplication) -> CertificationApplication:
    """Ask the registry (outside any transaction: it is a network call), then move on.

    A match certifies only if nobody else holds the code by then: the holder is looked up again
    under the application's lock, and a competing certification committed in the same instant
    (the database's unique constraint) sends this claim to review as a dispute, not to a 500."""
    if app.status != S.SUBMITTED:
        return app
    outcome = registry.verify(
        credit_code=app.credit_code, company_name=app.company_name, legal_rep_name=app.legal_rep_name
    )
    with transaction.atomic():
        app = CertificationApplication.objects.select_for_update().get(pk=app.pk)
        if app.status != S.SUBMITTED:
            return app
        app.verification = outcome.as_json()
        app.save(update_fields=["verification", "updated_at"])
        if outcome.result == registry.MATCH:
            if identity_services.certified_holder(app.credit_code, exclude_id=app.enterprise_id) is None:
                try:
                    with transaction.atomic():
                        _transition(app, S.APPROVED, outcome.reason)
                    return app
                except IntegrityError:
                    app.status = S.SUBMITTED  # the savepoint rolled the row back; the object follows
            app.is_dispute = True
            app.save(update_fields=["is_dispute", "updated_at"])
            _transition(app, S.PENDING_REVIEW, f"登记机关核验一致，但{DISPUTE_REASON}")
        elif outcome.result == registry.MISMATCH:
            _transition(app, S.REJECTED, f"登记机关核验未通过：{outcome.reason}。请核对后重新提交")
        else:
            _transition(app, S.PENDING_REVIEW, outcome.reason)
    return app


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ApiError("identity.reason_required", "请填写原因，企业将看到该说明", status=422)
    return reason


@transaction.atomic
def approve(app: CertificationApplication, reviewer, *, note: str = "", revoke_other: bool = False):
    app = CertificationApplication.objects.select_for_update().get(pk=app.pk)
    holder = identity_services.certified_holder(app.credit_code, exclude_id=app.enterprise_id)
    if holder is not None:
        if not revoke_other:
            raise RuleViolation(
                "identity.certification_dispute",
                f"该统一社会信用代码已由“{holder.name}”认证。核实争议成立后，请选择“撤销原认证并通过”",
                detail={"holder": holder.name},
            )
        for previous in CertificationApplication.objects.filter(enterprise=holder, status=S.APPROVED):
            _transition(
                previous, S.REVOKED, f"统一社会信用代码经核实属于“{app.company_name}”，原认证撤销", reviewer=reviewer
            )
        identity_services.revoke_certification(holder)
    _transition(app, S.APPROVED, note or "审核通过", reviewer=reviewer)
    return app


@transaction.atomic
def reject(app: CertificationApplication, reviewer, reason: str):
    app = CertificationApplication.objects.select_for_update().get(pk=app.pk)
    _transition(app, S.REJECTED, _reason(reason), reviewer=reviewer)
    return app


@transaction.atomic
def request_more(app: CertificationApplication, reviewer, reason: str):
    app = CertificationApplication.objects.select_for_update().get(pk=app.pk)
    _transition(app, S.MORE_INFO, _reason(reason), reviewer=reviewer)
    return app
