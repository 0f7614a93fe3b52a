"""Field rules on service applications reach every side's view: the rules are kept on
``marketplace.application`` and apply through the per-side proxies (government, institution)
in the detail, the list and the Excel export alike."""

from __future__ import annotations

import pytest

from qifu.core import fieldrules
from qifu.core.testing.views import assert_contact_ruled, set_field_rules
from qifu.marketplace.tests.conftest import apply

PHONE = "13812345678"
CONTACT = "王五联系人"
RULES = {"marketplace.application": {"contact_phone": "masked", "contact_name": "hidden"}}


@pytest.fixture
def application(cast, api, market):
    return apply(api(cast.enterprise_owner), market.product, contact_name=CONTACT, contact_phone=PHONE)


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
    set_field_rules(cast, role, RULES)
    assert_contact_ruled(api(getattr(cast, who)), base, export, application["id"], phone=PHONE, contact=CONTACT)


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
