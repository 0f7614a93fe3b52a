"""Field rules on loan applications reach every side's view: the rules are kept on
``finance.loanapplication`` and apply through the per-side proxies (enterprise, institution)
in the detail, the list and the Excel export alike."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from qifu.core import tenancy
from qifu.finance.tests.test_finance import _apply, bank, product  # noqa: F401  (fixtures)

PHONE = "13812345678"
CONTACT = "王五联系人"
RULES = {"finance.loanapplication": {"contact_phone": "masked", "contact_name": "hidden"}}


@pytest.fixture
def application(cast, api, bank, product):  # noqa: F811
    response = _apply(api(cast.enterprise_owner), product, contact_name=CONTACT, contact_phone=PHONE)
    assert response.status_code == 201, response.content
    return response.json()


def _restrict(cast, role_code: str) -> None:
    with tenancy.tenant_scope(cast.tenant):
        role = cast.roles[role_code]
        role.field_rules = RULES
        role.save()


def _sheet(response) -> list[tuple]:
    assert response.status_code == 200, response.content
    return list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))


def _check_views(client, base: str, export: str, app_id: int) -> None:
    detail = client.get(f"{base}/{app_id}")
    assert detail.status_code == 200, detail.content
    assert detail.json()["contact_phone"] == "138****5678"
    assert detail.json()["contact_name"] == ""
    listing = client.get(base)
    assert listing.status_code == 200 and listing.json()["total"] == 1
    assert PHONE.encode() not in listing.content and CONTACT.encode() not in listing.content
    header, *rows = _sheet(client.get(export))
    assert "联系人" not in header  # the hidden column is dropped
    assert len(rows) == 1
    assert rows[0][header.index("联系电话")] == "138****5678"
    assert CONTACT not in rows[0] and PHONE not in rows[0]


def test_the_bank_side_obeys_the_rules(cast, api, bank, application):  # noqa: F811
    _restrict(cast, "institution_admin")
    client = api(bank.admin)
    _check_views(
        client, "finance/institution/applications", "finance/institution/applications/export", application["id"]
    )


def test_the_government_side_obeys_the_rules(cast, api, application):
    _restrict(cast, "district_staff")
    _check_views(api(cast.staff_a), "finance/applications", "finance/applications/export", application["id"])


def test_the_enterprise_side_obeys_the_rules_on_its_own_applications(cast, api, application):
    _restrict(cast, "enterprise_owner")
    detail = api(cast.enterprise_owner).get(f"finance/my/applications/{application['id']}")
    assert detail.status_code == 200, detail.content
    assert (detail.json()["contact_name"], detail.json()["contact_phone"]) == ("", "138****5678")


def test_without_rules_the_bank_sees_the_contact(cast, api, bank, application):  # noqa: F811
    detail = api(bank.admin).get(f"finance/institution/applications/{application['id']}").json()
    assert (detail["contact_name"], detail["contact_phone"]) == (CONTACT, PHONE)
