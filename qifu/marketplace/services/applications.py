"""The application (服务订单) state machine: one service function per transition of
``transitions.APPLICATION_TRANSITIONS``. Each locks the row, checks the table, writes
the timeline and the audit entry, and notifies the other sides (after commit)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from qifu.content import services as content_services
from qifu.core import audit, requestinfo, statemachine
from qifu.core.errors import ApiError, Conflict, RuleViolation
from qifu.core.files_models import StoredFile
from qifu.marketplace import events, forms
from qifu.marketplace.models import Application, ApplicationEvent, ApplicationFile, InstitutionStats, Product
from qifu.marketplace.services import subsidies
from qifu.marketplace.services.common import enterprise_people, institution_people, new_number, notify
from qifu.marketplace.transitions import ENTERPRISE, GOVERNMENT, INSTITUTION, SYSTEM, transition

S = Application.Status
OPEN_STATES = (S.SUBMITTED, S.ACCEPTED, S.IN_SERVICE, S.COMPLETED)
MATERIAL_PURPOSE = "marketplace-material"
EVIDENCE_PURPOSE = "marketplace-evidence"
MAX_EVIDENCE = 20
logger = logging.getLogger(__name__)


_actor = requestinfo.acting_user


def _context(app: Application, **extra) -> dict[str, Any]:
    return {
        "number": app.number,
        "product": app.product_name,
        "enterprise": app.enterprise.name,
        "institution": app.institution.name,
        "reason": app.reason,
        **extra,
    }


def _lock(app: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("product", "enterprise", "institution")
        .get(pk=app.pk)
    )


def _move(app: Application, action: str, side: str, *, note: str = "", **fields) -> Application:
    """Check the transition table, change the state, record timeline and audit."""
    t = transition(action, side)
    return statemachine.apply(
        app,
        action=action,
        label=t.label,
        sources=t.sources,
        target=t.target,
        error_code="marketplace.application_state",
        audit_action=f"marketplace.application.{action}",
        event_model=ApplicationEvent,
        event_fields={"application": app, "side": side},
        note=note,
        **fields,
    )


def _progress(app: Application, recipients) -> None:
    notify(events.APPLICATION_PROGRESS, recipients, _context(app, status=app.get_status_display()))


@transaction.atomic
def upload_material(upload) -> StoredFile:
    """Store an application material before applying; remembers the uploader so only they can attach it."""
    from qifu.core import files

    return files.save_upload(upload, purpose=MATERIAL_PURPOSE)  # records the uploader as created_by


# -- enterprise: apply ---------------------------------------------------------------------
@transaction.atomic
def apply(*, enterprise, product: Product, data: dict[str, Any]) -> Application:
    if enterprise.certification != "certified":
        raise RuleViolation("marketplace.enterprise_not_certified", "企业认证通过后才能申请服务产品，请先完成企业认证")
    # Lock the product so two simultaneous submits of the same enterprise cannot both pass the duplicate check.
    product = (
        Product.objects.select_for_update(of=("self",)).select_related("institution", "category").get(pk=product.pk)
    )
    if product.status != Product.Status.LISTED:
        raise RuleViolation("marketplace.product_unavailable", "该产品已下架或未上架，暂不能申请")
    if Application.objects.filter(enterprise=enterprise, product=product, status__in=OPEN_STATES).exists():
        raise Conflict("marketplace.application_duplicate", "本企业已有该产品进行中的申请，请在“我的申请”中查看进度")
    form_data = forms.clean_submission(product.form_fields, data.get("form_data") or {})
    materials = _clean_materials(product, data.get("materials") or [])
    now = timezone.now()
    app = Application.objects.create(
        number=new_number("FW"),
        product=product,
        institution=product.institution,
        enterprise=enterprise,
        product_name=product.name,
        price=product.price,
        contact_name=data["contact_name"].strip(),
        contact_phone=data["contact_phone"].strip(),
        note=(data.get("note") or "").strip(),
        form_data=form_data,
        accept_deadline=now + dt.timedelta(days=product.accept_days),
    )
    for label, stored in materials:
        ApplicationFile.objects.create(application=app, kind=ApplicationFile.Kind.MATERIAL, label=label, file=stored)
    Product.objects.filter(pk=product.pk).update(application_count=F("application_count") + 1)
    ApplicationEvent.objects.create(
        application=app, action="submit", side=ENTERPRISE, to_status=app.status, actor=_actor()
    )
    audit.record("marketplace.application.submit", app, changes=audit.diff({}, audit.snapshot(app)))
    deadline = timezone.localtime(app.accept_deadline).strftime("%Y-%m-%d %H:%M")
    notify(events.APPLICATION_SUBMITTED, institution_people(app.institution), _context(app, deadline=deadline))
    # The portal's anonymised "latest activity" line, written in the same transaction as the application.
    content_services.record_activity("service", enterprise.name, "申请了", product.name)
    return app


def _clean_materials(product: Product, materials: list[dict[str, Any]]) -> list[tuple[str, StoredFile]]:
    """Files the applicant uploaded beforehand; each must be theirs, unused, and every required item covered."""
    user = _actor()
    result = []
    ids = [item.get("file_id") for item in materials]
    if len(ids) != len(set(ids)):
        raise ApiError("marketplace.material_repeated", "同一个文件不能重复提交，请为每项材料分别上传", status=422)
    for item in materials:
        stored = StoredFile.objects.filter(pk=item.get("file_id"), purpose=MATERIAL_PURPOSE, created_by=user).first()
        if stored is None:
            raise ApiError("marketplace.material_missing", "申请材料文件不存在，请重新上传", status=422)
        if ApplicationFile.objects.filter(file=stored).exists():
            raise Conflict("marketplace.material_used", f"文件「{stored.original_name}」已用于其他申请，请重新上传")
        result.append((str(item.get("label") or "")[:100], stored))
    given = {label for label, _ in result}
    missing = [m for m in product.required_materials if m not in given]
    if missing:
        raise ApiError(
            "marketplace.material_required",
            f"请上传所需材料：{'、'.join(missing)}",
            status=422,
            detail={"missing": missing},
        )
    return result


# -- institution -------------------------------------------------------------------------------
@transaction.atomic
def accept(app: Application, *, note: str = "") -> Application:
    app = _lock(app)
    if app.status != S.SUBMITTED:
        return _move(app, "accept", INSTITUTION)  # raises the state error before anything is reserved
    subsidy_note = subsidies.reserve(app)
    _move(app, "accept", INSTITUTION, note="；".join(n for n in (note, subsidy_note) if n), accepted_at=timezone.now())
    _progress(app, enterprise_people(app.enterprise))
    return app


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApiError("marketplace.reason_required", f"{what}时请填写原因", status=422)
    return reason[:300]


@transaction.atomic
def decline(app: Application, *, reason: str) -> Application:
    reason = _reason(reason, "拒绝受理")
    app = _lock(app)
    _move(app, "decline", INSTITUTION, note=reason, reason=reason)
    _progress(app, enterprise_people(app.enterprise))
    return app


@transaction.atomic
def start(app: Application, *, note: str = "") -> Application:
    app = _lock(app)
    _move(app, "start", INSTITUTION, note=note)
    _progress(app, enterprise_people(app.enterprise))
    return app


def upload_evidence(app: Application, upload, *, label: str = "") -> ApplicationFile:
    """Attach a service-evidence file: the state and the limit are checked (on the locked row)
    before anything is stored, so a refused upload leaves nothing behind. If anything fails
    after the bytes are written, the transaction rolls back and the bytes are deleted."""
    from django.core.files.storage import default_storage

    from qifu.core import files

    written: list[str] = []
    try:
        with transaction.atomic():
            app = _lock(app)
            if app.status not in (S.IN_SERVICE, S.ACCEPTED):
                raise RuleViolation("marketplace.application_state", "只有受理后、完成前可以上传服务证明材料")
            if app.files.filter(kind=ApplicationFile.Kind.EVIDENCE).count() >= MAX_EVIDENCE:
                raise RuleViolation(
                    "marketplace.evidence_too_many", f"服务证明材料最多 {MAX_EVIDENCE} 份，请删除不需要的后再上传"
                )
            stored = files.save_upload(upload, purpose=EVIDENCE_PURPOSE)
            written.append(stored.storage_name)
            item = ApplicationFile.objects.create(
                application=app,
                kind=ApplicationFile.Kind.EVIDENCE,
                label=(label or stored.original_name)[:100],
                file=stored,
            )
            audit.record(
                "marketplace.application.evidence",
                app,
                changes={"file": {"after": stored.original_name}, "label": {"after": item.label}},
            )
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    return item


@transaction.atomic
def remove_evidence(app: Application, item: ApplicationFile) -> None:
    app = _lock(app)
    if app.status not in (S.IN_SERVICE, S.ACCEPTED) or item.application_id != app.pk or item.kind != "evidence":
        raise RuleViolation("marketplace.application_state", "服务已提交完成，证明材料不能再删除")
    audit.record("marketplace.application.evidence_remove", app, changes={"file": {"before": item.label}})
    item.delete()


@transaction.atomic
def complete(app: Application, *, note: str = "") -> Application:
    app = _lock(app)
    if app.status == S.IN_SERVICE and not app.files.filter(kind=ApplicationFile.Kind.EVIDENCE).exists():
        raise RuleViolation("marketplace.evidence_required", "请先上传服务证明材料（如服务报告、签收单），再提交完成")
    _move(app, "complete", INSTITUTION, note=note, completed_at=timezone.now())
    _progress(app, enterprise_people(app.enterprise))
    return app


# -- enterprise -------------------------------------------------------------------------------
@transaction.atomic
def confirm(app: Application, *, note: str = "") -> Application:
    app = _lock(app)
    _move(app, "confirm", ENTERPRISE, note=note, confirmed_at=timezone.now())
    InstitutionStats.objects.get_or_create(institution=app.institution)
    InstitutionStats.objects.filter(institution=app.institution).update(completed_count=F("completed_count") + 1)
    _progress(app, institution_people(app.institution))
    return app


@transaction.atomic
def reopen(app: Application, *, reason: str) -> Application:
    reason = _reason(reason, "退回服务")
    app = _lock(app)
    _move(app, "reopen", ENTERPRISE, note=reason, reason=reason, completed_at=None)
    _progress(app, institution_people(app.institution))
    return app


@transaction.atomic
def cancel(app: Application, *, side: str, reason: str) -> Application:
    reason = _reason(reason, "取消")
    app = _lock(app)
    t = transition("cancel", side)
    if app.status not in t.sources:
        allowed = "、".join(Application.Status(s).label for s in t.sources)
        raise RuleViolation(
            "marketplace.cancel_not_allowed",
            f"申请当前为「{app.get_status_display()}」，{'企业' if side == ENTERPRISE else '机构'}只能在{allowed}时取消",
        )
    subsidies.release(app)
    _move(app, "cancel", side, note=reason, reason=reason)
    other = institution_people(app.institution) if side == ENTERPRISE else enterprise_people(app.enterprise)
    _progress(app, other)
    return app


# -- government -------------------------------------------------------------------------------
@transaction.atomic
def verify_subsidy(app: Application, *, note: str = "") -> Application:
    app = _lock(app)
    if app.status == S.RATED and app.subsidy_status != Application.Subsidy.RESERVED:
        raise RuleViolation("marketplace.subsidy_state", "该申请没有待核销的补贴预留")
    if app.status != S.RATED:
        return _move(app, "verify_subsidy", GOVERNMENT)  # raises the state error
    subsidies.consume(app)
    _move(app, "verify_subsidy", GOVERNMENT, note=note, verified_by=_actor(), verified_at=timezone.now())
    notify(
        events.SUBSIDY_RESULT,
        enterprise_people(app.enterprise) + institution_people(app.institution),
        _context(app, amount=str(app.subsidy_amount), status="已核销", reason=note),
    )
    return app


@transaction.atomic
def refuse_subsidy(app: Application, *, reason: str) -> Application:
    reason = _reason(reason, "不予核销")
    app = _lock(app)
    if app.status == S.RATED and app.subsidy_status != Application.Subsidy.RESERVED:
        raise RuleViolation("marketplace.subsidy_state", "该申请没有待核销的补贴预留")
    if app.status != S.RATED:
        return _move(app, "refuse_subsidy", GOVERNMENT)
    amount = app.subsidy_amount
    subsidies.release(app)
    _move(
        app,
        "refuse_subsidy",
        GOVERNMENT,
        note=reason,
        reason=reason,
        subsidy_status=Application.Subsidy.REFUSED,
        verified_by=_actor(),
        verified_at=timezone.now(),
    )
    notify(
        events.SUBSIDY_RESULT,
        enterprise_people(app.enterprise) + institution_people(app.institution),
        _context(app, amount=str(amount), status="未通过核销"),
    )
    return app


# -- system (jobs) ----------------------------------------------------------------------------
REMINDER_PARAMETER = "marketplace.accept_reminder_hours"
DEFAULT_REMINDER_HOURS = (24, 2)
MAX_REMINDER_HOURS = 720  # a product's acceptance time limit is at most 30 days


def reminder_hours() -> tuple[int, ...]:
    """Hours before the acceptance deadline at which the institution is reminded, largest first.

    The tenant's system parameter ``marketplace.accept_reminder_hours`` (a JSON list such as
    ``[24, 2]``); entries that are not whole hours from 1 to 720 are ignored, and without a usable
    entry the default (24 h and 2 h) applies.
    """
    from qifu.access import selectors as access_selectors

    value = access_selectors.parameter(REMINDER_PARAMETER)
    if value is None:
        return DEFAULT_REMINDER_HOURS
    hours = {
        h
        for h in (value if isinstance(value, list) else [])
        if isinstance(h, int) and not isinstance(h, bool) and 1 <= h <= MAX_REMINDER_HOURS
    }
    if not hours:
        logger.warning(
            "system parameter %s=%r has no usable hours; using %s", REMINDER_PARAMETER, value, DEFAULT_REMINDER_HOURS
        )
        return DEFAULT_REMINDER_HOURS
    return tuple(sorted(hours, reverse=True))


def _reminder_stage(remaining: dt.timedelta, hours: tuple[int, ...]) -> int | None:
    """The tightest reminder whose time has come (None: none yet)."""
    passed = [h for h in hours if remaining <= dt.timedelta(hours=h)]
    return min(passed) if passed else None


def _not_reminded_at(stage: int) -> Q:
    return Q(reminded_hours__isnull=True) | Q(reminded_hours__gt=stage)


def remind_due(now: dt.datetime | None = None) -> int:
    """Remind institutions of unaccepted applications at each configured hour before the deadline.

    Each reminder goes once: ``reminded_hours`` only moves down, through a conditional UPDATE
    that one run wins, so a job run twice (or two workers at once) sends it once. A run that
    comes late sends only the nearest reminder, not every one it missed.
    """
    now = now or timezone.now()
    hours = reminder_hours()
    due = (
        Application.objects.filter(
            status=S.SUBMITTED, accept_deadline__gt=now, accept_deadline__lte=now + dt.timedelta(hours=hours[0])
        )
        .filter(_not_reminded_at(hours[-1]))
        .select_related("institution", "enterprise")
    )
    count = 0
    for app in due:
        stage = _reminder_stage(app.accept_deadline - now, hours)
        if stage is None:
            continue
        with transaction.atomic():
            claimed = (
                Application.objects.filter(pk=app.pk, status=S.SUBMITTED)
                .filter(_not_reminded_at(stage))
                .update(reminded_hours=stage, reminded_at=now)
            )
            if not claimed:
                continue  # this reminder was sent already (or by another worker just now)
            deadline = timezone.localtime(app.accept_deadline).strftime("%Y-%m-%d %H:%M")
            ApplicationEvent.objects.create(
                application=app,
                action="remind",
                side=SYSTEM,
                from_status=app.status,
                to_status=app.status,
                note=f"已提醒机构于 {deadline} 前受理（截止前 {stage} 小时）",
            )
            audit.record("marketplace.application.remind", app, changes={"reminded_hours": {"after": stage}})
            notify(events.APPLICATION_REMINDER, institution_people(app.institution), _context(app, deadline=deadline))
            count += 1
    return count


def expire_overdue(now: dt.datetime | None = None) -> int:
    """Close applications nobody accepted before the deadline, and tell the enterprise."""
    now = now or timezone.now()
    count = 0
    for app in Application.objects.filter(status=S.SUBMITTED, accept_deadline__lte=now).select_related(
        "enterprise", "institution"
    ):
        with transaction.atomic():
            app = _lock(app)
            if app.status != S.SUBMITTED:
                continue
            _move(app, "expire", SYSTEM, note="受理时限已过，申请自动关闭", reason="机构未在受理时限内受理")
            _progress(app, enterprise_people(app.enterprise))
            count += 1
    return count
