"""Field rules on service applications reach every side's view: the rules are kept on
``marketplace.application`` and apply through the per-side proxies (government, institution)
in the detail, the list and the Excel export alike."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from qifu.core import fieldrules, tenancy
from qifu.marketplace.tests.conftest import apply

PHONE = "13812345678"
CONTACT = "王五联系人"
RULES = {"marketplace.application": {"contact_phone": "masked", "contact_name": "hidden"}}


@pytest.fixture
def application(cast, api, market):
    return apply(api(cast.enterprise_owner), market.product, contact_name=CONTACT, contact_phone=PHONE)


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


@pytest.mark.parametrize(
    ("who", "role", "base", "export"),
    [
        ("staff_a", "district_staff", "marketplace/applications", "marketplace/applications/export"),
        (
            "institution_admin",
            "institution_admin",
            "marketplace/institution/applications",
            "marketplace/institution/applications/export",
        ),
    ],
)
def test_each_side_obeys_the_rules(cast, api, application, who, role, base, export):
    _restrict(cast, role)
    _check_views(api(getattr(cast, who)), base, export, application["id"])


def test_without_rules_the_side_sees_the_contact(cast, api, application):
    detail = api(cast.staff_a).get(f"marketplace/applications/{application['id']}").json()
    assert (detail["contact_name"], detail["contact_phone"]) == (CONTACT, PHONE)


def test_the_role_editor_lists_the_application_once(cast, api):
    models = api(cast.tenant_admin).get("access/catalogue").json()["field_models"]
    assert "marketplace.application" in models
    proxies = {
        "marketplace.governmentapplication",
        "marketplace.institutionapplication",
        "marketplace.enterpriseapplication",
    }
    assert not proxies & set(models)


def test_rules_given_for_a_proxy_are_kept_on_the_application(db):
    cleaned = fieldrules.validate_rules({"marketplace.governmentapplication": {"contact_phone": "masked"}})
    assert cleaned == {"marketplace.application": {"contact_phone": "masked"}}
