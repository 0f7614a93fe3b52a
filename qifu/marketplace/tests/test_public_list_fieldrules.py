"""The public product list obeys field rules on its filters and sort: it is not data-scoped, so the
list itself runs the visitor's conditions through ``fieldrules.restrict_filters`` (a filter on a field
hidden or masked for a signed-in user matches nothing) and its order through
``fieldrules.restrict_ordering``. Anonymous visitors, users without the rule and platform admins see
the list as before; a hidden status neither empties it nor lets unlisted products in."""

from __future__ import annotations

import pytest

from qifu.core import tenancy
from qifu.core.testing.views import set_field_rules
from qifu.marketplace.services import catalogue
from qifu.marketplace.tests.conftest import PRODUCT


def _found(client, **filters) -> list[int]:
    response = client.get("marketplace/products", filters)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@pytest.fixture
def online(cast, market):
    """A second listed product, online only, listed after the fixture's one; and an unlisted third."""
    with tenancy.tenant_scope(cast.tenant):
        product = catalogue.create_product(
            cast.institution,
            {**PRODUCT, "name": "线上合同咨询", "delivery": "online", "category_id": market.contract.pk},
        )
        catalogue.approve_revision(product.revisions.get())
        catalogue.create_product(cast.institution, {**PRODUCT, "name": "待审核套餐", "category_id": market.contract.pk})
    return product.pk


@pytest.mark.parametrize(
    ("rules", "filters"),
    [
        ({"marketplace.product": {"delivery": "hidden"}}, {"delivery": "online"}),
        ({"marketplace.category": {"parent": "hidden"}}, {"category_id": "legal"}),  # the parent category
    ],
)
def test_a_filter_on_a_withheld_field_matches_nothing(cast, api, market, online, rules, filters):
    if filters.get("category_id") == "legal":
        filters = {"category_id": market.legal.pk}
    expected = [online, market.product.pk]  # "online" also lists products offered both ways
    set_field_rules(cast, "enterprise_owner", rules)
    assert _found(api(cast.enterprise_owner), **filters) == []
    for who in (None, cast.tenant_admin, cast.platform_admin):
        assert _found(api(who), **filters) == expected


def test_a_sort_by_a_withheld_field_is_ignored(cast, api, market, online):
    """``newest`` ranks by the listing time; hidden, the default order (newest id first) is used."""
    with tenancy.tenant_scope(cast.tenant):
        # The older product's listing time is made the newest: the two orders now differ.
        from django.utils import timezone

        from qifu.marketplace.models import Product

        Product.objects.filter(pk=market.product.pk).update(listed_at=timezone.now() + timezone.timedelta(days=1))
    assert _found(api(None), sort="newest") == [market.product.pk, online]
    set_field_rules(cast, "enterprise_owner", {"marketplace.product": {"listed_at": "hidden"}})
    assert _found(api(cast.enterprise_owner), sort="newest") == [online, market.product.pk]


def test_a_hidden_status_neither_empties_the_list_nor_lets_unlisted_products_in(cast, api, market, online):
    set_field_rules(cast, "enterprise_owner", {"marketplace.product": {"status": "hidden"}})
    listed = {market.product.pk, online}
    assert set(_found(api(cast.enterprise_owner))) == listed
    assert set(_found(api(None))) == listed
