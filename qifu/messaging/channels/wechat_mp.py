"""WeChat official account messages (微信公众号): template messages and customer-service text messages.

``GET  {base}/cgi-bin/token?grant_type=client_credential&appid=…&secret=…`` → ``access_token``
(valid ``expires_in`` seconds; cached and refreshed on 40001/40014/42001), then either

- a **template message** (模板消息) when the message carries a provider template id:
  ``POST {base}/cgi-bin/message/template/send?access_token=…`` with
  ``{"touser", "template_id", "url", "data": {key: {"value": …}}, "client_msg_id"}`` →
  ``{"errcode": 0, "errmsg": "ok", "msgid": …}``. ``client_msg_id`` is WeChat's
  de-duplication key (same openid + id within 10 minutes is sent once); we use the
  delivery id, so a resend after a crash does not double up;
- a **customer-service text message** (客服消息) otherwise:
  ``POST {base}/cgi-bin/message/custom/send?access_token=…`` with
  ``{"touser", "msgtype": "text", "text": {"content": …}}`` → ``{"errcode": 0, "errmsg": "ok"}``.
  WeChat delivers it only to users who interacted with the account in the last 48 hours
  (else 45015) and has no de-duplication key: a resend after a crash may double up.

Links: WeChat needs absolute addresses; a site path (``/policies/7``) is prefixed with
``QIFU_MSG_WECHAT_LINK_BASE`` (e.g. ``https://qifu.example.gov.cn``) and left out without it.

Environment: ``QIFU_MSG_WECHAT_APPID``, ``QIFU_MSG_WECHAT_SECRET``, optional
``QIFU_MSG_WECHAT_API_BASE`` (default ``https://api.weixin.qq.com``), ``QIFU_MSG_WECHAT_LINK_BASE``.
"""

from __future__ import annotations

import os
import threading
import time

import httpx

from qifu.messaging.channels.base import Channel, ChannelError, Outgoing, Result

TOKEN_ERRORS = {40001, 40014, 42001}  # invalid credential / invalid token / token expired
RETRYABLE = {-1, 45009, 45047}  # system busy, API frequency limit, out of response count limit
REASONS = {
    -1: "微信系统繁忙",
    40001: "access_token 无效",
    40003: "openid 无效",
    40013: "AppID 无效",
    40037: "模板 ID 无效",
    40125: "AppSecret 无效",
    41028: "form_id 无效",
    43004: "用户未关注公众号",
    43101: "用户拒绝接收消息",
    44004: "消息内容为空",
    45002: "消息内容超过长度限制",
    45009: "接口调用超过限额",
    45015: "用户 48 小时内未与公众号互动，无法接收客服消息",
    45047: "客服消息下行条数超过上限",
    47003: "模板参数不正确",
}


class WechatMpChannel(Channel):
    name = "wechat"
    provider = "wechat_mp"
    default_rate = 100.0

    def __init__(self, appid: str, secret: str, *, base: str, link_base: str = ""):
        self.appid = appid
        self.secret = secret
        self.base = base.rstrip("/")
        self.link_base = link_base.rstrip("/")
        self.client = httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0))
        self._token = ""
        self._expires = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> WechatMpChannel:
        env = os.environ
        missing = [n for n in ("QIFU_MSG_WECHAT_APPID", "QIFU_MSG_WECHAT_SECRET") if not env.get(n)]
        if missing:
            raise ChannelError(f"微信公众号未配置：缺少环境变量 {', '.join(missing)}")
        return cls(
            env["QIFU_MSG_WECHAT_APPID"],
            env["QIFU_MSG_WECHAT_SECRET"],
            base=env.get("QIFU_MSG_WECHAT_API_BASE", "https://api.weixin.qq.com"),
            link_base=env.get("QIFU_MSG_WECHAT_LINK_BASE", ""),
        )

    def token(self, *, refresh: bool = False) -> str:
        with self._lock:
            if refresh or not self._token or time.monotonic() >= self._expires:
                response = self.client.get(
                    f"{self.base}/cgi-bin/token",
                    params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
                )
                data = response.json()
                if "access_token" not in data:
                    code = int(data.get("errcode", 0) or 0)
                    raise TokenError(code, str(data.get("errmsg", "")))
                self._token = data["access_token"]
                # refresh five minutes early: a token that expires mid-send costs a retry
                self._expires = time.monotonic() + max(60, int(data.get("expires_in", 7200)) - 300)
            return self._token

    def absolute(self, link: str) -> str:
        if link.startswith(("http://", "https://")):
            return link
        if link.startswith("/") and self.link_base:
            return self.link_base + link
        return ""

    def send(self, message: Outgoing) -> Result:
        link = self.absolute(message.link) if message.link else ""
        if message.template:
            path = "/cgi-bin/message/template/send"
            body = {
                "touser": message.to,
                "template_id": message.template,
                "data": {key: {"value": str(value)} for key, value in message.variables.items()},
            }
            if link:
                body["url"] = link
            if message.reference:
                body["client_msg_id"] = f"qifu-{message.reference}"
        else:
            if not message.text.strip():
                return Result(ok=False, provider=self.provider, code="no_content", reason="客服消息内容为空")
            path = "/cgi-bin/message/custom/send"
            content = message.text + (f"\n{link}" if link else "")
            body = {"touser": message.to, "msgtype": "text", "text": {"content": content}}
        try:
            for refresh in (False, True):
                token = self.token(refresh=refresh)
                response = self.client.post(f"{self.base}{path}", params={"access_token": token}, json=body)
                data = response.json()
                code = int(data.get("errcode", 0) or 0)
                if code not in TOKEN_ERRORS:
                    break
        except TokenError as exc:
            return Result(
                ok=False,
                provider=self.provider,
                code=str(exc.code),
                reason=f"获取 access_token 失败：{REASONS.get(exc.code, exc.message)}",
                retryable=exc.code in RETRYABLE,
            )
        except (httpx.HTTPError, ValueError) as exc:
            return Result(ok=False, provider=self.provider, code="network", reason=str(exc)[:300], retryable=True)
        if code == 0:
            return Result(ok=True, provider=self.provider, provider_id=str(data.get("msgid", "")), code="0")
        reason = REASONS.get(code, "")
        errmsg = str(data.get("errmsg", ""))
        return Result(
            ok=False,
            provider=self.provider,
            code=str(code),
            reason=f"{reason}：{errmsg}" if reason else errmsg,
            retryable=code in RETRYABLE,
        )


class TokenError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message
