"""Field rules on loan applications reach every side's view: the rules are kept on
``finance.loanapplication`` and apply through the per-side proxies (enterprise, institution)
in the detail, the list and the Excel export alike."""

from __future__ import annotations

import pytest

from qifu.core.testing.views import assert_contact_ruled, set_field_rules
from qifu.finance.tests.test_finance import _apply, bank, product  # noqa: F401  (fixtures)

PHONE = "13812345678"
CONTACT = "王五联系人"
RULES = {"finance.loanapplication": {"contact_phone": "masked", "contact_name": "hidden"}}


@pytest.fixture
def application(cast, api, bank, product):  # noqa: F811
    response = _apply(api(cast.enterprise_owner), product, contact_name=CONTACT, contact_phone=PHONE)
    assert response.status_code == 201, response.content
    return response.json()


def test_the_bank_side_obeys_the_rules(cast, api, bank, application):  # noqa: F811
    set_field_rules(cast, "institution_admin", RULES)
    client = api(bank.admin)
    assert_contact_ruled(
        client,
        "finance/institution/applications",
        "finance/institution/applications/export",
        application["id"],
        phone=PHONE,
        contact=CONTACT,
    )


def test_the_government_side_obeys_the_rules(cast, api, application):
    set_field_rules(cast, "district_staff", RULES)
    assert_contact_ruled(
        api(cast.staff_a),
        "finance/applications",
        "finance/applications/export",
        application["id"],
        phone=PHONE,
        contact=CONTACT,
    )


def test_the_enterprise_side_obeys_the_rules_on_its_own_applications(cast, api, application):
    set_field_rules(cast, "enterprise_owner", RULES)
    detail = api(cast.enterprise_owner).get(f"finance/my/applications/{application['id']}")
    assert detail.status_code == 200, detail.content
    assert (detail.json()["contact_name"], detail.json()["contact_phone"]) == ("", "138****5678")


def test_without_rules_the_bank_sees_the_contact(cast, api, bank, application):  # noqa: F811
    detail = api(bank.admin).get(f"finance/institution/applications/{application['id']}").json()
    assert (detail["contact_name"], detail["contact_phone"]) == (CONTACT, PHONE)
