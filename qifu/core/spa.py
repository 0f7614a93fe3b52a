"""Serving the built Vue apps. Unknown non-API paths get the HTML app, which shows its own 404."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie

from qifu.core.errors import error_response

_MISSING = """<!doctype html><meta charset="utf-8"><title>企服平台</title>
<body style="font-family:sans-serif;padding:2em"><h1>企服平台</h1>
<p>前端尚未构建。请运行 <code>./scripts/run</code>（或 <code>cd frontend && npm ci && npm run build</code>）。</p>
<p>API 文档：<a href="/api/v1/docs">/api/v1/docs</a></p></body>"""


def _serve(page: str):
    path = settings.FRONTEND_DIST / page
    if not path.exists():
        return HttpResponse(_MISSING, status=200)
    response = FileResponse(open(path, "rb"), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@ensure_csrf_cookie
def console(request, rest: str = ""):
    return _serve("console.html")


@ensure_csrf_cookie
def h5(request, rest: str = ""):
    return _serve("h5.html")


@ensure_csrf_cookie
def portal(request, rest: str = ""):
    return _serve("index.html")


def api_not_found(request, rest: str = ""):
    return error_response(404, "common.route_not_found", f"接口不存在：{request.path}")
