"""Filters, search and exports cannot reveal a field hidden or masked for the user.

A condition on such a field matches nothing (``fieldrules.restrict_filters``, applied by
``ctx.scoped``): searching by a credit-code prefix finds nothing, while the same search
box still finds by name. Exports drop a dotted column whose end field is hidden.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.db.models import F
from django.db.models.functions import Substr
from django.utils import timezone
from openpyxl import load_workbook

from qifu.core import fieldrules
from qifu.core.context import RequestContext
from qifu.marketplace.models import Category, Product
from qifu.marketplace.services import catalogue
from qifu.orgs.models import Enterprise


@pytest.fixture
def credit_code_hidden(cast, in_tenant):
    role = cast.roles["district_staff"]
    role.field_rules = {"orgs.enterprise": {"credit_code": "hidden", "legal_rep_id_number": "masked"}}
    role.save()
    return role


def _items(response):
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_search_by_a_hidden_credit_code_prefix_finds_nothing(cast, api, credit_code_hidden):
    client = api(cast.staff_a)
    prefix = cast.enterprise_a.credit_code[:8]
    assert _items(client.get("access/enterprises", {"q": prefix})) == []
    assert client.get("access/enterprises", {"q": prefix}).json()["total"] == 0
    # The name half of the same search still works, and the code stays hidden in the answer.
    [row] = _items(client.get("access/enterprises", {"q": "精密"}))
    assert row["id"] == cast.enterprise_a.id and row["credit_code"] == ""
    export = client.get("access/enterprises/export", {"q": prefix})
    assert export.status_code == 200
    assert len(list(load_workbook(BytesIO(export.content)).active.iter_rows())) == 1  # the header only


def test_the_admin_still_searches_by_credit_code(cast, api, credit_code_hidden):
    rows = _items(api(cast.tenant_admin).get("access/enterprises", {"q": cast.enterprise_a.credit_code}))
    assert [r["id"] for r in rows] == [cast.enterprise_a.id]


def _ctx(cast):
    ctx = RequestContext(request=None, user=cast.staff_a, tenant=cast.tenant, permission="orgs.enterprise.view")
    ctx.__dict__["organisation"] = cast.town_a
    return ctx


def test_masked_fields_cannot_be_probed_and_negation_reveals_nothing(cast, credit_code_hidden):
    ctx = _ctx(cast)
    id_number = "11010519491231002X"
    assert not ctx.scoped(Enterprise.objects.filter(legal_rep_id_number=id_number)).exists()
    assert not ctx.scoped(Enterprise.objects.filter(credit_code__startswith="91")).exists()
    # Excluding by the hidden field neither narrows nor reveals: every enterprise in scope remains.
    assert list(ctx.scoped(Enterprise.objects.exclude(credit_code__startswith="91"))) == [cast.enterprise_a]
    # Through a relation: the enterprise's town is fine to filter by, its hidden code is not.
    assert ctx.scoped(Enterprise.objects.filter(town__name="A 街道")).count() == 1


def test_a_hidden_relation_cannot_be_filtered_through(cast, in_tenant):
    role = cast.roles["district_staff"]
    role.field_rules = {"orgs.enterprise": {"industry": "hidden"}}
    role.save()
    ctx = _ctx(cast)
    assert not ctx.scoped(Enterprise.objects.filter(industry__code__startswith="C")).exists()
    assert not ctx.scoped(Enterprise.objects.filter(industry__isnull=True)).exists()
    assert ctx.scoped(Enterprise.objects.all()).count() == 1


def test_export_drops_a_dotted_column_hidden_on_the_related_model(cast, in_tenant):
    from qifu.core.exports import build_workbook

    role = cast.roles["district_staff"]
    role.field_rules = {"orgs.organisation": {"name": "hidden"}, "orgs.enterprise": {"contact_phone": "masked"}}
    role.save()
    ctx = _ctx(cast)
    assert fieldrules.rules_for(ctx, "orgs.organisation") == {"name": "hidden"}
    columns = [("name", "企业名称"), ("town.name", "镇街"), ("contact_phone", "联系电话")]
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(contact_phone="13812345678")
    wb, count = build_workbook(columns, ctx.scoped(Enterprise.objects.all()), ctx, "orgs.enterprise")
    assert count == 1
    # Rows given as dicts follow the same rules.
    wb2, _ = build_workbook(
        columns, [{"name": "x", "town": {"name": "y"}, "contact_phone": "13812345678"}], ctx, "orgs.enterprise"
    )
    for book in (wb, wb2):
        buffer = BytesIO()
        book.save(buffer)
        header, row = list(load_workbook(BytesIO(buffer.getvalue())).active.iter_rows(values_only=True))
        assert header == ("企业名称", "联系电话")
        assert row[1] == "138****5678"


# -- ordering --------------------------------------------------------------------------------------
def _codes(cast, first: str, second: str) -> None:
    Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(credit_code=first)
    Enterprise.objects.filter(pk=cast.enterprise_b.pk).update(credit_code=second)


def _admin_ctx(cast, rules=None):
    """The tenant admin (both towns' enterprises in scope), with ``rules`` on their role."""
    role = cast.roles["tenant_admin"]
    role.field_rules = rules or {}
    role.save()
    ctx = RequestContext(request=None, user=cast.tenant_admin, tenant=cast.tenant, permission="orgs.enterprise.view")
    ctx.__dict__["organisation"] = cast.root
    return ctx


def test_ordering_by_a_hidden_field_falls_back_to_the_default_order(cast, in_tenant):
    # Credit-code order (A before B) differs from the default order (newest first: B before A).
    _codes(cast, "91000000000000001A", "91999999999999999B")
    a, b = cast.enterprise_a, cast.enterprise_b
    assert list(_admin_ctx(cast).scoped(Enterprise.objects.order_by("credit_code"))) == [a, b]
    ctx = _admin_ctx(cast, {"orgs.enterprise": {"credit_code": "hidden", "legal_rep_id_number": "masked"}})
    default = list(ctx.scoped(Enterprise.objects.all()))
    assert default == [b, a]
    for ordering in (("credit_code",), ("-credit_code",), (F("credit_code").asc(),), ("credit_code", "-id")):
        assert list(ctx.scoped(Enterprise.objects.order_by(*ordering))) == default, ordering
    # Through an annotation, and a masked field alike.
    annotated = Enterprise.objects.annotate(code=Substr("credit_code", 1, 18)).order_by("code")
    assert list(ctx.scoped(annotated)) == default
    assert list(ctx.scoped(Enterprise.objects.order_by("legal_rep_id_number", "id"))) == default
    # A visible field still orders; the caller's queryset keeps its own ordering.
    assert list(ctx.scoped(Enterprise.objects.order_by("id"))) == [a, b]
    by_code = Enterprise.objects.order_by("credit_code")
    ctx.scoped(by_code)
    assert by_code.query.order_by == ("credit_code",)


def test_ordering_through_a_hidden_relation_is_ignored(cast, in_tenant):
    # Town names: "A 街道" sorts before "B 镇", the default order (newest first) puts B first.
    a, b = cast.enterprise_a, cast.enterprise_b
    assert list(_admin_ctx(cast).scoped(Enterprise.objects.order_by("town__name"))) == [a, b]
    ctx = _admin_ctx(cast, {"orgs.enterprise": {"town": "hidden"}})
    assert list(ctx.scoped(Enterprise.objects.order_by("town__name"))) == [b, a]
    # The related model's own rule counts too.
    ctx = _admin_ctx(cast, {"orgs.organisation": {"name": "hidden"}})
    assert list(ctx.scoped(Enterprise.objects.order_by("town__name"))) == [b, a]


def test_sorting_a_list_endpoint_by_a_hidden_field_keeps_the_default_order(cast, api, in_tenant):
    category = Category.objects.create(
        code="sorting", name="排序测试", rating_prompt="请评价", positive_reasons=["专业"], negative_reasons=["慢"]
    )
    products = [
        catalogue.create_product(
            cast.institution, {"name": f"排序测试产品{i}", "category_id": category.pk, "price": price}
        )
        for i, price in enumerate(("300.00", "100.00", "200.00"))
    ]
    now = timezone.now()
    for product, hours in zip(products, (2, 1, 3), strict=True):
        Product.objects.filter(pk=product.pk).update(status="listed", listed_at=now - dt.timedelta(hours=hours))
    p0, p1, p2 = (p.id for p in products)
    client = api(cast.institution_admin)

    def ids(sort):
        response = client.get("marketplace/institution/products", {"sort": sort})
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["items"]], response.json()["items"]

    assert ids("newest")[0] == [p1, p0, p2]  # by listing time
    role = cast.roles["institution_admin"]
    role.field_rules = {"marketplace.product": {"listed_at": "hidden"}}
    role.save()
    order, rows = ids("newest")
    assert order == [p2, p1, p0]  # the default order (newest id first): the listing times stay unknown
    assert {row["listed_at"] for row in rows} == {None}
    assert ids("price")[0] == [p1, p2, p0]  # a visible field still sorts
