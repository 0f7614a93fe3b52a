"""The base router: every operation declares its permission code (or ``public``).

``QifuRouter.get/post/put/patch/delete`` require ``permission=``; the code is
checked before the body is even parsed (401 anonymous, 403 without the code),
published in the contract as ``x-permission``, and the handler finds the
resolved ``RequestContext`` on ``request.ctx`` (also ``request.auth``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.utils import check_csrf

from qifu.core import permissions
from qifu.core.context import RequestContext
from qifu.core.errors import ApiError, Forbidden

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

CAPABILITY_TAGS = {
    "platform": "平台",
    "identity": "身份认证",
    "access": "组织与权限",
    "audit": "审计日志",
    "messaging": "消息中心",
    "content": "内容与门户配置",
    "policies": "政策库",
    "marketplace": "服务超市",
    "finance": "融资服务",
    "matching": "智能匹配",
    "appeals": "诉求直达",
    "enterprise_code": "企业码",
    "analytics": "运营统计",
    "governance": "数据治理",
    "integration": "开放平台",
    "jobs": "任务调度",
    "workflow": "办事大厅",
    "park": "园区运营",
    "tenants": "租户运营",
    "sensing": "智能感知",
    "ledger": "企业台账",
}


def context_for(request: HttpRequest, permission: str = "public") -> RequestContext:
    ctx = getattr(request, "ctx", None)
    if ctx is None:
        ctx = RequestContext(
            request=request, user=getattr(request, "user", None), tenant=getattr(request, "tenant", None)
        )
        request.ctx = ctx
    ctx.permission = permission
    return ctx


class OperationAuth:
    """Ninja auth callable bound to one operation's permission code."""

    def __init__(self, permission: str):
        self.permission = permission

    def __call__(self, request: HttpRequest) -> RequestContext | None:
        ctx = context_for(request, self.permission)
        if request.method in UNSAFE_METHODS and getattr(request, "session", None) is not None:
            if request.COOKIES.get("qifu_session") and check_csrf(request) is not None:
                raise ApiError("auth.csrf", "页面已过期或请求来源不可信，请刷新页面后重试", status=403)
        if self.permission == permissions.PUBLIC:
            return ctx
        if not ctx.is_authenticated:
            return None  # → 401
        if getattr(request, "tenant_mismatch", False):
            raise Forbidden("当前账号不属于此平台站点", code="tenancy.forbidden")
        if not ctx.has_perm(self.permission):
            raise Forbidden()
        return ctx


class QifuRouter(Router):
    """A ninja Router whose operations must declare a permission and carry a capability tag."""

    def __init__(self, *, tag: str, **kwargs: Any):
        if tag not in CAPABILITY_TAGS:
            raise ValueError(f"unknown capability tag {tag!r}; add it to CAPABILITY_TAGS")
        super().__init__(tags=[tag], **kwargs)
        self.capability = tag

    def api_operation(  # type: ignore[override]
        self,
        methods: list[str],
        path: str,
        *,
        permission: str,
        object: str | None = None,
        openapi_extra: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Callable:
        if not permissions.is_known(permission):
            raise ValueError(f"operation {methods} {path} declares unknown permission {permission!r}")
        extra = dict(openapi_extra or {})
        extra["x-permission"] = permission
        if object:
            # The model whose id the path carries; the access sweep uses it to find real ids.
            extra["x-object"] = object
        return super().api_operation(methods, path, auth=OperationAuth(permission), openapi_extra=extra, **kwargs)

    def get(self, path: str, *, permission: str, **kwargs: Any) -> Callable:  # type: ignore[override]
        return self.api_operation(["GET"], path, permission=permission, **kwargs)

    def post(self, path: str, *, permission: str, **kwargs: Any) -> Callable:  # type: ignore[override]
        return self.api_operation(["POST"], path, permission=permission, **kwargs)

    def put(self, path: str, *, permission: str, **kwargs: Any) -> Callable:  # type: ignore[override]
        return self.api_operation(["PUT"], path, permission=permission, **kwargs)

    def patch(self, path: str, *, permission: str, **kwargs: Any) -> Callable:  # type: ignore[override]
        return self.api_operation(["PATCH"], path, permission=permission, **kwargs)

    def delete(self, path: str, *, permission: str, **kwargs: Any) -> Callable:  # type: ignore[override]
        return self.api_operation(["DELETE"], path, permission=permission, **kwargs)
