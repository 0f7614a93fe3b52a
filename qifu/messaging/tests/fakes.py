"""Local stand-ins for the providers' HTTP APIs, answering as their documentation describes.

They run in a thread (``http.server``) so the real adapters talk real HTTP to them.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse
from zoneinfo import ZoneInfo

from qifu.messaging.channels.aliyun_sms import sign

SHANGHAI = ZoneInfo("Asia/Shanghai")


class _Server:
    def __init__(self):
        handler = self._handler_class()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _reply(self, status: int, payload: dict):
                body = json.dumps(payload, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json;charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the caller was killed while waiting
                    pass

            def do_GET(self):
                parsed = urlparse(self.path)
                status, payload = server.handle("GET", parsed.path, dict(parse_qsl(parsed.query)), b"")
                self._reply(status, payload)

            def do_POST(self):
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                status, payload = server.handle("POST", parsed.path, dict(parse_qsl(parsed.query)), body)
                self._reply(status, payload)

        return Handler


class FakeAliyunSms(_Server):
    """dysmsapi: SendSms and QuerySendDetails, signature checked, error codes per phone number."""

    def __init__(self, access_key_id="LTAI-test", secret="test-secret", sign_name="企服平台"):
        super().__init__()
        self.access_key_id = access_key_id
        self.secret = secret
        self.sign_name = sign_name
        self.sent: list[dict] = []  # accepted SendSms parameters
        self.errors: dict[str, list[str]] = {}  # phone -> codes to answer, consumed in order
        self.requests = 0
        # From the hang_after-th accepted message on, hold the answer back until released:
        # the message is accepted, the caller has not heard so yet (the crash window).
        self.hang_after: int | None = None
        self.release = threading.Event()
        self.receipts: dict[str, tuple[int, str]] = {}  # phone -> (SendStatus, ErrCode) reported
        self.queries = 0  # QuerySendDetails calls
        # when a message is accepted; dysmsapi reports and filters dates in Beijing time
        self.clock = lambda: datetime.now(SHANGHAI)

    def handle(self, method, path, query, body):
        params = dict(parse_qsl(body.decode())) if method == "POST" else dict(query)
        with self.lock:
            self.requests += 1
        signature = params.pop("Signature", "")
        if params.get("AccessKeyId") != self.access_key_id:
            return 404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}
        if sign(params, self.secret, method) != signature:
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched with our calculation.",
            }
        action = params.get("Action")
        if action == "SendSms":
            return self.send_sms(params)
        if action == "QuerySendDetails":
            return self.query(params)
        return 404, {"Code": "InvalidAction.NotFound", "Message": "Specified api is not found"}

    def send_sms(self, p):
        phone = p.get("PhoneNumbers", "")
        with self.lock:
            queue = self.errors.get(phone)
            if queue:
                code = queue.pop(0)
                return 200, {"Code": code, "Message": f"fake {code}", "RequestId": "req-err"}
            if p.get("SignName") != self.sign_name:
                return 200, {"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "签名不合法", "RequestId": "r"}
            if not phone.isdigit() or len(phone) != 11:
                return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "r"}
            try:
                json.loads(p.get("TemplateParam", "{}"))
            except ValueError:
                return 200, {"Code": "isv.INVALID_JSON_PARAM", "Message": "JSON参数不合法", "RequestId": "r"}
            biz_id = f"{len(self.sent) + 1:06d}^0"
            at = self.clock().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
            self.sent.append({**p, "BizId": biz_id, "at": at})
            hang = self.hang_after is not None and len(self.sent) >= self.hang_after
        if hang:
            self.release.wait(120)
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": "req-ok"}

    def query(self, p):
        phone = p.get("PhoneNumber", "")
        day = p.get("SendDate", "")
        if not day:
            return 400, {"Code": "MissingSendDate", "Message": "SendDate is mandatory for this action."}
        size = int(p.get("PageSize", 10))
        page = int(p.get("CurrentPage", 1))
        if not 1 <= size <= 50:
            return 400, {"Code": "InvalidPageSize", "Message": "PageSize must be between 1 and 50."}
        with self.lock:
            self.queries += 1
            # SendDate (yyyyMMdd) selects the messages accepted on that day, Beijing time
            rows = [s for s in self.sent if s["PhoneNumbers"] == phone and s["at"][:10].replace("-", "") == day]
        chunk = rows[(page - 1) * size : page * size]
        dtos = [
            {
                "PhoneNum": s["PhoneNumbers"],
                "SendStatus": self.receipts.get(phone, (3, "DELIVERED"))[0],
                "ErrCode": self.receipts.get(phone, (3, "DELIVERED"))[1],
                "TemplateCode": s["TemplateCode"],
                "Content": s.get("TemplateParam", ""),
                "SendDate": s["at"],
                "ReceiveDate": s["at"],
                "OutId": s.get("OutId", ""),
            }
            for s in chunk
        ]
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "RequestId": "req-q",
            "TotalCount": len(rows),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": dtos},
        }

    def count_by_phone(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.lock:
            for s in self.sent:
                counts[s["PhoneNumbers"]] = counts.get(s["PhoneNumbers"], 0) + 1
        return counts


class FakeWechat(_Server):
    """cgi-bin/token, message/template/send (de-duplicates client_msg_id) and message/custom/send, with errcodes."""

    def __init__(self, appid="wx-test", secret="wx-secret", token="qifuWxToken2024"):
        super().__init__()
        self.appid = appid
        self.secret = secret
        self.token = token  # 服务器配置 → 令牌(Token): signs what WeChat pushes to our server URL
        self.original_id = "gh_7f083739789a"
        self.recipients: dict[int, str] = {}  # msgid -> openid of accepted template messages
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.sent: list[dict] = []
        self.errors: dict[str, list[int]] = {}  # openid -> errcodes to answer in order
        self.templates = {"TPL-REVIEW"}
        self.seen_client_ids: set[tuple[str, str]] = set()
        self.custom_sent: list[dict] = []  # accepted customer-service messages
        self.inactive: set[str] = set()  # openids that have not interacted within 48 hours

    def expire_tokens(self):
        with self.lock:
            self.tokens.clear()

    def handle(self, method, path, query, body):
        if path == "/cgi-bin/token":
            if query.get("appid") != self.appid:
                return 200, {"errcode": 40013, "errmsg": "invalid appid"}
            if query.get("secret") != self.secret:
                return 200, {"errcode": 40125, "errmsg": "invalid appsecret"}
            with self.lock:
                self.token_requests += 1
                token = f"TOKEN{self.token_requests}"
                self.tokens.add(token)
            return 200, {"access_token": token, "expires_in": 7200}
        if path == "/cgi-bin/message/template/send" and method == "POST":
            with self.lock:
                if query.get("access_token") not in self.tokens:
                    return 200, {"errcode": 42001, "errmsg": "access_token expired"}
                data = json.loads(body or b"{}")
                openid = data.get("touser", "")
                queue = self.errors.get(openid)
                if queue:
                    code = queue.pop(0)
                    return 200, {"errcode": code, "errmsg": f"fake error {code}"}
                if data.get("template_id") not in self.templates:
                    return 200, {"errcode": 40037, "errmsg": "invalid template_id"}
                if not openid.startswith("o"):
                    return 200, {"errcode": 40003, "errmsg": "invalid openid"}
                key = (openid, data.get("client_msg_id", ""))
                if key[1] and key in self.seen_client_ids:
                    return 200, {"errcode": 0, "errmsg": "ok", "msgid": 0}
                self.seen_client_ids.add(key)
                self.sent.append(data)
                msgid = 200000 + len(self.sent)
                self.recipients[msgid] = openid
            return 200, {"errcode": 0, "errmsg": "ok", "msgid": msgid}
        if path == "/cgi-bin/message/custom/send" and method == "POST":
            return self.custom_send(query, json.loads(body or b"{}"))
        return 404, {"errcode": 40066, "errmsg": "invalid url"}

    def custom_send(self, query, data):
        with self.lock:
            if query.get("access_token") not in self.tokens:
                return 200, {"errcode": 42001, "errmsg": "access_token expired"}
            openid = data.get("touser", "")
            queue = self.errors.get(openid)
            if queue:
                code = queue.pop(0)
                return 200, {"errcode": code, "errmsg": f"fake error {code}"}
            if data.get("msgtype") != "text":
                return 200, {"errcode": 40008, "errmsg": "invalid message type"}
            content = (data.get("text") or {}).get("content", "")
            if not content:
                return 200, {"errcode": 44004, "errmsg": "empty content"}
            if len(content.encode()) > 2048:
                return 200, {"errcode": 45002, "errmsg": "content size out of limit"}
            if not openid.startswith("o"):
                return 200, {"errcode": 40003, "errmsg": "invalid openid"}
            if openid in self.inactive:
                return 200, {"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"}
            self.custom_sent.append(data)
        return 200, {"errcode": 0, "errmsg": "ok"}

    # -- what WeChat pushes to the account's server URL ------------------------------------------

    def signed(self, *, token: str | None = None, timestamp: int | None = None, nonce: str | None = None) -> dict:
        """The query string of a push: signature = sha1 of token, timestamp and nonce sorted and joined."""
        timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or str(secrets.randbelow(10**10))
        parts = sorted([self.token if token is None else token, timestamp_text, nonce])
        return {
            "signature": hashlib.sha1("".join(parts).encode()).hexdigest(),  # noqa: S324 (WeChat's scheme)
            "timestamp": timestamp_text,
            "nonce": nonce,
        }

    def job_finished(
        self, msgid: int, status: str = "success", *, openid: str | None = None, **sign
    ) -> tuple[dict, bytes]:
        """The TEMPLATESENDJOBFINISH event for an accepted template message: (query, XML body)."""
        openid = openid or self.recipients[msgid]
        query = {**self.signed(**sign), "openid": openid}
        body = (
            "<xml>"
            f"<ToUserName><![CDATA[{self.original_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{query['timestamp']}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>"
            f"<MsgID>{msgid}</MsgID>"
            f"<Status><![CDATA[{status}]]></Status>"
            "</xml>"
        )
        return query, body.encode()
