"""Demo data: templates, a routing rule, sends (completed, scheduled, cancelled), inbox messages, opt-outs.

Deliveries go to the console channel (the default), so seeding never reaches a real provider.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from qifu.accounts.models import User
from qifu.messaging import delivery, segments, sending
from qifu.messaging.models import Message, OptOut, Send
from qifu.orgs.models import Organisation

TEMPLATES = [
    dict(
        code="policy_notice",
        name="政策申报通知",
        channel="inapp",
        category="policy",
        title="【政策申报】{policy}",
        body="{recipient_name}您好：{policy}已开始申报，截止日期{deadline}，请及时登录平台办理。",
        variables=["policy", "deadline"],
    ),
    dict(
        code="policy_notice",
        name="政策申报通知",
        channel="sms",
        category="policy",
        body="【企服平台】{policy}已开始申报，截止{deadline}，请登录平台办理。",
        variables=["policy", "deadline"],
        provider_template_id="SMS_465100001",
        provider_params={"policy": "{policy}", "deadline": "{deadline}"},
    ),
    dict(
        code="policy_notice",
        name="政策申报通知",
        channel="wechat",
        category="policy",
        body="{policy}开始申报，截止{deadline}",
        variables=["policy", "deadline"],
        provider_template_id="Xq3VQ2zJm6dPolicyNotice0001",
        provider_params={"thing1": "{policy}", "time2": "{deadline}"},
    ),
    dict(
        code="annual_report",
        name="年报提醒",
        channel="inapp",
        category="expiry",
        title="企业年报提醒",
        body="{recipient_name}您好：请于{deadline}前完成{year}年度企业年报。",
        variables=["year", "deadline"],
    ),
    dict(
        code="annual_report",
        name="年报提醒",
        channel="email",
        category="expiry",
        title="{year}年度企业年报提醒",
        body="{recipient_name}您好：请于{deadline}前登录国家企业信用信息公示系统完成{year}年度年报。",
        variables=["year", "deadline"],
    ),
    dict(
        code="verification_code",
        name="短信验证码",
        channel="sms",
        category="verification",
        body="您的验证码为{code}，{minutes}分钟内有效，用于{purpose}。",
        variables=["code", "purpose", "minutes"],
        provider_template_id="SMS_465100000",
        provider_params={"code": "{code}"},
    ),
]
POLICIES = ["2026年度高新技术企业认定", "专精特新中小企业奖补", "稳岗返还", "首台套装备保险补偿", "研发费用补助"]


def _run_inline(send: Send) -> None:
    """Execute a demo send now, as a worker would (the queued job then finds it completed)."""
    Send.objects.filter(pk=send.pk).update(status=Send.Status.RUNNING, started_at=timezone.now())
    send.refresh_from_db()
    segments.materialise(send)
    delivery.pump(send)
    Send.objects.filter(pk=send.pk).update(status=Send.Status.COMPLETED, finished_at=timezone.now())


def seed(ctx) -> None:
    from qifu.messaging.models import Template

    if Template.objects.filter(code="policy_notice").exists():  # seeding twice adds nothing
        return
    rng = ctx.rng
    for spec in TEMPLATES:
        sending.create_template(**spec)
    now = timezone.now()
    users = list(User.objects.filter(tenant=ctx.tenant, is_active=True).order_by("pk"))
    # the district's own notices: sent from the root organisation, to the whole tenant
    root = Organisation.objects.filter(kind=Organisation.Kind.ROOT).order_by("pk").first()

    for i in range(ctx.count(3)):
        policy = POLICIES[i % len(POLICIES)]
        send = sending.create_send(
            title=f"{policy}申报通知",
            channels=["inapp", "sms"],
            segment={"kind": "all_enterprises"},
            template_code="policy_notice",
            variables={"policy": policy, "deadline": (now + dt.timedelta(days=30 + i)).strftime("%Y年%m月%d日")},
            organisation=root,
        )
        _run_inline(send)

    send = sending.create_send(
        title="年度企业年报提醒",
        channels=["inapp", "email"],
        segment={"kind": "all_enterprises"},
        template_code="annual_report",
        variables={"year": str(now.year - 1), "deadline": f"{now.year}年6月30日"},
        scheduled_at=now + dt.timedelta(days=2),
        organisation=root,
    )
    cancelled = sending.create_send(
        title="（已取消）停电通知",
        channels=["inapp"],
        segment={"kind": "role", "role": "district_staff"},
        text="{recipient_name}您好：本周六园区计划停电，请提前做好准备。",
        scheduled_at=now + dt.timedelta(days=1),
        organisation=root,
    )
    sending.cancel_send(cancelled)

    # some messages already read, some users opted out of activity SMS
    for message in Message.objects.filter(is_read=False).order_by("pk"):
        if rng.random() < 0.4:
            message.is_read = True
            message.read_at = message.created_at + dt.timedelta(hours=rng.randint(1, 48))
            message.save(update_fields=["is_read", "read_at"])
    for user in users:
        if rng.random() < 0.15:
            OptOut.objects.get_or_create(user=user, category="activity", channel="sms")
