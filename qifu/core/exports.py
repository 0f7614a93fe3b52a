"""Excel exports, the one way data leaves as a file.

    return xlsx_response(
        "企业列表.xlsx",
        [("name", "企业名称"), ("credit_code", "统一社会信用代码"), ("town.name", "镇街")],
        request.ctx.scoped(selectors.enterprises(filters)),
        ctx=request.ctx,
        model="orgs.enterprise",
    )

* Rows are dicts or objects; column keys may be dotted (``town.name``). A model
  field with choices is written as its label, booleans as 是/否, times in Asia/Shanghai.
* Every text cell that starts with ``= + - @``, a tab or a carriage return is
  prefixed with ``'`` and stored as text, so a spreadsheet never runs it as a formula.
* With ``ctx`` and ``model`` the request's field rules apply: hidden columns are
  dropped, masked values masked. A dotted column follows the rules of every model on its
  way (``enterprise.credit_code`` goes when the enterprise's credit code is hidden). Objects
  are read through the same proxy the API uses. A proxy model (one side's view) is ruled
  as the model it proxies.
* Openpyxl's write-only mode streams rows to a temporary file; more rows than
  ``QIFU_EXPORT_MAX_ROWS`` (default 50,000) are refused with a message to narrow the filter.
* With ``ctx`` the export itself is recorded in the operation log (who exported what, how many rows).
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from qifu.core import fieldrules
from qifu.core.errors import ApiError

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Control characters Excel refuses inside a cell (openpyxl raises on them).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f]")


def max_rows() -> int:
    return int(getattr(settings, "QIFU_EXPORT_MAX_ROWS", 50_000))


def escape(value: str) -> str:
    """Neutralise a would-be formula: ``=1+1`` → ``'=1+1`` (shown as text, never evaluated)."""
    value = _ILLEGAL.sub("", value)
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell_value(value: Any) -> Any:
    """A Python value as something a spreadsheet cell holds safely."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float, Decimal)):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (list, tuple, set)):
        return escape("、".join(str(cell_value(v)) for v in value))
    if isinstance(value, fieldrules.Ruled):
        value = value._obj
    return escape(str(value))


def _display(row: Any, key: str, ctx) -> Any:
    """The column value, with choice labels for model fields that have choices."""
    if "." not in key and isinstance(row, models.Model):
        try:
            field = row._meta.get_field(key)
        except Exception:
            field = None
        if field is not None and getattr(field, "choices", None) and getattr(field, "concrete", False):
            value = fieldrules.read(row, key, ctx)
            return dict(field.flatchoices).get(value, value)
    return fieldrules.read(row, key, ctx)


def column_rule(key: str, ctx, model) -> str:
    """The strictest rule on the way to a (dotted) column: ``enterprise.credit_code`` is hidden when
    the application's ``enterprise`` or the enterprise's ``credit_code`` is hidden for the user."""
    model_cls = _model_class(model)
    strictest = fieldrules.VISIBLE
    for part in key.split("."):
        if model_cls is None:
            break
        field_name = fieldrules._field_of(model_cls, part)
        if field_name is None:
            break
        rule = fieldrules.rules_for(ctx, model_cls).get(field_name, fieldrules.VISIBLE)
        if fieldrules._RANK[rule] > fieldrules._RANK[strictest]:
            strictest = rule
        field = model_cls._meta.get_field(field_name)
        model_cls = field.related_model if field.is_relation else None
    return strictest


def _visible_columns(columns: list[tuple[str, str]], ctx, model) -> list[tuple[str, str]]:
    if ctx is None or model is None:
        return list(columns)
    return [(key, header) for key, header in columns if column_rule(key, ctx, model) != fieldrules.HIDDEN]


def _model_class(model):
    return None if model is None else fieldrules.concrete(model)


def _masked_dict_value(row: dict, key: str, ctx, model) -> Any:
    """Dict rows carry no model: apply the declared model's rules by column name."""
    value = fieldrules.read(row, key, None)
    if ctx is None or model is None:
        return value
    if column_rule(key, ctx, model) == fieldrules.MASKED:
        return fieldrules.mask_value(value)
    return value


def build_workbook(columns: list[tuple[str, str]], rows: Iterable[Any], ctx=None, model=None, *, title: str = "导出"):
    """A write-only workbook holding ``rows``; returns (workbook, number of data rows)."""
    visible = _visible_columns(columns, ctx, model)
    limit = max_rows()
    if isinstance(rows, QuerySet):
        total = rows.count()
        if total > limit:
            raise ApiError(
                "export.too_many_rows",
                f"导出数据共 {total} 行，超过上限 {limit} 行，请缩小筛选范围后分批导出",
                status=422,
                detail={"rows": total, "limit": limit},
            )
        rows = rows.iterator(chunk_size=2000)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=escape(title)[:31] or "Sheet1")
    bold = Font(bold=True)
    header = []
    for _, text in visible:
        cell = WriteOnlyCell(ws, value=cell_value(text))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    count = 0
    try:
        for row in rows:
            count += 1
            if count > limit:
                raise ApiError(
                    "export.too_many_rows",
                    f"导出数据超过上限 {limit} 行，请缩小筛选范围后分批导出",
                    status=422,
                    detail={"limit": limit},
                )
            values = []
            for key, _ in visible:
                raw = _masked_dict_value(row, key, ctx, model) if isinstance(row, dict) else _display(row, key, ctx)
                cell = WriteOnlyCell(ws, value=cell_value(raw))
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, never a formula, whatever it looks like
                values.append(cell)
            ws.append(values)
    except Exception:
        ws.close()  # release the streaming writer's temporary file
        raise
    return wb, count


def xlsx_response(
    filename: str,
    columns: list[tuple[str, str]],
    rows: Iterable[dict | object],
    ctx=None,
    model=None,
) -> HttpResponse:
    """An .xlsx download of ``rows`` with ``columns`` ([(key, 表头)]), field rules applied."""
    if not filename.lower().endswith(".xlsx"):
        filename += ".xlsx"
    title = filename.rsplit(".", 1)[0]
    wb, count = build_workbook(columns, rows, ctx, model, title=title)
    with tempfile.TemporaryFile() as handle:
        wb.save(handle)
        handle.seek(0)
        content = handle.read()
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    if ctx is not None and getattr(ctx, "is_authenticated", False):
        from qifu.core import audit

        label = fieldrules.label_of(model) if model is not None else ""
        audit.record(
            "export.xlsx",
            object_type=label,
            object_repr=filename[:200],
            changes={"rows": count, "columns": [k for k, _ in _visible_columns(columns, ctx, model)]},
        )
    return response
