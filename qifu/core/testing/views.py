"""Checks shared by tests that look at one record through an API detail, list and Excel export."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from qifu.core import tenancy


def set_field_rules(cast, role_code: str, rules: dict) -> None:
    """Give the cast's built-in role ``role_code`` these field rules ({model: {field: rule}})."""
    with tenancy.tenant_scope(cast.tenant):
        role = cast.roles[role_code]
        role.field_rules = rules
        role.save()


def sheet_rows(response) -> list[tuple]:
    """The rows of an Excel export's first sheet, header first."""
    assert response.status_code == 200, response.content
    return list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))


def assert_contact_ruled(client, base: str, export: str, obj_id: int, *, phone: str, contact: str) -> None:
    """``contact_phone`` masked and ``contact_name`` hidden in the detail, the list and the export."""
    masked = f"{phone[:3]}****{phone[-4:]}"
    detail = client.get(f"{base}/{obj_id}")
    assert detail.status_code == 200, detail.content
    assert detail.json()["contact_phone"] == masked
    assert detail.json()["contact_name"] == ""
    listing = client.get(base)
    assert listing.status_code == 200 and listing.json()["total"] == 1
    assert phone.encode() not in listing.content and contact.encode() not in listing.content
    header, *rows = sheet_rows(client.get(export))
    assert "联系人" not in header  # the hidden column is dropped
    assert len(rows) == 1
    assert rows[0][header.index("联系电话")] == masked
    assert contact not in rows[0] and phone not in rows[0]
