"""The base router: every operation declares its permission code (or ``public``).

``QifuRouter.get/post/put/patch/delete`` require ``permission=``; the code is
checked before the body is even parsed (401 anonymous, 403 without the code),
published in the contract as ``x-permission``, and the handler finds the
resolved ``RequestContext`` on ``request.ctx`` (also ``request.auth``).

Every handler is wrapped (see ``_ruled``): its result passes through
``qifu.core.fieldrules.wrap`` before ninja serialises it, so role field rules
(hidden / masked) apply to every model object any operation returns, and write
operations refuse payloads that change a read-only field of the operation's model.
``model=`` (defaults to ``object=``) names the model an operation lists or
writes; the contract then describes its data scope (``x-data-scope``) and field
rules (``x-field-rules``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core.exceptions import AppRegistryNotReady
from django.http import HttpRequest
from ninja import Router
from ninja.operation import PathView
from ninja.utils import check_csrf

from qifu.core import fieldrules, permissions
from qifu.core.context import SCOPE_KINDS, RequestContext
from qifu.core.errors import ApiError, Forbidden, error_response

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

    def __init__(self, permission: str, csrf: bool = True):
        self.permission = permission
        self.csrf = csrf

    def __call__(self, request: HttpRequest) -> RequestContext | None:
        ctx = context_for(request, self.permission)
        # Every unsafe request, signed in or not: without a session a forged cross-site POST would
        # still sign the victim in to the attacker's account (login CSRF) or register in their name.
        # The pages set the CSRF cookie when they load; scripts call GET /api/v1/auth/csrf first.
        if self.csrf and request.method in UNSAFE_METHODS and check_csrf(request) is not None:
            raise ApiError("auth.csrf", "页面已过期或请求来源不可信，请刷新页面后重试", status=403)
        if self.permission == permissions.PUBLIC:
            return ctx
        if not ctx.is_authenticated:
            return None  # → 401
        from qifu.core import audit

        if getattr(request, "tenant_mismatch", False):
            # Logged in the host's tenant, the one targeted (collapsed like a missing permission).
            audit.record_tenancy_refused(ctx.user, operation_label(request))
            raise Forbidden("当前账号不属于此平台站点", code="tenancy.forbidden")
        if not ctx.has_perm(self.permission):
            # C3: a refused operation is auditable too (collapsed per user and operation, see audit).
            audit.record_permission_denied(ctx, operation_label(request))
            raise Forbidden()
        return ctx


def operation_label(request: HttpRequest) -> str:
    """``GET /api/v1/access/roles/{role_id}``: the operation a request addressed, by its route (not its ids)."""
    match = getattr(request, "resolver_match", None)
    route = match.route if match is not None and match.route else request.path_info.lstrip("/")
    return f"{request.method} /" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def _model_class(label: str | None):
    if not label:
        return None
    try:
        return apps.get_model(label)
    except (LookupError, ValueError, AppRegistryNotReady):
        return None


# ``model=NO_ROWS``: the operation returns no business rows (a catalogue, a check result); the
# contract says so rather than leaving the data scope and field rules undescribed.
NO_ROWS = "-"


def describe_model(label: str) -> dict[str, Any]:
    """The contract extensions for an operation on ``label``: how data scope and field rules apply."""
    if label == NO_ROWS:
        return {
            "x-data-scope": {"model": None, "description": "不返回业务数据行（如目录、校验结果），不按数据范围过滤"},
            "x-field-rules": {
                "model": None,
                "fields": {},
                "rules": dict(fieldrules.RULES),
                "description": "无字段规则",
            },
        }
    model = _model_class(label)
    if model is None:
        return {}
    scope = {
        "model": label,
        "organisation_field": getattr(model, "scope_org_field", None),
        "owner_field": getattr(model, "scope_owner_field", None),
        "kinds": list(SCOPE_KINDS),
        "description": "按当前用户在当前组织中授予本操作权限的角色的数据范围过滤（多个角色取并集）",
    }
    rules = {
        "model": label,
        "fields": fieldrules.ruleable_fields(model),
        "rules": dict(fieldrules.RULES),
        "description": "按角色的字段规则输出：隐藏的字段为空、脱敏的字段部分遮盖；写操作修改只读字段被拒绝（403）",
    }
    return {"x-data-scope": scope, "x-field-rules": rules}


def _path_params(path: str) -> list[str]:
    return [name.split(":")[-1] for name in re.findall(r"\{([^}]+)\}", path)]


def _ruled(func: Callable, method_names: list[str], path: str, model_label: str | None, object_label: str | None):
    """Wrap a handler so its result obeys field rules and its payload respects read-only fields."""
    from ninja.signature.utils import get_typed_signature

    writes = bool(set(method_names) & {"POST", "PUT", "PATCH"})
    id_params = _path_params(path)

    @functools.wraps(func)
    def handler(request, *args, **kwargs):
        ctx = getattr(request, "ctx", None)
        if writes and model_label and ctx is not None:
            _check_readonly(ctx, model_label, object_label, id_params, kwargs)
        return fieldrules.wrap(func(request, *args, **kwargs), ctx)

    # ninja resolves string annotations in the handler's module globals; hand it the
    # resolved signature because the wrapper lives in this module.
    handler.__signature__ = get_typed_signature(func)
    return handler


def _check_readonly(ctx, model_label, object_label, id_params, kwargs) -> None:
    from pydantic import BaseModel

    payloads = [v for v in kwargs.values() if isinstance(v, BaseModel)]
    if not payloads or not fieldrules.readonly_fields(ctx, model_label):
        return
    current = None
    if object_label == model_label and id_params and kwargs.get(id_params[-1]) is not None:
        model = _model_class(model_label)
        current = ctx.scoped(model._default_manager.all()).filter(pk=kwargs[id_params[-1]]).first()
    refused: list[str] = []
    for payload in payloads:
        if current is not None:
            fieldrules.settle_unchanged(ctx, model_label, payload, current)
        refused += fieldrules.refused_fields(ctx, model_label, payload, current)
    if refused:
        labels = "、".join(fieldrules.field_labels(model_label, refused))
        from qifu.core import audit

        audit.record_denied(
            "access.field_read_only",
            current,
            object_type=model_label,
            reason=f"修改只读字段：{labels}",
            detail={"fields": refused, "permission": ctx.permission},
        )
        raise Forbidden(
            f"字段「{labels}」对您的角色为只读，不能修改；请去掉这些字段或联系管理员调整字段权限",
            code="access.field_read_only",
            detail={"fields": refused},
        )


class QifuPathView(PathView):
    """A path's operations; a method none of them takes gets the JSON error shape (405), not plain text."""

    def _not_allowed(self):
        allowed = sorted({method for op in self.operations for method in op.methods})
        response = error_response(
            405,
            "request.method_not_allowed",
            f"该接口不支持此请求方法，可用的方法：{'、'.join(allowed)}",
            {"allowed": allowed},
        )
        response["Allow"] = ", ".join(allowed)
        return response

    def clone(self) -> QifuPathView:  # ninja clones each path's view when the router is mounted
        cloned = super().clone()
        cloned.__class__ = QifuPathView
        return cloned


class QifuRouter(Router):
    """A ninja Router whose operations must declare a permission and carry a capability tag."""

    def __init__(self, *, tag: str, **kwargs: Any):
        if tag not in CAPABILITY_TAGS:
            raise ValueError(f"unknown capability tag {tag!r}; add it to CAPABILITY_TAGS")
        super().__init__(tags=[tag], **kwargs)
        self.capability = tag

    def add_api_operation(self, path: str, *args: Any, **kwargs: Any) -> None:
        # The same normalisation ninja applies before it files the operation under its path.
        key = re.sub(r"\{uuid:(\w+)\}", r"{uuidstr:\1}", path, flags=re.IGNORECASE)
        self.path_operations.setdefault(key, QifuPathView())
        super().add_api_operation(path, *args, **kwargs)

    def api_operation(  # type: ignore[override]
        self,
        methods: list[str],
        path: str,
        *,
        permission: str,
        object: str | None = None,
        model: str | None = None,
        openapi_extra: dict[str, Any] | None = None,
        csrf: bool = True,
        **kwargs: Any,
    ) -> Callable:
        if not permissions.is_known(permission):
            raise ValueError(f"operation {methods} {path} declares unknown permission {permission!r}")
        extra = dict(openapi_extra or {})
        extra["x-permission"] = permission
        if not csrf:
            # A provider's callback carries no cookie and no token: it proves itself by its own signature,
            # checked by the handler before it reads or writes anything. Never for a signed-in operation.
            if permission != permissions.PUBLIC:
                raise ValueError(f"operation {methods} {path}: only public operations may skip the CSRF check")
            extra["x-csrf-exempt"] = True
        if object:
            # The model whose id the path carries; the access sweep uses it to find real ids.
            extra["x-object"] = object
        model = model or object
        if model:
            # An operation may refine the generated description (its own openapi_extra wins).
            extra = {**describe_model(model), **extra}
        register = super().api_operation(
            methods, path, auth=OperationAuth(permission, csrf=csrf), openapi_extra=extra, **kwargs
        )
        ruled_model = None if model == NO_ROWS else model

        def decorator(func: Callable) -> Callable:
            register(_ruled(func, [m.upper() for m in methods], path, ruled_model, object))
            return func  # the module keeps the plain function (tests may call it directly)

        return decorator

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
