from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

ChannelName = Literal["inapp", "sms", "wechat", "email"]


# --- message centre -------------------------------------------------------------------------------


class MsgMessageFilter(Schema):
    category: str | None = Field(None, max_length=40, description="消息类别")
    is_read: bool | None = Field(None, description="是否已读")
    q: str | None = Field(None, max_length=100, description="标题或内容关键字")


class MsgMessageOut(Schema):
    id: int
    title: str
    body: str
    category: str
    category_label: str
    event: str
    link: str
    is_read: bool
    read_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_category_label(obj):
        from qifu.messaging.categories import label

        return label(obj.category)


class MsgCategoryOut(Schema):
    code: str
    label: str
    essential: bool = Field(description="必达：不能退订，人工发送不可选")


class MsgUnreadOut(Schema):
    unread: int
    by_category: dict[str, int]


class MsgReadAllIn(Schema):
    category: str = Field("", max_length=40, description="只标记该类别；空为全部")


class MsgCountOut(Schema):
    count: int


class MsgPreferenceOut(Schema):
    category: str
    label: str
    essential: bool
    channels: dict[str, bool] = Field(description="渠道 → 是否已退订")


class MsgPreferenceChange(Schema):
    category: str = Field(max_length=40)
    channel: Literal["sms", "wechat", "email"]
    opted_out: bool


class MsgPreferencesIn(Schema):
    changes: list[MsgPreferenceChange] = Field(max_length=100)


# --- templates ------------------------------------------------------------------------------------


class MsgTemplateFilter(Schema):
    channel: ChannelName | None = None
    q: str | None = Field(None, max_length=100, description="编码或名称关键字")
    include_history: bool = Field(False, description="包含历史版本")


class MsgTemplateIn(Schema):
    code: str = Field(
        min_length=2, max_length=80, pattern=r"^[a-z][a-z0-9_\-]*$", description="模板编码（小写字母开头）"
    )
    name: str = Field(min_length=1, max_length=100)
    channel: ChannelName
    category: str = Field("notice", max_length=40)
    title: str = Field("", max_length=200)
    body: str = Field(min_length=1, max_length=2000)
    variables: list[str] = Field(default_factory=list, max_length=30)
    provider_template_id: str = Field("", max_length=100, description="阿里云短信模板 CODE 或微信模板 ID")
    provider_params: dict[str, str] = Field(default_factory=dict, description="服务商参数 → 含变量的文本")


class MsgTemplateVersionIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    category: str | None = Field(None, max_length=40)
    title: str | None = Field(None, max_length=200)
    body: str | None = Field(None, min_length=1, max_length=2000)
    variables: list[str] | None = Field(None, max_length=30)
    provider_template_id: str | None = Field(None, max_length=100)
    provider_params: dict[str, str] | None = None


class MsgTemplateActiveIn(Schema):
    is_active: bool


class MsgTemplateOut(Schema):
    id: int
    code: str
    name: str
    channel: str
    category: str
    version: int
    is_current: bool
    is_active: bool
    title: str
    body: str
    variables: list[str]
    provider_template_id: str
    provider_params: dict
    created_at: dt.datetime


# --- event rules ----------------------------------------------------------------------------------


class MsgEventOut(Schema):
    code: str
    label: str
    capability: str
    category: str
    essential: bool
    variables: list[str]
    default_text: str
    default_channels: list[str]
    rule_enabled: bool | None = Field(None, description="管理员规则：None 为未配置（按默认渠道）")
    rule_channels: list[str] = Field(default_factory=list)
    rule_templates: dict[str, str] = Field(default_factory=dict)


class MsgRuleIn(Schema):
    event: str = Field(max_length=100)
    is_enabled: bool = True
    channels: list[Literal["sms", "wechat", "email"]] = Field(default_factory=list, max_length=3)
    templates: dict[str, str] = Field(default_factory=dict, description="渠道 → 模板编码")


# --- sends ----------------------------------------------------------------------------------------


class MsgSegmentIn(Schema):
    kind: Literal["users", "all_enterprises", "industry", "town", "role", "phones", "credit_codes"]
    user_ids: list[int] = Field(default_factory=list, max_length=5000)
    codes: list[str] = Field(default_factory=list, max_length=200, description="行业代码")
    town_ids: list[int] = Field(default_factory=list, max_length=200)
    role: str = Field("", max_length=50)


class MsgSendIn(Schema):
    title: str = Field(min_length=1, max_length=200)
    channels: list[ChannelName] = Field(min_length=1, max_length=4)
    segment: MsgSegmentIn
    template_code: str = Field("", max_length=80)
    text: str = Field("", max_length=2000, description="不用模板时的内容（仅站内信、邮件）")
    variables: dict[str, str] = Field(default_factory=dict)
    link: str = Field("", max_length=300)
    category: str = Field("notice", max_length=40)
    scheduled_at: dt.datetime | None = Field(None, description="计划发送时间；为空立即发送")
    upload_id: int | None = Field(None, description="名单文件（上传名单接口返回）")


class MsgSendFilter(Schema):
    status: str | None = Field(None, max_length=20)
    kind: str | None = Field(None, max_length=20)
    q: str | None = Field(None, max_length=100)


class MsgSendOut(Schema):
    id: int
    kind: str
    status: str
    title: str
    event: str
    category: str
    channels: list[str]
    template_code: str
    segment: dict
    scheduled_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    total: int
    created_at: dt.datetime


class MsgSendDetailOut(MsgSendOut):
    variables: dict
    link: str
    error: str
    counts: dict[str, int] = Field(description="投递状态 → 数量")


class MsgListUploadOut(Schema):
    upload_id: int
    kind: str
    valid: int
    invalid: int
    invalid_samples: list[str]


# --- logs -----------------------------------------------------------------------------------------


class MsgDeliveryFilter(Schema):
    send_id: int | None = None
    channel: ChannelName | None = None
    state: str | None = Field(None, max_length=10)
    q: str | None = Field(None, max_length=200, description="完整的接收地址（手机号、邮箱或 openid），精确匹配")


class MsgDeliveryOut(Schema):
    id: int
    send_id: int
    send_title: str
    channel: str
    user_id: int | None
    user_name: str
    address: str
    state: str
    attempts: int
    provider: str
    provider_id: str
    provider_code: str
    reason: str
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_send_title(obj):
        return obj.send.title

    @staticmethod
    def resolve_user_name(obj):
        return (obj.user.name or obj.user.username) if obj.user_id else ""

    @staticmethod
    def resolve_address(obj):
        # The log is for operators: phone numbers and e-mail addresses are masked.
        value = obj.address
        if obj.channel == "sms" and len(value) >= 7:
            return value[:3] + "****" + value[-4:]
        if obj.channel == "email" and "@" in value:
            name, domain = value.split("@", 1)
            return name[:1] + "***@" + domain
        return value


class MsgPushFilter(Schema):
    send_id: int | None = None
    channel: ChannelName | None = None
    ok: bool | None = None
    provider: str | None = Field(None, max_length=30)


class MsgPushOut(Schema):
    id: int
    delivery_id: int
    send_id: int
    channel: str
    provider: str
    attempt: int
    ok: bool
    code: str
    reason: str
    provider_id: str
    duration_ms: int
    created_at: dt.datetime


# --- WeChat official account pushes ----------------------------------------------------------------


class MsgWechatQuery(Schema):
    """What WeChat puts in the server URL's query string (plaintext mode)."""

    signature: str = Field("", max_length=100, description="sha1(排序后的 token、timestamp、nonce 拼接)")
    timestamp: str = Field("", max_length=20, description="时间戳（秒）")
    nonce: str = Field("", max_length=100, description="随机数")
    echostr: str = Field("", max_length=200, description="地址校验时原样返回的随机字符串")
    openid: str = Field("", max_length=100, description="推送涉及的用户 openid")
    encrypt_type: str = Field("", max_length=20, description="安全模式时为 aes（未实现）")
    msg_signature: str = Field("", max_length=100, description="安全模式的消息签名（未实现）")
