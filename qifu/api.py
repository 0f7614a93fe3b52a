"""The JSON API at /api/v1/: one NinjaAPI, one router per capability app.

Each app in settings.QIFU_APPS may expose ``api.router`` (a QifuRouter) and an
optional ``api.PREFIX``; they are mounted here in that order, so adding a
capability never edits this file.
"""

from __future__ import annotations

from importlib import import_module, util

from django.conf import settings
from ninja import NinjaAPI

from qifu.core import errors
from qifu.core.parser import QifuParser
from qifu.core.renderers import QifuRenderer
from qifu.core.routers import CAPABILITY_TAGS

api = NinjaAPI(
    title="企服平台 Qifu API",
    version="1",
    description="企服平台开放接口。每个操作以 x-permission 声明所需权限码（public 为公开）。错误格式：{code, message, detail}。",
    urls_namespace="api",
    parser=QifuParser(),
    renderer=QifuRenderer(),
    openapi_extra={"tags": [{"name": k, "description": v} for k, v in CAPABILITY_TAGS.items()]},
)
errors.install(api)


def _mount_routers() -> None:
    for app in settings.QIFU_APPS:
        module_name = f"{app}.api"
        if util.find_spec(module_name) is None:
            continue
        module = import_module(module_name)
        router = getattr(module, "router", None)
        if router is not None:
            api.add_router(getattr(module, "PREFIX", "/" + app.rsplit(".", 1)[-1]), router)


_mount_routers()
