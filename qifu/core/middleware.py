"""Request id, body limit, tenant resolution, metrics."""

from __future__ import annotations

import ipaddress
import re
import time
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from qifu.core import metrics, requestinfo, tenancy
from qifu.core.errors import error_response

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, always a valid IP or None (it is stored in GenericIPAddressFields).

    With QIFU_TRUSTED_PROXY_HOPS = N > 0 (N reverse proxies in front, each appending the address
    it received from to X-Forwarded-For, see docs/deployment.md) the N-th entry from the right is
    the client as our outermost proxy saw it; everything left of it came from the client and is
    ignored. A header with fewer entries, or a malformed entry, falls back to REMOTE_ADDR.
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR"))
    hops = getattr(settings, "QIFU_TRUSTED_PROXY_HOPS", 0)
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= hops:
            return _valid_ip(forwarded[-hops]) or remote
    return remote


class RequestIdMiddleware:
    """Accept a sane X-Request-ID or make one; echo it back; put it in every log line."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = requestinfo.set_info(
            requestinfo.RequestInfo(
                request_id=request_id,
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            )
        )
        try:
            response = self.get_response(request)
        finally:
            requestinfo.reset(token)
        response["X-Request-ID"] = request_id
        return response


class BodySizeLimitMiddleware:
    """Refuse oversized bodies by their declared length before anything reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(400, "request.bad_length", "请求头 Content-Length 不正确")
        is_upload = request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data")
        limit = settings.QIFU_MAX_UPLOAD_BYTES if is_upload else settings.QIFU_MAX_BODY_BYTES
        if length > limit:
            return error_response(
                413,
                "request.too_large",
                f"请求内容过大：上限为 {limit // 1024} KB",
                {"limit_bytes": limit, "received_bytes": length},
            )
        return self.get_response(request)


class TenantMiddleware:
    """Resolve the tenant (host first, then the signed-in user's) and open its scope.

    A signed-in user whose tenant differs from the host's is flagged; the API
    refuses them (403) rather than silently switching tenants.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from qifu.core.tenants import resolve_tenant

        tenant, mismatch = resolve_tenant(request)
        request.tenant = tenant
        request.tenant_mismatch = mismatch
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            requestinfo.update(user=user, organisation_id=request.session.get("qifu_org"))
        if tenant is None:
            return self.get_response(request)
        token = tenancy.activate(tenant)
        try:
            return self.get_response(request)
        finally:
            tenancy.reset(token)


class MetricsMiddleware:
    """Count requests and time them by route template (never by raw path: bounded labels)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None and match.route else "unmatched"
        if route.startswith("api/v1/") and match is not None and match.url_name:
            route = f"api:{match.url_name}"
        metrics.observe_request(request.method, route, response.status_code, time.perf_counter() - start)
        return response
