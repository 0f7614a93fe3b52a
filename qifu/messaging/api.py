from __future__ import annotations

from typing import Literal

from django.db.models import Count, Q
from django.http import HttpResponse
from ninja import File, Form, Query, Status
from ninja.files import UploadedFile

from qifu.core import fieldrules
from qifu.core.pagination import Page, PageQuery, paginate
from qifu.core.permissions import AUTHENTICATED, PUBLIC
from qifu.core.routers import QifuRouter
from qifu.messaging import categories, events, inbox, reach, sending, wechat_events
from qifu.messaging.models import Delivery, EventRule, Message, PushAttempt, Send, Template
from qifu.messaging.permissions import (
    DELIVERY_VIEW,
    RULE_MANAGE,
    RULE_VIEW,
    SEND_CANCEL,
    SEND_CREATE,
    SEND_VIEW,
    TEMPLATE_MANAGE,
    TEMPLATE_VIEW,
)
from qifu.messaging.schemas import (
    MsgCategoryOut,
    MsgCountOut,
    MsgDeliveryFilter,
    MsgDeliveryOut,
    MsgEventOut,
    MsgListUploadOut,
    MsgMessageFilter,
    MsgMessageOut,
    MsgPreferenceOut,
    MsgPreferencesIn,
    MsgPushFilter,
    MsgPushOut,
    MsgReadAllIn,
    MsgRuleIn,
    MsgSendDetailOut,
    MsgSendFilter,
    MsgSendIn,
    MsgSendOut,
    MsgTemplateActiveIn,
    MsgTemplateFilter,
    MsgTemplateIn,
    MsgTemplateOut,
    MsgTemplateVersionIn,
    MsgUnreadOut,
    MsgWechatQuery,
)

PREFIX = "/messaging"
router = QifuRouter(tag="messaging")


# --- message centre (every signed-in user, own messages only) -------------------------------------


def _my_message(request, message_id: int) -> Message:
    return request.ctx.get_or_404(inbox.messages_of(request.ctx.user), pk=message_id)


@router.get("/inbox", permission=AUTHENTICATED, response=Page[MsgMessageOut], summary="我的消息")
def list_messages(request, page: Query[PageQuery], filters: Query[MsgMessageFilter]):
    qs = inbox.messages_of(request.ctx.user)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.is_read is not None:
        qs = qs.filter(is_read=filters.is_read)
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(body__icontains=filters.q))
    return paginate(qs.order_by("-id"), page)


@router.get("/inbox/unread", permission=AUTHENTICATED, response=MsgUnreadOut, summary="未读消息数")
def unread(request):
    return inbox.unread_counts(request.ctx.user)


@router.post("/inbox/read-all", permission=AUTHENTICATED, response=MsgCountOut, summary="全部标为已读")
def read_all(request, payload: MsgReadAllIn):
    return {"count": inbox.mark_all_read(request.ctx.user, category=payload.category)}


@router.get(
    "/inbox/{message_id}",
    permission=AUTHENTICATED,
    object="messaging.message",
    response=MsgMessageOut,
    summary="消息详情",
)
def get_message(request, message_id: int):
    return _my_message(request, message_id)


@router.post(
    "/inbox/{message_id}/read",
    permission=AUTHENTICATED,
    object="messaging.message",
    response=MsgMessageOut,
    summary="标为已读",
)
def read_message(request, message_id: int):
    return inbox.mark_read(_my_message(request, message_id))


@router.delete(
    "/inbox/{message_id}",
    permission=AUTHENTICATED,
    object="messaging.message",
    response={204: None},
    summary="删除消息",
)
def delete_message(request, message_id: int):
    inbox.delete_message(_my_message(request, message_id))
    return Status(204, None)


@router.get("/categories", permission=AUTHENTICATED, response=list[MsgCategoryOut], summary="消息类别")
def list_categories(request):
    essential = inbox.essential_categories()
    return [
        {"code": c.code, "label": c.label, "essential": c.essential or c.code in essential}
        for c in categories.all_categories()
    ]


@router.get("/preferences", permission=AUTHENTICATED, response=list[MsgPreferenceOut], summary="我的消息订阅设置")
def get_preferences(request):
    return inbox.preferences(request.ctx.user)


@router.put("/preferences", permission=AUTHENTICATED, response=list[MsgPreferenceOut], summary="修改消息订阅（退订）")
def put_preferences(request, payload: MsgPreferencesIn):
    return inbox.set_opt_outs(request.ctx.user, [c.dict() for c in payload.changes])


# --- templates ------------------------------------------------------------------------------------


@router.get("/templates", permission=TEMPLATE_VIEW, response=Page[MsgTemplateOut], summary="消息模板列表")
def list_templates(request, page: Query[PageQuery], filters: Query[MsgTemplateFilter]):
    qs = Template.objects.all()
    if not filters.include_history:
        qs = qs.filter(is_current=True)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.q:
        qs = qs.filter(Q(code__icontains=filters.q) | Q(name__icontains=filters.q))
    return paginate(request.ctx.scoped(qs.order_by("code", "channel", "-version")), page)


@router.post("/templates", permission=TEMPLATE_MANAGE, response={201: MsgTemplateOut}, summary="新建消息模板")
def create_template(request, payload: MsgTemplateIn):
    return Status(201, sending.create_template(**payload.dict()))


@router.get(
    "/templates/{template_id}",
    permission=TEMPLATE_VIEW,
    object="messaging.template",
    response=MsgTemplateOut,
    summary="模板详情",
)
def get_template(request, template_id: int):
    return request.ctx.get_or_404(Template.objects.all(), pk=template_id)


@router.get(
    "/templates/{template_id}/versions",
    permission=TEMPLATE_VIEW,
    object="messaging.template",
    response=list[MsgTemplateOut],
    summary="模板历史版本",
)
def template_versions(request, template_id: int):
    template = request.ctx.get_or_404(Template.objects.all(), pk=template_id)
    return list(
        request.ctx.scoped(Template.objects.filter(code=template.code, channel=template.channel)).order_by("-version")
    )


@router.post(
    "/templates/{template_id}/versions",
    permission=TEMPLATE_MANAGE,
    object="messaging.template",
    response={201: MsgTemplateOut},
    summary="修改模板（生成新版本）",
)
def new_version(request, template_id: int, payload: MsgTemplateVersionIn):
    template = request.ctx.get_or_404(Template.objects.all(), pk=template_id)
    return Status(201, sending.new_template_version(template, **payload.dict()))


@router.post(
    "/templates/{template_id}/active",
    permission=TEMPLATE_MANAGE,
    object="messaging.template",
    response=MsgTemplateOut,
    summary="启用或停用模板",
)
def template_active(request, template_id: int, payload: MsgTemplateActiveIn):
    template = request.ctx.get_or_404(Template.objects.all(), pk=template_id)
    return sending.set_template_active(template, payload.is_active)


# --- events and rules -----------------------------------------------------------------------------


def _event_out(event: events.Event, rule: EventRule | None) -> dict:
    return {
        "code": event.code,
        "label": event.label,
        "capability": event.capability,
        "category": event.category,
        "essential": event.essential,
        "variables": list(event.variables),
        "default_text": event.default_text,
        "default_channels": ["inapp", *event.channels],
        "rule_enabled": rule.is_enabled if rule else None,
        "rule_channels": list(rule.channels) if rule else [],
        "rule_templates": dict(rule.templates) if rule else {},
    }


@router.get("/events", permission=RULE_VIEW, response=list[MsgEventOut], summary="消息事件与推送规则")
def list_events(request):
    rules = {r.event: r for r in request.ctx.scoped(EventRule.objects.all())}
    return [_event_out(e, rules.get(e.code)) for e in events.all_events() if not e.code.startswith("messaging.test.")]


@router.put("/rules", permission=RULE_MANAGE, response=MsgEventOut, summary="保存事件推送规则")
def save_rule(request, payload: MsgRuleIn):
    rule = sending.save_rule(**payload.dict())
    return _event_out(events.get(rule.event), rule)


# --- sends ----------------------------------------------------------------------------------------


@router.get("/sends", permission=SEND_VIEW, response=Page[MsgSendOut], summary="消息发送列表")
def list_sends(request, page: Query[PageQuery], filters: Query[MsgSendFilter]):
    qs = Send.objects.all()
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        qs = qs.filter(title__icontains=filters.q)
    return paginate(request.ctx.scoped(qs.order_by("-id")), page)


@router.post("/sends/lists", permission=SEND_CREATE, response={201: MsgListUploadOut}, summary="上传接收人名单")
def upload_list(request, kind: Form[Literal["phones", "credit_codes"]], file: File[UploadedFile]):
    stored, valid, invalid = sending.upload_list(file, kind=kind)
    return Status(
        201,
        {
            "upload_id": stored.pk,
            "kind": kind,
            "valid": len(valid),
            "invalid": len(invalid),
            "invalid_samples": invalid[:20],
        },
    )


@router.post(
    "/sends", permission=SEND_CREATE, response={201: MsgSendDetailOut}, summary="新建消息发送（立即/定时/群发）"
)
def create_send(request, payload: MsgSendIn):
    send = sending.create_send(
        title=payload.title,
        channels=list(payload.channels),
        segment=payload.segment.dict(),
        template_code=payload.template_code,
        text=payload.text,
        variables=payload.variables,
        link=payload.link,
        category=payload.category,
        scheduled_at=payload.scheduled_at,
        upload_id=payload.upload_id,
        organisation=request.ctx.organisation,
        reach=reach.of(request.ctx, SEND_CREATE),
    )
    send.refresh_from_db()
    return Status(201, _send_detail(send, request.ctx))


def _send_detail(send: Send, ctx) -> dict:
    """Read through ``ctx``'s field rules: the dict built here carries no model for the router to rule."""
    counts = dict(
        Delivery.objects.filter(send=send).values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    shown = fieldrules.wrap(send, ctx)
    data = MsgSendOut.from_orm(shown).dict()
    data.update(variables=shown.variables, link=shown.link, error=shown.error, counts=counts)
    return data


@router.get(
    "/sends/{send_id}", permission=SEND_VIEW, object="messaging.send", response=MsgSendDetailOut, summary="消息发送详情"
)
def get_send(request, send_id: int):
    return _send_detail(request.ctx.get_or_404(Send.objects.all(), pk=send_id), request.ctx)


@router.post(
    "/sends/{send_id}/cancel",
    permission=SEND_CANCEL,
    object="messaging.send",
    response=MsgSendDetailOut,
    summary="取消定时发送",
)
def cancel_send(request, send_id: int):
    send = sending.cancel_send(request.ctx.get_or_404(Send.objects.all(), pk=send_id))
    return _send_detail(send, request.ctx)


# --- delivery log and push log --------------------------------------------------------------------


@router.get("/deliveries", permission=DELIVERY_VIEW, response=Page[MsgDeliveryOut], summary="投递日志")
def list_deliveries(request, page: Query[PageQuery], filters: Query[MsgDeliveryFilter]):
    qs = Delivery.objects.select_related("send", "user")
    if filters.send_id:
        qs = qs.filter(send_id=filters.send_id)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.q:
        # the whole address only: a partial number would let one probe who is in the log
        qs = qs.filter(address=filters.q.strip())
    return paginate(request.ctx.scoped(qs.order_by("-id")), page)


@router.get("/pushes", permission=DELIVERY_VIEW, response=Page[MsgPushOut], summary="推送日志")
def list_pushes(request, page: Query[PageQuery], filters: Query[MsgPushFilter]):
    qs = PushAttempt.objects.all()
    if filters.send_id:
        qs = qs.filter(send_id=filters.send_id)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.ok is not None:
        qs = qs.filter(ok=filters.ok)
    if filters.provider:
        qs = qs.filter(provider=filters.provider)
    return paginate(request.ctx.scoped(qs.order_by("-id")), page)


# --- WeChat official account server URL (服务器配置): signed by WeChat, no session ---------------------


@router.get("/wechat/events", permission=PUBLIC, response={200: None}, summary="微信公众号服务器地址校验")
def wechat_handshake(request, query: Query[MsgWechatQuery]):
    wechat_events.verify(query.signature, query.timestamp, query.nonce)
    return HttpResponse(query.echostr, content_type="text/plain; charset=utf-8")


@router.post(
    "/wechat/events",
    permission=PUBLIC,
    csrf=False,
    response={200: None},
    summary="微信公众号消息推送（模板消息送达回执）",
)
def wechat_push(request, query: Query[MsgWechatQuery]):
    wechat_events.check_size(request)
    body = request.body
    wechat_events.verify(query.signature, query.timestamp, query.nonce, body)
    wechat_events.receive(wechat_events.parse(body))
    return HttpResponse("success", content_type="text/plain; charset=utf-8")
