"""Liveness, readiness and metrics endpoints (plain Django views, outside the API contract)."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST

from qifu.core import metrics
from qifu.core.errors import error_response

logger = logging.getLogger("qifu.health")


def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", 5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)


def _check_queue() -> None:
    from huey.contrib.djhuey import HUEY

    HUEY.storage.queue_size()


CHECKS = {"database": _check_database, "cache": _check_cache, "queue": _check_queue}


def readyz(request):
    """Each dependency by name, ok or failed. Why one failed goes to the log, not to the caller:
    exception text can carry host names, ports and user names."""
    results = {}
    failed = []
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception:  # each failure is reported by name, never raised
            logger.warning("readiness check %s failed", name, exc_info=True)
            results[name] = "failed"
            failed.append(name)
    body = {"status": "ok" if not failed else "unavailable", "checks": results}
    if failed:
        body["failed"] = failed
        body["message"] = "以下依赖不可用：" + "、".join(failed)
    return JsonResponse(body, status=503 if failed else 200, json_dumps_params={"ensure_ascii": False})


def _metrics_allowed(request) -> bool:
    """A bearer token (QIFU_METRICS_TOKEN) from anywhere, else a client in QIFU_METRICS_ALLOW.

    A request relayed by a proxy we were not told about (X-Forwarded-For with
    QIFU_TRUSTED_PROXY_HOPS=0) does not count as local even though it arrives from the proxy's
    loopback address."""
    from qifu.core.middleware import client_ip

    token = settings.QIFU_METRICS_TOKEN
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    if request.META.get("HTTP_X_FORWARDED_FOR") and not settings.QIFU_TRUSTED_PROXY_HOPS:
        return False
    ip = client_ip(request)
    if ip is None:
        return False
    address = ipaddress.ip_address(ip)
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.QIFU_METRICS_ALLOW)


def metrics_view(request):
    if not _metrics_allowed(request):
        return error_response(
            403,
            "metrics.forbidden",
            "监控指标仅对允许的地址开放（QIFU_METRICS_ALLOW）或需携带令牌（QIFU_METRICS_TOKEN）",
        )
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)
