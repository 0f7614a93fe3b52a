"""Excel exports: formula cells neutralised, field rules applied, large exports capped."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from qifu.core import exports
from qifu.core.audit_models import AuditEntry
from qifu.core.errors import ApiError


def _sheet(response):
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb.active
    return [[c.value for c in row] for row in ws.iter_rows()], ws


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x", '=HYPERLINK("http://x")'])
def test_formula_like_text_is_stored_as_text(value):
    response = exports.xlsx_response("t.xlsx", [("v", "值")], [{"v": value}])
    rows, ws = _sheet(response)
    cell = ws.cell(row=2, column=1)
    assert cell.data_type == "s"
    assert rows[1][0].startswith("'")
    assert ws.cell(row=2, column=1).value != value


def test_escape_prefixes_exactly_one_quote():
    assert exports.escape("=1+1") == "'=1+1"
    assert exports.escape("华创=1") == "华创=1"


def test_values_keep_their_types_and_plain_text_is_untouched():
    row = {
        "name": "华创电子",
        "capital": Decimal("100.50"),
        "count": 3,
        "on": dt.date(2026, 1, 2),
        "ok": True,
        "none": None,
        "bad": "a\x00b",
    }
    columns = [(k, k) for k in row]
    rows, _ = _sheet(exports.xlsx_response("t", columns, [row]))
    assert rows[0] == list(row)
    assert rows[1][0] == "华创电子"
    assert rows[1][1] == pytest.approx(100.5)
    assert rows[1][2] == 3
    assert rows[1][3].date() == dt.date(2026, 1, 2)
    assert rows[1][4] == "是"
    assert rows[1][5] in (None, "")
    assert rows[1][6] == "ab"


def test_filename_and_headers():
    response = exports.xlsx_response("企业列表", [("a", "A")], [])
    assert response["Content-Type"] == exports.XLSX_TYPE
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert ".xlsx" in response["Content-Disposition"]


def test_too_many_rows_are_refused(settings):
    settings.QIFU_EXPORT_MAX_ROWS = 2
    with pytest.raises(ApiError) as err:
        exports.xlsx_response("t", [("a", "A")], [{"a": i} for i in range(3)])
    assert err.value.status == 422
    assert "上限" in err.value.message


def test_enterprise_export_obeys_scope_and_field_rules(cast, api):
    staff = api(cast.staff_a).get("access/enterprises/export")
    assert staff.status_code == 200
    rows, _ = _sheet(staff)
    header, data = rows[0], rows[1:]
    names = [r[header.index("企业名称")] for r in data]
    assert names == [cast.enterprise_a.name]
    id_number = data[0][header.index("法定代表人身份证号")]
    assert id_number != "11010519491231002X" and "*" in id_number and id_number.endswith("002X")

    admin = api(cast.tenant_admin).get("access/enterprises/export")
    rows, _ = _sheet(admin)
    header = rows[0]
    assert {r[header.index("企业名称")] for r in rows[1:]} == {cast.enterprise_a.name, cast.enterprise_b.name}
    assert {r[header.index("法定代表人身份证号")] for r in rows[1:]} == {"11010519491231002X"}


def test_hidden_field_column_is_dropped(cast, api, in_tenant):
    role = cast.roles["district_staff"]
    role.field_rules = {"orgs.enterprise": {"legal_rep_id_number": "hidden", "contact_phone": "masked"}}
    role.save()
    rows, _ = _sheet(api(cast.staff_a).get("access/enterprises/export"))
    assert "法定代表人身份证号" not in rows[0]
    assert "企业名称" in rows[0]


def test_export_is_recorded_in_the_operation_log(cast, api):
    api(cast.staff_a).get("access/enterprises/export")
    from qifu.core import tenancy

    with tenancy.tenant_scope(cast.tenant):
        entry = AuditEntry.objects.filter(action="export.xlsx").first()
    assert entry is not None
    assert entry.actor_id == cast.staff_a.id
    assert entry.object_type == "orgs.enterprise"
    assert entry.changes["rows"] == 1


def test_export_without_permission_is_refused(cast, api):
    assert api(cast.no_role_user).get("access/enterprises/export").status_code == 403
    assert api(None).get("access/enterprises/export").status_code == 401
