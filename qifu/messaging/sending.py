"""Console-side writes: templates (versioned), event rules, manual sends (immediate, scheduled, bulk).

Send state machine (one table; every transition is a function here or in ``tasks``):

============  ===========================  ==========================================
from          to                           by
============  ===========================  ==========================================
(new)         queued / scheduled           ``create_send``
scheduled     queued… running              ``tasks.run_send`` at the scheduled time
queued        running                      ``tasks.run_send`` (conditional update)
scheduled     cancelled                    ``cancel_send`` (conditional update)
queued        cancelled                    ``cancel_send`` (before a worker picks it up)
running       completed / partial / failed ``tasks.finish`` when no row is open: failed if every
                                           delivery failed, partial if some did
completed…    partial / failed / completed ``tasks.refresh_outcome`` when late SMS receipts
                                           change the picture
============  ===========================  ==========================================
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from qifu.core import audit, jobs, tenancy
from qifu.core.errors import ApiError, Conflict, RuleViolation
from qifu.core.files_models import StoredFile
from qifu.messaging import categories, events, reach
from qifu.messaging.models import EventRule, Send, Template
from qifu.messaging.render import VariableError, check
from qifu.messaging.segments import KINDS as SEGMENT_KINDS
from qifu.messaging.segments import SegmentError, read_list

RUN_SEND = "messaging.run_send"
# SMS goes only by a template the provider approved; WeChat sends a template message when the
# template has the provider's id, else a customer-service text message (客服消息)
PROVIDER_CHANNELS = ("sms",)
MAX_SCHEDULE_AHEAD = timedelta(days=90)
TRANSITIONS = {
    Send.Status.SCHEDULED: {Send.Status.RUNNING, Send.Status.CANCELLED},
    Send.Status.QUEUED: {Send.Status.RUNNING, Send.Status.CANCELLED},
    Send.Status.RUNNING: {Send.Status.COMPLETED, Send.Status.PARTIAL, Send.Status.FAILED},
    # receipts arriving after the end can restate it (a sent SMS the carrier failed)
    Send.Status.COMPLETED: {Send.Status.PARTIAL, Send.Status.FAILED},
    Send.Status.PARTIAL: {Send.Status.COMPLETED, Send.Status.FAILED},
    Send.Status.FAILED: {Send.Status.PARTIAL, Send.Status.COMPLETED},
}


def _bad(code: str, message: str, **detail) -> ApiError:
    return ApiError(f"messaging.{code}", message, status=422, detail=detail or None)


# --- templates -----------------------------------------------------------------------------------


def _check_category(category: str) -> None:
    if not categories.is_known(category):
        known = "、".join(f"{c.label}（{c.code}）" for c in categories.all_categories())
        raise _bad("unknown_category", f"消息类别「{category}」不存在，可选：{known}", category=category)


def _validate_template(
    channel: str, title: str, body: str, variables: list[str], provider_template_id: str, params, category: str
):
    if channel not in events.KNOWN_CHANNELS:
        raise _bad("bad_channel", f"未知渠道 {channel}")
    if category:
        _check_category(category)
    for name in variables:
        if not name.isidentifier():
            raise _bad("bad_variable", f"变量名「{name}」不合法：只能用字母、数字和下划线，且不以数字开头")
    declared = set(variables) | events.RECIPIENT_VARIABLES
    texts = [title, body, *[str(v) for v in (params or {}).values()]]
    for text in texts:
        try:
            used = events.placeholders(text)
        except ValueError as exc:
            raise _bad("bad_placeholder", str(exc)) from None
        undeclared = used - declared
        if undeclared:
            raise _bad(
                "undeclared_variable",
                f"模板使用了未声明的变量 {'、'.join(sorted(undeclared))}，请在变量列表中声明",
                variables=sorted(undeclared),
            )
    if channel in PROVIDER_CHANNELS and not provider_template_id:
        raise _bad("provider_template_required", "短信模板必须填写服务商模板编号（阿里云短信模板 CODE）")


@transaction.atomic
def create_template(
    *,
    code: str,
    name: str,
    channel: str,
    body: str,
    title: str = "",
    category: str = "",
    variables: list[str] | None = None,
    provider_template_id: str = "",
    provider_params: dict | None = None,
) -> Template:
    variables = list(dict.fromkeys(variables or []))
    _validate_template(channel, title, body, variables, provider_template_id, provider_params, category)
    if Template.objects.filter(code=code, channel=channel).exists():
        raise Conflict("messaging.template_exists", f"编码为 {code} 的{_channel_label(channel)}模板已存在，请新建版本")
    template = Template.objects.create(
        code=code,
        name=name,
        channel=channel,
        category=category,
        title=title,
        body=body,
        variables=variables,
        provider_template_id=provider_template_id,
        provider_params=provider_params or {},
        version=1,
        is_current=True,
    )
    audit.record("messaging.template.create", template, changes=audit.diff({}, audit.snapshot(template)))
    return template


@transaction.atomic
def new_template_version(template: Template, **changes) -> Template:
    """Edit = a new current version; sends keep the version they were rendered with."""
    current = Template.objects.select_for_update().get(code=template.code, channel=template.channel, is_current=True)
    fields = {
        "name": current.name,
        "category": current.category,
        "title": current.title,
        "body": current.body,
        "variables": current.variables,
        "provider_template_id": current.provider_template_id,
        "provider_params": current.provider_params,
        "is_active": current.is_active,
    }
    fields.update({k: v for k, v in changes.items() if v is not None})
    fields["variables"] = list(dict.fromkeys(fields["variables"]))
    _validate_template(
        current.channel,
        fields["title"],
        fields["body"],
        fields["variables"],
        fields["provider_template_id"],
        fields["provider_params"],
        fields["category"],
    )
    before = audit.snapshot(current)
    Template.objects.filter(pk=current.pk).update(is_current=False)
    version = Template.objects.create(
        code=current.code, channel=current.channel, version=current.version + 1, is_current=True, **fields
    )
    audit.record("messaging.template.version", version, changes=audit.diff(before, audit.snapshot(version)))
    return version


@transaction.atomic
def set_template_active(template: Template, active: bool) -> Template:
    current = Template.objects.select_for_update().get(code=template.code, channel=template.channel, is_current=True)
    if current.is_active == active:
        return current
    if not active:
        _refuse_if_routed(current)
    current.is_active = active
    current.save(update_fields=["is_active", "updated_at"])
    audit.record(
        "messaging.template.enable" if active else "messaging.template.disable",
        current,
        changes={"is_active": {"before": not active, "after": active}},
    )
    return current


def _refuse_if_routed(template: Template) -> None:
    """A template an event rule names cannot be disabled (Odoo's archive guard on mail servers in use):
    the event would otherwise go out on that channel without it, unnoticed by whoever disabled it.
    The administrator first points the rule at another template (or drops the channel)."""
    rules = [
        rule
        for rule in EventRule.objects.order_by("event")
        if (rule.templates or {}).get(template.channel) == template.code
    ]
    if not rules:
        return
    names = []
    for rule in rules:
        try:
            names.append(f"「{events.get(rule.event).label}」")
        except events.UnknownEvent:  # a rule of an event no longer registered still names it
            names.append(f"「{rule.event}」")
    raise RuleViolation(
        "messaging.template_in_use",
        f"模板「{template.name}」（{template.code}）正被事件推送规则 {'、'.join(names)} 使用，"
        "请先在事件推送规则中改选其他模板或去掉该渠道，再停用",
        detail={"events": [r.event for r in rules]},
    )


def _channel_label(channel: str) -> str:
    from qifu.messaging.models import ChannelKind

    return dict(ChannelKind.choices).get(channel, channel)


# --- event rules ---------------------------------------------------------------------------------


@transaction.atomic
def save_rule(*, event: str, is_enabled: bool, channels: list[str], templates: dict[str, str]) -> EventRule:
    try:
        definition = events.get(event)
    except events.UnknownEvent:
        raise _bad("unknown_event", f"事件 {event} 不存在") from None
    channels = [c for c in dict.fromkeys(channels) if c != "inapp"]
    bad = set(channels) - set(events.KNOWN_CHANNELS)
    if bad:
        raise _bad("bad_channel", f"未知渠道 {'、'.join(sorted(bad))}")
    if definition.essential and not is_enabled:
        raise RuleViolation("messaging.essential_event", "必达事件（验证码、审核结果等）不能停用，只能调整渠道")
    clean_templates = {}
    for channel, code in (templates or {}).items():
        if not code:
            continue
        if channel not in events.KNOWN_CHANNELS:
            raise _bad("bad_channel", f"未知渠道 {channel}")
        # locked: a concurrent set_template_active (which locks the same row, then looks for rules
        # naming it) cannot disable it between this check and the rule's commit
        template = Template.objects.select_for_update().filter(code=code, channel=channel, is_current=True).first()
        if template is None:
            raise _bad("unknown_template", f"{_channel_label(channel)}模板 {code} 不存在")
        if not template.is_active:
            # the event would go out without it (the route uses active templates only)
            raise _bad(
                "inactive_template",
                f"{_channel_label(channel)}模板「{template.name}」（{code}）已停用，请先启用该模板或另选模板",
                channel=channel,
                template=code,
            )
        undeclared = set(template.variables) - set(definition.variables)
        if undeclared:
            raise _bad(
                "template_variables",
                f"模板 {code} 需要变量 {'、'.join(sorted(undeclared))}，但事件「{definition.label}」不提供",
            )
        clean_templates[channel] = code
    for channel in channels:
        if channel in PROVIDER_CHANNELS and channel not in clean_templates:
            raise _bad("template_required", f"{_channel_label(channel)}渠道必须选择已登记服务商模板编号的模板")
    rule = EventRule.objects.select_for_update().filter(event=event).first()
    before = audit.snapshot(rule) if rule else {}
    if rule is None:
        rule = EventRule(event=event)
    rule.is_enabled = is_enabled
    rule.channels = channels
    rule.templates = clean_templates
    rule.save()
    audit.record("messaging.rule.save", rule, changes=audit.diff(before, audit.snapshot(rule)))
    return rule


# --- sends ---------------------------------------------------------------------------------------


@transaction.atomic
def upload_list(upload, *, kind: str) -> tuple[StoredFile, list[str], list[str]]:
    """Store an uploaded list of phones or credit codes and check its rows."""
    from qifu.core import files

    if kind not in ("phones", "credit_codes"):
        raise _bad("bad_list_kind", "名单类型只能是手机号（phones）或统一社会信用代码（credit_codes）")
    stored = files.save_upload(upload, purpose=f"messaging.{kind}", allowed=("xlsx", "csv"))
    from django.core.files.storage import default_storage

    with default_storage.open(stored.storage_name, "rb") as fh:
        raw = fh.read()
    try:
        valid, invalid = read_list(raw, kind)
    except SegmentError as exc:
        raise _bad("list_too_long", str(exc)) from None
    except Exception:  # a damaged workbook: the user must fix the file
        raise _bad("bad_list_file", "名单文件无法读取，请上传第一列为手机号或信用代码的 Excel/CSV 文件") from None
    if not valid:
        raise _bad("empty_list", "名单中没有有效的号码或信用代码（第一列）")
    return stored, valid, invalid


def list_upload(upload_id: int) -> StoredFile:
    """A recipient list the acting user uploaded. Another sender's list (phone numbers, credit codes)
    is theirs alone — it may lie outside this sender's town — so it answers exactly as an id naming
    nothing: nobody can learn by probing ids which lists exist."""
    from qifu.core import requestinfo

    user = requestinfo.acting_user()
    stored = (
        StoredFile.objects.filter(pk=upload_id, purpose__startswith="messaging.", created_by=user).first()
        if user is not None
        else None
    )
    if stored is None:
        raise ApiError("messaging.list_missing", "名单文件不存在，请重新上传", status=422)
    return stored


def _out_of_reach(message: str, **detail) -> ApiError:
    return ApiError("messaging.out_of_scope", message, status=422, detail=detail or None)


def _check_segment(segment: dict, upload: StoredFile | None, sender_reach: dict | None) -> dict:
    """A clean copy of the segment; what the sender picked by name must lie in their reach."""
    from django.contrib.auth import get_user_model

    from qifu.orgs.models import Organisation

    kind = segment.get("kind")
    if kind not in SEGMENT_KINDS:
        raise _bad("bad_segment", "请选择接收人范围")
    clean: dict = {"kind": kind}
    if kind == "users":
        ids = list(dict.fromkeys(int(i) for i in segment.get("user_ids") or []))
        if not ids:
            raise _bad("bad_segment", "请选择接收用户")
        User = get_user_model()
        users = User.objects.filter(tenant=tenancy.current_tenant(), pk__in=ids)
        if users.count() != len(ids):
            raise _bad("bad_segment", "所选用户不存在")
        inside = set(reach.users(users, sender_reach).values_list("pk", flat=True))
        outside = [i for i in ids if i not in inside]
        if outside:
            raise _out_of_reach(f"所选用户中有 {len(outside)} 人不在您的管辖范围内", user_ids=outside[:20])
        clean["user_ids"] = ids
    elif kind == "industry":
        from qifu.orgs.industries import known_codes

        codes = list(dict.fromkeys(str(c).strip().upper() for c in segment.get("codes") or [] if str(c).strip()))
        if not codes:
            raise _bad("bad_segment", "请选择行业")
        # an unknown code matches no enterprise: the send would run and reach nobody
        known = known_codes(set(codes))
        unknown = [c for c in codes if c not in known]
        if unknown:
            shown = "、".join(f"“{c}”" for c in unknown[:5]) + (f"等 {len(unknown)} 个" if len(unknown) > 5 else "")
            raise _bad(
                "unknown_industry",
                f"行业代码{shown}不在平台的国民经济行业分类表（GB/T 4754-2017）中，"
                "请填写门类字母（如 C）或大类代码（如 39）",
                codes=unknown,
            )
        clean["codes"] = codes
    elif kind == "town":
        ids = list(dict.fromkeys(int(i) for i in segment.get("town_ids") or []))
        if not ids:
            raise _bad("bad_segment", "请选择镇街")
        towns = list(Organisation.objects.filter(pk__in=ids, kind=Organisation.Kind.TOWN))
        if len(towns) != len(ids):
            raise _bad("bad_segment", "所选镇街不存在")
        outside = [t for t in towns if not reach.contains(sender_reach, t)]
        if outside:
            raise _out_of_reach(
                f"镇街「{'、'.join(t.name for t in outside)}」不在您的管辖范围内", town_ids=[t.pk for t in outside]
            )
        clean["town_ids"] = ids
    elif kind == "role":
        from qifu.access.models import Role

        role = str(segment.get("role") or "")
        if not Role.objects.filter(code=role).exists():
            raise _bad("bad_segment", "角色不存在")
        clean["role"] = role
    elif kind in ("phones", "credit_codes"):
        if upload is None or upload.purpose != f"messaging.{kind}":
            raise _bad("list_required", "请先上传名单文件（第一列为手机号或统一社会信用代码）")
    return clean


@transaction.atomic
def create_send(
    *,
    title: str,
    channels: list[str],
    segment: dict,
    template_code: str = "",
    text: str = "",
    variables: dict | None = None,
    link: str = "",
    category: str = "notice",
    scheduled_at=None,
    upload: StoredFile | None = None,
    upload_id: int | None = None,
    organisation=None,
    reach: dict | None = None,
) -> Send:
    """A manual send. ``organisation`` is the sender's (who sees the send and its logs);
    ``reach`` the sender's data scope for sending (``qifu.messaging.reach``; None = the tenant).
    ``upload_id`` names a list the acting user uploaded (``list_upload``)."""
    if upload_id is not None:
        upload = list_upload(upload_id)
    channels = list(dict.fromkeys(channels))
    if not channels:
        raise _bad("no_channel", "请至少选择一个发送渠道")
    bad = set(channels) - set(events.KNOWN_CHANNELS)
    if bad:
        raise _bad("bad_channel", f"未知渠道 {'、'.join(sorted(bad))}")
    variables = {str(k): "" if v is None else str(v) for k, v in (variables or {}).items()}
    templates: dict[str, int] = {}
    texts: dict[str, str] = {}
    if template_code:
        declared: set[str] | None = None
        for channel in channels:
            template = Template.objects.filter(code=template_code, channel=channel, is_current=True).first()
            if template is None or not template.is_active:
                raise _bad(
                    "template_missing",
                    f"模板 {template_code} 没有可用的{_channel_label(channel)}版本，请先维护模板或去掉该渠道",
                )
            templates[channel] = template.pk
            declared = (declared or set()) | set(template.variables)
        try:
            check(declared or set(), variables, what=f"模板 {template_code}")
        except VariableError as exc:
            raise _bad("variables", str(exc), missing=exc.missing, extra=exc.extra) from None
        category = Template.objects.get(pk=templates[channels[0]]).category or category
    else:
        if not text.strip():
            raise _bad("no_content", "请选择模板或填写消息内容")
        provider = set(channels) & set(PROVIDER_CHANNELS)
        if provider:
            raise _bad("template_required", "短信只能按服务商审核过的模板发送，请选择模板")
        try:
            used = events.placeholders(text)
        except ValueError as exc:
            raise _bad("bad_placeholder", str(exc)) from None
        try:
            check(used - events.RECIPIENT_VARIABLES, variables, what="消息内容")
        except VariableError as exc:
            raise _bad("variables", str(exc), missing=exc.missing, extra=exc.extra) from None
        texts = {channel: text for channel in channels}
    category = category or categories.NOTICE
    _check_category(category)
    essential = categories.get(category).essential
    if essential and not template_code:
        # essential categories ignore opt-outs: a sender cannot pick one for free text; only a
        # template the administrator filed under it (e.g. a loan decision) carries it
        raise _bad(
            "essential_send",
            f"「{categories.label(category)}」是必达类别（不能退订），自定义内容不能选用；请选择其他类别或使用该类别的模板",
            category=category,
        )
    if link and not _safe_link(link):
        raise _bad("bad_link", "链接必须是站内路径（以 / 开头）或 http(s):// 网址")
    now = timezone.now()
    if scheduled_at is not None:
        if scheduled_at <= now + timedelta(seconds=30):
            raise _bad("schedule_past", "计划发送时间必须晚于当前时间至少 1 分钟")
        if scheduled_at > now + MAX_SCHEDULE_AHEAD:
            raise _bad("schedule_far", "计划发送时间不能超过 90 天")
    sender_reach = reach
    clean_segment = _check_segment(segment or {}, upload, sender_reach)
    send = Send.objects.create(
        kind=Send.Kind.MANUAL,
        status=Send.Status.SCHEDULED if scheduled_at else Send.Status.QUEUED,
        title=title,
        category=category,
        essential=essential,
        channels=channels,
        template_code=template_code,
        templates=templates,
        texts=texts,
        variables=variables,
        link=link,
        segment=clean_segment,
        upload=upload if clean_segment["kind"] in ("phones", "credit_codes") else None,
        scheduled_at=scheduled_at,
        organisation=organisation,
        reach=sender_reach,
        wake_at=scheduled_at,  # the one pending run (see qifu.messaging.tasks)
    )
    audit.record("messaging.send.create", send, changes=audit.diff({}, audit.snapshot(send)))
    tenant = tenancy.current_tenant()
    if scheduled_at:
        wake = scheduled_at.isoformat()
        transaction.on_commit(lambda: jobs.enqueue(RUN_SEND, tenant, eta=scheduled_at, send_id=send.pk, wake=wake))
    else:
        transaction.on_commit(lambda: jobs.enqueue(RUN_SEND, tenant, send_id=send.pk))
    return send


def _safe_link(link: str) -> bool:
    """Only same-site paths and web addresses: a javascript: link would run in the reader's session."""
    from urllib.parse import urlsplit

    if link.startswith("/") and not link.startswith("//"):
        return True
    parts = urlsplit(link)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@transaction.atomic
def cancel_send(send: Send) -> Send:
    """Cancel a send that has not started; the conditional update loses cleanly to a starting worker."""
    if Send.Status.CANCELLED not in TRANSITIONS.get(send.status, set()):
        raise RuleViolation(
            "messaging.cannot_cancel",
            f"发送「{send.title}」当前状态为{send.get_status_display()}，只有未开始的发送可以取消",
        )
    before = send.status
    now = timezone.now()
    changed = Send.objects.filter(pk=send.pk, status=before).update(status=Send.Status.CANCELLED, cancelled_at=now)
    send.refresh_from_db()
    if not changed:
        raise RuleViolation("messaging.cannot_cancel", "发送已经开始，不能再取消")
    audit.record("messaging.send.cancel", send, changes={"status": {"before": before, "after": send.status}})
    return send
