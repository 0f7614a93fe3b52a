"""Product search obeys field rules: an index field made of a model field hidden or masked for the
user (the description is summary + description + service area; the provider is the institution's
name, reached through a relation) neither matches nor ranks. Others still find the row."""

from __future__ import annotations

import pytest

from qifu.core import search, tenancy
from qifu.core.context import RequestContext
from qifu.core.testing.views import set_field_rules
from qifu.marketplace.models import Product
from qifu.marketplace.search_index import PRODUCTS
from qifu.marketplace.services import catalogue
from qifu.marketplace.tests.conftest import PRODUCT

PUBLIC = "marketplace/products"
OWN = "marketplace/institution/products"


def _list(cast, market, name: str) -> int:
    product = catalogue.create_product(
        cast.institution,
        {
            **PRODUCT,
            "name": name,
            "summary": "含孵化器入驻指导，商标注册",
            "description": "<p>提供众创空间对接</p>",
            "category_id": market.contract.pk,
        },
    )
    catalogue.approve_revision(product.revisions.get())
    return product.pk


@pytest.fixture
def products(cast, market):
    """Two products alike but for the title: only the first names 商标 in it; the second is newer."""
    with tenancy.tenant_scope(cast.tenant):
        return _list(cast, market, "商标代理套餐"), _list(cast, market, "版权代理套餐")


def _found(client, query: str, path: str = PUBLIC) -> list[int]:
    response = client.get(path, {"q": query})
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("rules", "word"),
    [
        ({"marketplace.product": {"summary": "hidden"}}, "孵化器"),
        ({"marketplace.product": {"description": "masked"}}, "孵化器"),  # same index field as the summary
        ({"marketplace.product": {"service_area": "hidden"}}, "众创空间"),
        ({"orgs.institution": {"name": "hidden"}}, "事务所"),  # the provider, through product.institution
    ],
)
def test_a_word_only_in_a_withheld_field_finds_nothing(cast, api, market, products, rules, word):
    first, second = products
    everyone = {first, second} | ({market.product.pk} if word == "事务所" else set())
    set_field_rules(cast, "enterprise_owner", rules)
    set_field_rules(cast, "institution_admin", rules)
    assert _found(api(cast.enterprise_owner), word) == []
    assert _found(api(cast.institution_admin), word, OWN) == []
    assert set(_found(api(cast.enterprise_owner), "套餐")) == {first, second}  # the title still matches
    # Without the rule: an anonymous visitor, the operator, a platform admin.
    assert set(_found(api(None), word)) == everyone
    assert set(_found(api(cast.tenant_admin), word)) == everyone
    assert set(_found(api(cast.platform_admin), word)) == everyone


def test_a_withheld_title_neither_matches_nor_ranks(cast, api, products):
    first, second = products
    assert _found(api(None), "商标") == [first, second]  # the title match ranks first
    set_field_rules(cast, "enterprise_owner", {"marketplace.product": {"name": "hidden"}})
    owner = api(cast.enterprise_owner)
    assert _found(owner, "代理套餐") == []
    # Both match through the description, equally; the newer comes first.
    assert _found(owner, "商标") == [second, first]
    ctx = RequestContext(request=None, user=cast.enterprise_owner, tenant=cast.tenant, permission="public")
    ctx.__dict__["organisation"] = cast.enterprise_a.organisation
    with tenancy.tenant_scope(cast.tenant):
        assert search.restricted_fields(PRODUCTS, ctx) == {"title"}
        ranks = dict(search.filter(PRODUCTS, Product.objects.all(), "商标", ctx=ctx).values_list("pk", "search_rank"))
        free = dict(search.filter(PRODUCTS, Product.objects.all(), "商标", ctx=None).values_list("pk", "search_rank"))
    assert ranks[first] == pytest.approx(ranks[second]) and free[first] > free[second]


def test_every_field_withheld_matches_nothing(cast, api, products):
    rules = {"marketplace.product": {"name": "hidden", "summary": "hidden"}, "marketplace.category": {"name": "hidden"}}
    set_field_rules(cast, "enterprise_owner", {**rules, "orgs.institution": {"name": "masked"}})
    owner = api(cast.enterprise_owner)
    assert _found(owner, "套餐") == [] and _found(owner, "商标") == []
    assert owner.get(PUBLIC).json()["total"] == 3  # no query: every listed product
