"""Messaging: templates, event rules, sends, per-recipient deliveries, the in-site inbox, opt-outs.

A *send* is one message going to a set of recipients over one or more channels; it
owns one *delivery* row per (channel, recipient) — the unique constraint on that pair
is what makes a retried or resumed send deliver at most one message per recipient
(see ``qifu.messaging.delivery`` for the claim protocol).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from qifu.core.models import TenantOwned


class ChannelKind(models.TextChoices):
    INAPP = "inapp", "站内信"
    SMS = "sms", "短信"
    WECHAT = "wechat", "微信"
    EMAIL = "email", "电子邮件"


class Template(TenantOwned):
    """One version of a message template for one channel.

    Templates are versioned: editing creates version n+1 and makes it current; sends
    keep pointing at the version they were rendered with. ``provider_template_id`` is
    the provider's id (阿里云短信模板 CODE, 微信模板 ID) and ``provider_params`` maps each
    provider parameter to a text with our variables, e.g. ``{"thing1": "{product}"}``.
    """

    code = models.SlugField("模板编码", max_length=80)
    name = models.CharField("模板名称", max_length=100)
    channel = models.CharField("渠道", max_length=10, choices=ChannelKind.choices)
    category = models.CharField("消息类别", max_length=40, blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    is_current = models.BooleanField("当前版本", default=True)
    title = models.CharField("标题", max_length=200, blank=True)
    body = models.TextField("正文")
    variables = models.JSONField("变量", default=list, blank=True)
    provider_template_id = models.CharField("服务商模板编号", max_length=100, blank=True)
    provider_params = models.JSONField("服务商参数映射", default=dict, blank=True)
    is_active = models.BooleanField("启用", default=True)

    scope_owner_field = None

    class Meta:
        verbose_name = "消息模板"
        ordering = ["code", "channel", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code", "channel", "version"], name="messaging_template_unique_version"
            ),
            models.UniqueConstraint(
                fields=["tenant", "code", "channel"],
                condition=models.Q(is_current=True),
                name="messaging_template_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class EventRule(TenantOwned):
    """An admin's routing of one event: which channels, which template per channel."""

    event = models.CharField("事件", max_length=100)
    is_enabled = models.BooleanField("启用", default=True)
    channels = models.JSONField("渠道", default=list, blank=True)
    templates = models.JSONField("渠道模板", default=dict, blank=True, help_text="{channel: template code}")

    scope_owner_field = None

    class Meta:
        verbose_name = "事件推送规则"
        ordering = ["event"]
        constraints = [models.UniqueConstraint(fields=["tenant", "event"], name="messaging_eventrule_unique_event")]

    def __str__(self) -> str:
        return self.event


class Send(TenantOwned):
    """One message to a set of recipients: manual (immediate/scheduled/bulk), event-driven or a verification code."""

    class Kind(models.TextChoices):
        MANUAL = "manual", "人工发送"
        EVENT = "event", "事件推送"
        VERIFICATION = "verification", "验证码"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "待发送"
        QUEUED = "queued", "排队中"
        RUNNING = "running", "发送中"
        COMPLETED = "completed", "已完成"
        PARTIAL = "partial", "部分失败"
        CANCELLED = "cancelled", "已取消"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=20, choices=Kind.choices, default=Kind.MANUAL)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True)
    title = models.CharField("标题", max_length=200)
    event = models.CharField("事件", max_length=100, blank=True, db_index=True)
    category = models.CharField("消息类别", max_length=40, blank=True)
    essential = models.BooleanField("必达消息", default=False)
    channels = models.JSONField("渠道", default=list)
    template_code = models.CharField("模板编码", max_length=80, blank=True)
    templates = models.JSONField("渲染所用模板", default=dict, blank=True, help_text="{channel: template id}")
    texts = models.JSONField("渠道文本", default=dict, blank=True, help_text="{channel: text} when no template")
    variables = models.JSONField("变量", default=dict, blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    segment = models.JSONField("接收人范围", default=dict, blank=True)
    upload = models.ForeignKey(
        "core.StoredFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="名单文件"
    )
    scheduled_at = models.DateTimeField("计划发送时间", null=True, blank=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    prepared_at = models.DateTimeField("接收人已生成", null=True, blank=True)
    total = models.PositiveIntegerField("投递数", default=0)
    error = models.CharField("错误", max_length=500, blank=True)
    organisation = models.ForeignKey(
        "orgs.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="发送单位",
        help_text="the sender's organisation: whose staff see the send and its logs",
    )
    reach = models.JSONField(
        "可达范围", null=True, blank=True, help_text='the sender\'s reach: null = whole tenant, {"paths": [...]}'
    )
    heartbeat_at = models.DateTimeField(
        "最近进展", null=True, blank=True, help_text="last progress of a worker on this send"
    )
    wake_at = models.DateTimeField("下次运行", null=True, blank=True, help_text="when the one pending run is due")

    scope_org_field = "organisation"
    scope_owner_field = "created_by"

    class Meta:
        verbose_name = "消息发送"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title


class Delivery(TenantOwned):
    """One message to one recipient on one channel: the delivery log row."""

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        DELIVERED = "delivered", "已送达"
        FAILED = "failed", "失败"
        SKIPPED = "skipped", "已跳过"
        CANCELLED = "cancelled", "已取消"

    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField("渠道", max_length=10, choices=ChannelKind.choices)
    recipient_key = models.CharField(max_length=120, help_text="u:<user id> or the address itself")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="用户",
    )
    address = models.CharField("地址", max_length=200, blank=True)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=40, blank=True)
    provider = models.CharField("服务商", max_length=30, blank=True)
    provider_id = models.CharField("服务商消息编号", max_length=100, blank=True)
    provider_code = models.CharField("服务商状态码", max_length=60, blank=True)
    reason = models.CharField("原因", max_length=500, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    receipt_checked_at = models.DateTimeField("最近查询回执", null=True, blank=True)

    scope_org_field = "send__organisation"  # the log of a send is visible where the send is
    scope_owner_field = None

    class Meta:
        verbose_name = "投递记录"
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["send", "channel", "recipient_key"], name="messaging_delivery_once")
        ]
        indexes = [
            # claims read "queued rows of this send in id order": the id in the index avoids a sort
            models.Index(fields=["send", "state", "id"], name="messaging_delivery_claim"),
            # the receipts job reads "sent SMS of the last days"
            models.Index(fields=["channel", "state", "sent_at"], name="messaging_delivery_receipts"),
            # WeChat's delivery report names the message by its msgid (qifu.messaging.wechat_events)
            models.Index(
                fields=["tenant", "provider_id"],
                name="messaging_delivery_wx_msgid",
                condition=models.Q(channel="wechat") & ~models.Q(provider_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.recipient_key}"


class EarlyReceipt(TenantOwned):
    """A provider's delivery report that arrived before we recorded the message it is about.

    WeChat reports a template message (by its msgid) as soon as it is delivered; the worker
    records the msgid with the batch, up to a flush later. A report for a msgid we do not know
    yet, to an openid one of our rows is still being sent to, waits here until the row is
    recorded (``qifu.messaging.wechat_events``); reports nobody claims are dropped after a day.
    """

    provider = models.CharField("服务商", max_length=30)
    provider_id = models.CharField("服务商消息编号", max_length=100)
    address = models.CharField("地址", max_length=200)
    ok = models.BooleanField("送达", default=False)
    code = models.CharField("状态码", max_length=60, blank=True)
    reason = models.CharField("原因", max_length=500, blank=True)

    scope_owner_field = None

    class Meta:
        verbose_name = "待匹配回执"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "provider", "provider_id"], name="messaging_earlyreceipt_unique")
        ]


class Message(TenantOwned):
    """An in-site message in a user's message centre."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="用户")
    send = models.ForeignKey(Send, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    delivery = models.OneToOneField(Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="message")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    category = models.CharField("类别", max_length=40, blank=True, db_index=True)
    event = models.CharField("事件", max_length=100, blank=True)
    link = models.CharField("链接", max_length=300, blank=True)
    is_read = models.BooleanField("已读", default=False)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    scope_owner_field = "user"

    class Meta:
        verbose_name = "站内消息"
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "is_read"], name="messaging_message_unread")]

    def __str__(self) -> str:
        return self.title


class OptOut(TenantOwned):
    """A user declining a non-essential category on one channel ('' = every channel but in-site)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    category = models.CharField("消息类别", max_length=40)
    channel = models.CharField("渠道", max_length=10, blank=True)

    scope_owner_field = "user"

    class Meta:
        verbose_name = "退订"
        constraints = [
            models.UniqueConstraint(fields=["user", "category", "channel"], name="messaging_optout_unique"),
        ]


class PushAttempt(TenantOwned):
    """The push log: every call to a provider, successful or not."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="pushes")
    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField("渠道", max_length=10, choices=ChannelKind.choices)
    provider = models.CharField("服务商", max_length=30)
    attempt = models.PositiveSmallIntegerField("第几次", default=1)
    ok = models.BooleanField("成功", default=False)
    code = models.CharField("状态码", max_length=60, blank=True)
    reason = models.CharField("说明", max_length=500, blank=True)
    provider_id = models.CharField("服务商消息编号", max_length=100, blank=True)
    duration_ms = models.PositiveIntegerField("耗时(ms)", default=0)

    scope_org_field = "send__organisation"
    scope_owner_field = None

    class Meta:
        verbose_name = "推送日志"
        ordering = ["-id"]


class ChannelAddress(TenantOwned):
    """A user's address on a channel that the user model does not carry (the WeChat openid).

    Phone and e-mail come from the user; identity records the openid when a user binds
    WeChat (``services.set_address(user, "wechat", openid)``).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField("渠道", max_length=10, choices=ChannelKind.choices)
    address = models.CharField("地址", max_length=200)

    scope_owner_field = "user"

    class Meta:
        verbose_name = "渠道地址"
        constraints = [models.UniqueConstraint(fields=["user", "channel"], name="messaging_address_unique")]
