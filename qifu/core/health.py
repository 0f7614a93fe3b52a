"""Liveness, readiness and metrics endpoints (plain Django views, outside the API contract)."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST

from qifu.core import metrics


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
    results = {}
    failed = []
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # each failure is reported by name, never raised
            results[name] = f"error: {exc.__class__.__name__}: {exc}"[:300]
            failed.append(name)
    body = {"status": "ok" if not failed else "unavailable", "checks": results}
    if failed:
        body["failed"] = failed
        body["message"] = "以下依赖不可用：" + "、".join(failed)
    return JsonResponse(body, status=503 if failed else 200, json_dumps_params={"ensure_ascii": False})


def metrics_view(request):
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)
