"""The public product list obeys field rules on its filters: it is not data-scoped, so the list itself
runs the visitor's filters through ``fieldrules.restrict_filters`` — a filter or search word on a field
hidden or masked for a signed-in user matches nothing (the value cannot be probed), while anonymous
visitors, users without the rule and platform admins find the product as before."""

from __future__ import annotations

import pytest

from qifu.core.testing.views import set_field_rules
from qifu.finance.tests.test_finance import bank, product  # noqa: F401  (fixtures)


def _found(client, **filters) -> list[int]:
    response = client.get("finance/products", filters)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("rules", "filters"),
    [
        ({"finance.financialproduct": {"summary": "hidden"}}, {"q": "随借随还"}),
        ({"finance.financialproduct": {"name": "masked"}}, {"q": "科创信用贷"}),
        ({"orgs.institution": {"name": "hidden"}}, {"q": "农商银行"}),  # through product.institution
        ({"finance.financialproduct": {"kind": "hidden"}}, {"kind": "credit"}),
    ],
)
def test_a_filter_on_a_withheld_field_matches_nothing(cast, api, product, rules, filters):  # noqa: F811
    set_field_rules(cast, "enterprise_owner", rules)
    assert _found(api(cast.enterprise_owner), **filters) == []
    assert _found(api(cast.enterprise_owner)) == [product["id"]]  # unfiltered, the product is listed
    for who in (None, cast.tenant_admin, cast.platform_admin):
        assert _found(api(who), **filters) == [product["id"]]


def test_other_words_still_match_and_a_hidden_status_does_not_empty_the_list(cast, api, bank, product):  # noqa: F811
    """The listing conditions (listed, institution admitted) are the server's: a rule hiding the
    status must neither empty the list nor bring unlisted products into it."""
    set_field_rules(cast, "enterprise_owner", {"finance.financialproduct": {"summary": "hidden", "status": "hidden"}})
    owner = api(cast.enterprise_owner)
    assert _found(owner, q="科创") == [product["id"]]
    unlisted = api(bank.admin).post("finance/institution/products", {**PRODUCT_B})
    assert unlisted.status_code == 201, unlisted.content
    api(bank.admin).post(f"finance/institution/products/{unlisted.json()['id']}/unlist")
    assert _found(owner) == [product["id"]]
    assert _found(api(None)) == [product["id"]]


PRODUCT_B = {
    "name": "科创订单贷",
    "kind": "credit",
    "summary": "按订单放款",
    "min_amount": "100000.00",
    "max_amount": "1000000.00",
    "min_rate": "3.500",
    "max_rate": "4.800",
    "min_term": 6,
    "max_term": 12,
    "guarantee_method": "信用",
    "repayment_method": "按月付息到期还本",
    "required_materials": [],
}
