"""Alibaba Cloud SMS (阿里云短信服务, dysmsapi 2017-05-25), RPC style with signature version 1.0.

Requests are signed as the RPC signature documentation describes:

1. every parameter (common + action) sorted by name, names and values
   percent-encoded per RFC 3986 (space → ``%20``, ``*`` → ``%2A``, ``~`` kept);
2. ``StringToSign = METHOD + "&" + enc("/") + "&" + enc(canonical query)``;
3. ``Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))``.

``SendSms`` answers ``{"Code": "OK", "BizId": ..., "RequestId": ..., "Message": "OK"}`` or an
error code (``isv.BUSINESS_LIMIT_CONTROL`` …). We pass our delivery id as ``OutId`` so that,
after a crash, ``QuerySendDetails`` tells us whether the provider already accepted it.

Environment: ``QIFU_MSG_ALIYUN_ACCESS_KEY_ID``, ``QIFU_MSG_ALIYUN_ACCESS_KEY_SECRET``,
``QIFU_MSG_ALIYUN_SIGN_NAME`` (短信签名), optional ``QIFU_MSG_ALIYUN_ENDPOINT``
(default ``https://dysmsapi.aliyuncs.com/``) and ``QIFU_MSG_ALIYUN_REGION`` (``cn-hangzhou``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from qifu.messaging.channels.base import Channel, ChannelError, Outgoing, Result

# Codes after which trying again later can succeed; every other error is final.
RETRYABLE = {
    "isp.SYSTEM_ERROR",
    "isv.BUSINESS_LIMIT_CONTROL",  # per-number / per-minute throttling
    "Throttling.User",
    "ServiceUnavailable",
    "InternalError",
}
REASONS = {
    "isv.BUSINESS_LIMIT_CONTROL": "触发业务限流（同一号码发送过于频繁）",
    "isv.MOBILE_NUMBER_ILLEGAL": "手机号码格式错误",
    "isv.TEMPLATE_MISSING_PARAMETERS": "模板缺少变量",
    "isv.SMS_TEMPLATE_ILLEGAL": "短信模板不存在或未审核通过",
    "isv.SMS_SIGNATURE_ILLEGAL": "短信签名不存在或未审核通过",
    "isv.AMOUNT_NOT_ENOUGH": "账户余额不足",
    "isv.DAY_LIMIT_CONTROL": "触发日发送限额",
    "isv.BLACK_KEY_CONTROL_LIMIT": "号码在黑名单中",
    "isv.OUT_OF_SERVICE": "短信业务已停机",
    "isp.SYSTEM_ERROR": "服务商系统错误",
    "SignatureDoesNotMatch": "签名校验失败（AccessKey Secret 错误）",
    "InvalidAccessKeyId.NotFound": "AccessKey ID 不存在",
}


def percent(value: str) -> str:
    return quote(str(value), safe="~")


def canonical(params: dict[str, str]) -> str:
    return "&".join(f"{percent(k)}={percent(params[k])}" for k in sorted(params))


def sign(params: dict[str, str], secret: str, method: str = "POST") -> str:
    to_sign = f"{method}&{percent('/')}&{percent(canonical(params))}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSmsChannel(Channel):
    name = "sms"
    provider = "aliyun"
    default_rate = 100.0  # messages per second per worker process

    def __init__(self, access_key_id: str, access_key_secret: str, sign_name: str, *, endpoint: str, region: str):
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.endpoint = endpoint
        self.region = region
        self.client = httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0))

    @classmethod
    def from_env(cls) -> AliyunSmsChannel:
        env = os.environ
        missing = [
            name
            for name in (
                "QIFU_MSG_ALIYUN_ACCESS_KEY_ID",
                "QIFU_MSG_ALIYUN_ACCESS_KEY_SECRET",
                "QIFU_MSG_ALIYUN_SIGN_NAME",
            )
            if not env.get(name)
        ]
        if missing:
            raise ChannelError(f"阿里云短信未配置：缺少环境变量 {', '.join(missing)}")
        return cls(
            env["QIFU_MSG_ALIYUN_ACCESS_KEY_ID"],
            env["QIFU_MSG_ALIYUN_ACCESS_KEY_SECRET"],
            env["QIFU_MSG_ALIYUN_SIGN_NAME"],
            endpoint=env.get("QIFU_MSG_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
            region=env.get("QIFU_MSG_ALIYUN_REGION", "cn-hangzhou"),
        )

    def _call(self, action: str, params: dict[str, str]) -> dict:
        common = {
            "AccessKeyId": self.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        signed = {**common, **params}
        signed["Signature"] = sign(signed, self.access_key_secret, "POST")
        response = self.client.post(
            self.endpoint,
            content=canonical(signed),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            return response.json()
        except ValueError:
            return {"Code": f"HTTP{response.status_code}", "Message": response.text[:200]}

    def send(self, message: Outgoing) -> Result:
        if not message.template:
            return Result(ok=False, provider=self.provider, code="no_template", reason="未配置阿里云短信模板 CODE")
        params = {
            "PhoneNumbers": message.to,
            "SignName": self.sign_name,
            "TemplateCode": message.template,
            "TemplateParam": json.dumps({k: str(v) for k, v in message.variables.items()}, ensure_ascii=False),
        }
        if message.reference:
            params["OutId"] = message.reference
        try:
            data = self._call("SendSms", params)
        except httpx.HTTPError as exc:
            return Result(ok=False, provider=self.provider, code="network", reason=str(exc)[:300], retryable=True)
        code = str(data.get("Code", ""))
        if code == "OK":
            return Result(ok=True, provider=self.provider, provider_id=str(data.get("BizId", "")), code="OK")
        reason = REASONS.get(code, "")
        detail = str(data.get("Message", ""))
        return Result(
            ok=False,
            provider=self.provider,
            code=code,
            reason=f"{reason}：{detail}" if reason else detail or code,
            retryable=code in RETRYABLE or code.startswith("HTTP5"),
        )

    def details(self, phone: str, day: str) -> list[dict]:
        """Every record ``QuerySendDetails`` holds for ``phone`` on ``day`` (yyyyMMdd, Beijing time), all pages."""
        rows: list[dict] = []
        page = 1
        while True:
            data = self._call(
                "QuerySendDetails",
                {"PhoneNumber": phone, "SendDate": day, "PageSize": str(PAGE_SIZE), "CurrentPage": str(page)},
            )
            if data.get("Code") != "OK":
                raise ChannelError(f"QuerySendDetails: {data.get('Code')} {data.get('Message', '')}")
            batch = (data.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
            rows.extend(batch)
            if not batch or page * PAGE_SIZE >= int(data.get("TotalCount", 0)):
                return rows
            page += 1

    def outcome(self, row: dict) -> Result:
        """A detail record as a result: SendStatus 1 waiting for the receipt, 2 failed, 3 delivered."""
        status = int(row.get("SendStatus", 1))
        if status == 2:
            return Result(ok=False, provider=self.provider, code=str(row.get("ErrCode", "")), reason="运营商回执失败")
        return Result(ok=True, provider=self.provider, code=str(row.get("ErrCode", "OK")), delivered=status == 3)

    def receipts(self, phone: str, since: datetime, until: datetime, references: set[str]) -> dict[str, Result]:
        """The provider's records of our messages (by OutId) to ``phone`` accepted between ``since`` and ``until``.

        One query per Beijing calendar day (and page) answers every message to that number.
        """
        found: dict[str, Result] = {}
        for day in beijing_days(since, until):
            for row in self.details(phone, day):
                reference = str(row.get("OutId", ""))
                if reference in references and reference not in found:
                    found[reference] = self.outcome(row)
            if len(found) == len(references):
                break
        return found

    def lookup(self, message: Outgoing, since: datetime, until: datetime | None = None) -> Result | None:
        """Did the provider accept ``message`` (by our OutId) between ``since`` and ``until``? None when it did not.

        ``until`` defaults to a day after ``since`` (or now, if earlier).
        """
        if not message.reference:
            return None
        until = until or min(datetime.now(UTC), since + timedelta(days=1))
        return self.receipts(message.to, since, until, {message.reference}).get(message.reference)


PAGE_SIZE = 50  # QuerySendDetails allows 1–50
SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_QUERY_DAYS = 30  # QuerySendDetails answers for the last 30 days only


def beijing_days(since: datetime, until: datetime) -> list[str]:
    """The yyyyMMdd dates, Beijing time (Alibaba Cloud's SendDate), from ``since`` through ``until``."""
    day = since.astimezone(SHANGHAI).date()
    last = max(day, until.astimezone(SHANGHAI).date())
    days = []
    while day <= last and len(days) < MAX_QUERY_DAYS:
        days.append(day.strftime("%Y%m%d"))
        day += timedelta(days=1)
    return days
