"""The small application form a product declares, and validation of what an enterprise submits.

A form is a list of fields::

    [{"key": "employees", "label": "员工人数", "type": "number", "required": true, "min": 1, "max": 100000},
     {"key": "topic", "label": "咨询事项", "type": "select", "options": ["合同审查", "劳动纠纷"]}]

Types: text, textarea, number, date, select, multiselect, boolean.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from qifu.core.errors import ApiError

TYPES = {
    "text": "单行文本",
    "textarea": "多行文本",
    "number": "数字",
    "date": "日期",
    "select": "单选",
    "multiselect": "多选",
    "boolean": "是/否",
}
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 30


def _bad(message: str, field: str = "form_fields") -> ApiError:
    return ApiError("marketplace.form_invalid", message, status=422, detail={"fields": {field: [message]}})


def clean_definition(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate a product's form definition; returns the normalised list."""
    if not isinstance(fields, list):
        raise _bad("申请表单应为字段列表")
    if len(fields) > MAX_FIELDS:
        raise _bad(f"申请表单最多 {MAX_FIELDS} 个字段")
    seen: set[str] = set()
    cleaned = []
    for index, raw in enumerate(fields, start=1):
        if not isinstance(raw, dict):
            raise _bad(f"第 {index} 个字段格式不正确")
        key = str(raw.get("key", "")).strip()
        label = str(raw.get("label", "")).strip()
        kind = raw.get("type", "text")
        if not KEY_RE.match(key):
            raise _bad(f"第 {index} 个字段的标识应以小写字母开头，只含小写字母、数字和下划线")
        if key in seen:
            raise _bad(f"字段标识 {key} 重复")
        seen.add(key)
        if not label or len(label) > 50:
            raise _bad(f"字段 {key} 需要 1–50 个字的名称")
        if kind not in TYPES:
            raise _bad(f"字段 {label} 的类型不支持，可选：{'、'.join(TYPES.values())}")
        field: dict[str, Any] = {"key": key, "label": label, "type": kind, "required": bool(raw.get("required"))}
        if kind in ("select", "multiselect"):
            options = [str(o).strip() for o in raw.get("options") or [] if str(o).strip()]
            if not options or len(options) > 50 or len(set(options)) != len(options):
                raise _bad(f"字段 {label} 需要 1–50 个互不相同的选项")
            field["options"] = options
        if kind == "number":
            for bound in ("min", "max"):
                if raw.get(bound) is not None:
                    try:
                        field[bound] = float(raw[bound])
                    except (TypeError, ValueError):
                        raise _bad(f"字段 {label} 的{'最小' if bound == 'min' else '最大'}值应为数字") from None
        if kind in ("text", "textarea"):
            field["max_length"] = min(int(raw.get("max_length") or (200 if kind == "text" else 2000)), 5000)
        if raw.get("help"):
            field["help"] = str(raw["help"])[:200]
        cleaned.append(field)
    return cleaned


def clean_submission(fields: list[dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
    """Validate submitted values against the form; unknown keys are refused, not dropped silently."""
    if not isinstance(data, dict):
        raise _bad("申请表单内容应为对象", "form_data")
    errors: dict[str, list[str]] = {}
    known = {f["key"] for f in fields}
    for key in data:
        if key not in known:
            errors.setdefault(f"form_data.{key}", []).append("表单中没有此字段")
    result: dict[str, Any] = {}
    for field in fields:
        key, label, _kind = field["key"], field["label"], field["type"]
        value = data.get(key)
        empty = value is None or value == "" or value == []
        if empty:
            if field.get("required"):
                errors.setdefault(f"form_data.{key}", []).append(f"请填写{label}")
            continue
        try:
            result[key] = _clean_value(field, value)
        except ValueError as exc:
            errors.setdefault(f"form_data.{key}", []).append(str(exc))
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApiError("marketplace.form_invalid", f"申请表单有误：{first}", status=422, detail={"fields": errors})
    return result


def _clean_value(field: dict[str, Any], value: Any) -> Any:
    label, kind = field["label"], field["type"]
    if kind in ("text", "textarea"):
        text = str(value).strip()
        if len(text) > field.get("max_length", 200):
            raise ValueError(f"{label}不能超过 {field.get('max_length', 200)} 个字")
        return text
    if kind == "number":
        if isinstance(value, bool):
            raise ValueError(f"{label}应为数字")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{label}应为数字") from None
        if not number.is_finite():
            raise ValueError(f"{label}应为数字")
        if field.get("min") is not None and number < Decimal(str(field["min"])):
            raise ValueError(f"{label}不能小于 {field['min']:g}")
        if field.get("max") is not None and number > Decimal(str(field["max"])):
            raise ValueError(f"{label}不能大于 {field['max']:g}")
        return float(number) if number != number.to_integral_value() else int(number)
    if kind == "date":
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError(f"{label}应为日期（YYYY-MM-DD）") from None
    if kind == "select":
        if str(value) not in field["options"]:
            raise ValueError(f"{label}应从选项中选择")
        return str(value)
    if kind == "multiselect":
        values = value if isinstance(value, list) else [value]
        values = [str(v) for v in values]
        if any(v not in field["options"] for v in values):
            raise ValueError(f"{label}应从选项中选择")
        return list(dict.fromkeys(values))
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"{label}应为是或否")
        return value
    raise ValueError(f"{label}类型不支持")
