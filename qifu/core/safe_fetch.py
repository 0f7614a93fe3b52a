"""Fetching outside URLs without becoming a proxy into the platform's own network (SSRF).

``fetch(url)`` only speaks http/https, resolves the host name itself and refuses
private, loopback, link-local, multicast and reserved addresses — also when wrapped in an
IPv6 form (IPv4-mapped, NAT64, 6to4, Teredo; see ``is_public``) — (unless listed in the
``QIFU_FETCH_ALLOWED_NETWORKS`` setting), then connects to the *checked* address —
the name is never resolved a second time, so DNS rebinding cannot swap in an internal
address between check and connect (TLS still verifies the certificate for the name
through SNI). Redirects are followed by hand, at most ``max_redirects``, and every hop
is checked the same way. The body is streamed with a byte cap and an overall deadline,
so a huge or slow (drip-feeding) server cannot hold a worker.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from django.conf import settings

USER_AGENT = "QifuPolicyCollector/1.0 (+https://github.com/qifu)"
DEFAULT_MAX_BYTES = 3 * 1024 * 1024
DEFAULT_TIMEOUT = 15.0
DEFAULT_MAX_REDIRECTS = 5
REDIRECT_CODES = {301, 302, 303, 307, 308}
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_\-]+)""", re.I)


class FetchError(Exception):
    """A refused or failed fetch; ``message`` is Chinese and safe to show staff."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class FetchResult:
    url: str  # final URL after redirects
    status: int
    content_type: str
    content: bytes
    redirects: list[str]

    @property
    def text(self) -> str:
        return decode(self.content, self.content_type)


def decode(content: bytes, content_type: str = "") -> str:
    """Bytes → text: the declared charset, else a <meta charset>, else UTF-8, else GB18030 (common on gov sites)."""
    candidates = []
    match = re.search(r"charset=([\w\-]+)", content_type or "", re.I)
    if match:
        candidates.append(match.group(1))
    meta = _CHARSET.search(content[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "ignore"))
    candidates += ["utf-8", "gb18030"]
    for charset in candidates:
        name = "gb18030" if charset.lower() in ("gb2312", "gbk") else charset
        try:
            return content.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return content.decode("utf-8", "replace")


def _allowed_networks() -> list:
    """Internal networks staff may collect from: the setting, else the environment variable
    ``QIFU_FETCH_ALLOWED_NETWORKS`` (comma-separated CIDRs, e.g. "10.20.0.0/16"). Empty by default."""
    configured = getattr(settings, "QIFU_FETCH_ALLOWED_NETWORKS", None)
    if configured is None:
        configured = [n.strip() for n in os.environ.get("QIFU_FETCH_ALLOWED_NETWORKS", "").split(",") if n.strip()]
    return [ipaddress.ip_network(n, strict=False) for n in configured]


# NAT64 (RFC 6052): the well-known prefix carries an IPv4 address in its last 32 bits and
# reaches exactly that address, so the embedded address is judged; the local-use prefix
# (RFC 8215) is translated by a site's own gateway to anything, so it is refused.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``ip`` is an ordinary public address. IPv6 forms that carry or tunnel to an IPv4
    address are judged by it (IPv4-mapped, NAT64) or refused outright (6to4 2002::/16 and Teredo
    2001::/32 relays reach whatever the embedded address says; deprecated site-local fec0::/10)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None or ip.teredo is not None or ip in _NAT64_LOCAL or ip.is_site_local:
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local)


def check_address(ip_text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(ip_text.split("%", 1)[0])
    if is_public(ip) or any(ip in net for net in _allowed_networks()):
        return ip
    raise FetchError("fetch.forbidden_address", f"目标地址 {ip} 属于内网、本机或保留地址，已拒绝访问")


def resolve(host: str, port: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The first address of ``host``; every address it resolves to must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError("fetch.dns", f"无法解析域名 {host}")
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise FetchError("fetch.dns", f"无法解析域名 {host}")
    # Refuse when *any* answer is internal: a mixed answer is a rebinding attempt.
    checked = [check_address(a) for a in addresses]
    return checked[0]


def _split(url: str):
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    if scheme not in ("http", "https"):
        raise FetchError("fetch.bad_scheme", "只允许抓取 http 或 https 地址")
    if not parts.hostname:
        raise FetchError("fetch.bad_url", "地址缺少主机名")
    if parts.username or parts.password:
        raise FetchError("fetch.bad_url", "地址中不能包含用户名或密码")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise FetchError("fetch.bad_url", "地址端口不正确")
    return parts, scheme, parts.hostname, port


def fetch(
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
) -> FetchResult:
    deadline = time.monotonic() + timeout
    redirects: list[str] = []
    current = url
    with httpx.Client(follow_redirects=False, trust_env=False, http2=False) as client:
        while True:
            parts, scheme, host, port = _split(current)
            try:
                literal = ipaddress.ip_address(host)
            except ValueError:
                ip = resolve(host, port)
            else:
                ip = check_address(str(literal))
            ip_host = f"[{ip}]" if ip.version == 6 else str(ip)
            target = urlunsplit((scheme, f"{ip_host}:{port}", parts.path or "/", parts.query, ""))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchError("fetch.timeout", f"抓取超时（超过 {timeout:g} 秒）")
            headers = {
                "Host": host if parts.port is None else f"{host}:{parts.port}",
                "User-Agent": USER_AGENT,
                # Ask for identity encoding so the byte cap measures what we hold in memory.
                "Accept-Encoding": "identity",
                "Accept": "text/html,application/xhtml+xml,application/xml,application/rss+xml,application/json;q=0.9,*/*;q=0.5",
            }
            request = client.build_request(
                "GET",
                target,
                headers=headers,
                timeout=httpx.Timeout(min(remaining, timeout), connect=min(remaining, 5.0)),
                extensions={"sni_hostname": host} if scheme == "https" else {},
            )
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException:
                raise FetchError("fetch.timeout", f"连接或响应超时（{host}）")
            except httpx.HTTPError as exc:
                raise FetchError("fetch.connect", f"无法连接 {host}：{exc.__class__.__name__}")
            try:
                if response.status_code in REDIRECT_CODES:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError("fetch.bad_redirect", "重定向缺少目标地址")
                    if len(redirects) >= max_redirects:
                        raise FetchError("fetch.too_many_redirects", f"重定向次数超过 {max_redirects} 次")
                    current = urljoin(current, location)
                    redirects.append(current)
                    continue
                if response.status_code >= 400:
                    raise FetchError("fetch.http_status", f"对方服务器返回错误 {response.status_code}")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FetchError("fetch.too_large", f"内容过大（超过 {max_bytes // 1024} KB）")
                body = bytearray()
                try:
                    for chunk in response.iter_bytes(chunk_size=16384):
                        body.extend(chunk)
                        if len(body) > max_bytes:
                            raise FetchError("fetch.too_large", f"内容过大（超过 {max_bytes // 1024} KB）")
                        if time.monotonic() > deadline:
                            raise FetchError("fetch.timeout", f"抓取超时（超过 {timeout:g} 秒）")
                except httpx.TimeoutException:
                    raise FetchError("fetch.timeout", f"读取超时（{host}）")
                except httpx.HTTPError as exc:
                    raise FetchError("fetch.connect", f"读取 {host} 的内容失败：{exc.__class__.__name__}")
                return FetchResult(
                    url=current,
                    status=response.status_code,
                    content_type=response.headers.get("content-type", ""),
                    content=bytes(body),
                    redirects=redirects,
                )
            finally:
                response.close()
