"""The one error shape: ``{"code": "domain.reason", "message": "中文说明", "detail": {...}}``."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger("qifu.api")


class ApiError(Exception):
    """Raise from services or handlers; becomes the standard error response."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None, detail: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.detail = detail or {}


class NotFound(ApiError):
    status = 404

    def __init__(self, message: str = "对象不存在或无权访问", code: str = "common.not_found", detail=None):
        super().__init__(code, message, detail=detail)


class Forbidden(ApiError):
    status = 403

    def __init__(self, message: str = "没有执行此操作的权限", code: str = "auth.forbidden", detail=None):
        super().__init__(code, message, detail=detail)


class Unauthenticated(ApiError):
    status = 401

    def __init__(self, message: str = "请先登录", code: str = "auth.unauthenticated"):
        super().__init__(code, message)


class Conflict(ApiError):
    status = 409

    def __init__(self, code: str, message: str, detail=None):
        super().__init__(code, message, detail=detail)


class RuleViolation(ApiError):
    """A business rule refused the change (a state transition, a quota, a tree rule)."""

    status = 422


def error_body(code: str, message: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "detail": detail or {}}


def error_response(status: int, code: str, message: str, detail: dict[str, Any] | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, detail), status=status, json_dumps_params={"ensure_ascii": False})


# Pydantic error types → Chinese. ``ctx`` values are interpolated where present.
_PYDANTIC_MESSAGES = {
    "missing": "必填项",
    "string_too_short": "长度不能少于 {min_length} 个字符",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "string_type": "应为文本",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_max_places": "小数位数不能超过 {decimal_places} 位",
    "bool_parsing": "应为是或否",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "date_parsing": "日期格式不正确（应为 YYYY-MM-DD）",
    "date_from_datetime_parsing": "日期格式不正确（应为 YYYY-MM-DD）",
    "datetime_parsing": "时间格式不正确",
    "datetime_from_date_parsing": "时间格式不正确",
    "enum": "取值应为：{expected}",
    "literal_error": "取值应为：{expected}",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "too_long": "条目不能超过 {max_length} 个",
    "too_short": "条目不能少于 {min_length} 个",
    "value_error": "{error}",
    "assertion_error": "{error}",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "JSON 格式不正确",
    "uuid_parsing": "应为 UUID",
}


def _translate(err: dict[str, Any]) -> str:
    template = _PYDANTIC_MESSAGES.get(err.get("type", ""))
    if template is None:
        return "取值不正确"
    ctx = dict(err.get("ctx") or {})
    if "error" in ctx:
        ctx["error"] = str(ctx["error"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("：: ") or "取值不正确"


def field_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """``{"body.name": ["必填项"]}`` — the location without ninja's wrapper names."""
    fields: dict[str, list[str]] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("payload", "data", "params", "filters")]
        key = ".".join(loc[1:] if loc and loc[0] in ("body", "query", "path", "form", "file") else loc) or "__all__"
        fields.setdefault(key, []).append(_translate(err))
    return fields


def install(api) -> None:
    """Attach the handlers to a NinjaAPI so every failure uses the one shape."""

    def create(request, status, code, message, detail=None):
        return api.create_response(request, error_body(code, message, detail), status=status)

    @api.exception_handler(ApiError)
    def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return create(request, exc.status, exc.code, exc.message, exc.detail)

    @api.exception_handler(NinjaValidationError)
    def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields = field_errors(exc.errors)
        first = next(iter(fields.items()))
        message = f"提交的数据有误：{first[0]} {first[1][0]}" if first[0] != "__all__" else first[1][0]
        return create(request, 422, "request.invalid", message, {"fields": fields})

    @api.exception_handler(DjangoValidationError)
    def _django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        message = "；".join(m for msgs in fields.values() for m in msgs)
        return create(request, 422, "request.invalid", message, {"fields": fields})

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
        return create(request, 401, "auth.unauthenticated", "请先登录")

    @api.exception_handler(PermissionDenied)
    def _denied(request: HttpRequest, exc: Exception) -> HttpResponse:
        return create(request, 403, "auth.forbidden", "没有执行此操作的权限")

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return create(request, 404, "common.not_found", "对象不存在或无权访问")

    @api.exception_handler(HttpError)
    def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # ninja wraps body-parsing failures in HttpError(400); our parser's ApiError is the cause.
        if isinstance(exc.__cause__, ApiError):
            cause = exc.__cause__
            return create(request, cause.status, cause.code, cause.message, cause.detail)
        return create(request, exc.status_code, f"http.{exc.status_code}", str(exc))

    @api.exception_handler(Exception)
    def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return create(request, 500, "server.error", "服务器内部错误，请稍后重试；如持续出现请联系管理员并提供请求编号")
