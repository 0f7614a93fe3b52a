"""Filters, search and exports cannot reveal a field hidden or masked for the user.

A condition on such a field matches nothing (``fieldrules.restrict_filters``, applied by
``ctx.scoped``): searching by a credit-code prefix finds nothing, while the same search
box still finds by name. Exports drop a dotted column whose end field is hidden.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from qifu.core import fieldrules
from qifu.core.context import RequestContext
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
