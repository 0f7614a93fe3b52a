"""Field rules: one role sees the legal representative's ID number masked, another in full,
in list, detail and export alike; hidden fields read empty; read-only fields refuse writes."""

from __future__ import annotations

import pytest

from qifu.core import fieldrules
from qifu.core.context import RequestContext

ID_NUMBER = "11010519491231002X"


def _rows(response):
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_staff_see_the_id_number_masked_in_list_and_detail(cast, api):
    client = api(cast.staff_a)
    [row] = _rows(client.get("access/enterprises"))
    assert row["legal_rep_id_number"] == "110***********002X"
    detail = client.get(f"access/enterprises/{cast.enterprise_a.id}").json()
    assert detail["legal_rep_id_number"] == "110***********002X"
    assert detail["name"] == cast.enterprise_a.name  # other fields untouched


def test_admin_sees_the_id_number_in_full(cast, api):
    client = api(cast.tenant_admin)
    assert {r["legal_rep_id_number"] for r in _rows(client.get("access/enterprises"))} == {ID_NUMBER}
    detail = client.get(f"access/enterprises/{cast.enterprise_b.id}").json()
    assert detail["legal_rep_id_number"] == ID_NUMBER


def test_search_results_obey_the_rules_too(cast, api):
    rows = _rows(api(cast.staff_a).get("access/enterprises", {"q": "精密"}))
    assert [r["legal_rep_id_number"] for r in rows] == ["110***********002X"]


def test_hidden_field_reads_empty(cast, api, in_tenant):
    role = cast.roles["district_staff"]
    role.field_rules = {"orgs.enterprise": {"legal_rep_id_number": "hidden", "registered_capital": "hidden"}}
    role.save()
    detail = api(cast.staff_a).get(f"access/enterprises/{cast.enterprise_a.id}").json()
    assert detail["legal_rep_id_number"] == ""
    assert detail["registered_capital"] is None


def test_most_permissive_role_wins(cast, api, in_tenant):
    from qifu.access.services import assign_role

    assign_role(cast.staff_a, cast.town_a, cast.roles["tenant_admin"])
    detail = api(cast.staff_a).get(f"access/enterprises/{cast.enterprise_a.id}").json()
    assert detail["legal_rep_id_number"] == ID_NUMBER


def test_roles_without_the_operation_permission_do_not_count(cast, in_tenant):
    ctx = RequestContext(request=None, user=cast.staff_a, tenant=cast.tenant, permission="orgs.enterprise.view")
    ctx.__dict__["organisation"] = cast.town_a
    assert fieldrules.rules_for(ctx, "orgs.enterprise") == {"legal_rep_id_number": "masked"}
    ctx2 = RequestContext(request=None, user=cast.staff_a, tenant=cast.tenant, permission="access.role.manage")
    ctx2.__dict__["organisation"] = cast.town_a
    assert fieldrules.rules_for(ctx2, "orgs.enterprise") == {}


def test_platform_admin_is_not_subject_to_tenant_rules(cast, api):
    rows = _rows(api(cast.platform_admin, host="alpha.test").get("access/enterprises"))
    assert {r["legal_rep_id_number"] for r in rows} == {ID_NUMBER}


def test_rule_validation_names_the_problem(db):
    assert fieldrules.validate_rules({"orgs.enterprise": {"legal_rep_id_number": "masked", "name": "visible"}}) == {
        "orgs.enterprise": {"legal_rep_id_number": "masked"}
    }
    with pytest.raises(ValueError, match="nope"):
        fieldrules.validate_rules({"orgs.enterprise": {"nope": "masked"}})
    with pytest.raises(ValueError, match="规则"):
        fieldrules.validate_rules({"orgs.enterprise": {"name": "encrypt"}})
    with pytest.raises(ValueError, match="不存在"):
        fieldrules.validate_rules({"orgs.nothing": {"name": "masked"}})
    with pytest.raises(ValueError):
        fieldrules.validate_rules({"orgs.enterprise": {"tenant": "hidden"}})


def test_readonly_payload_fields_are_refused(cast, in_tenant):
    from ninja import Schema

    class EnterpriseIn(Schema):
        name: str | None = None
        legal_rep_id_number: str | None = None

    role = cast.roles["district_staff"]
    role.field_rules = {"orgs.enterprise": {"legal_rep_id_number": "readonly"}}
    role.save()
    ctx = RequestContext(request=None, user=cast.staff_a, tenant=cast.tenant, permission="orgs.enterprise.view")
    ctx.__dict__["organisation"] = cast.town_a
    assert fieldrules.refused_fields(ctx, "orgs.enterprise", EnterpriseIn(name="x")) == []
    assert fieldrules.refused_fields(ctx, "orgs.enterprise", EnterpriseIn(legal_rep_id_number="1")) == [
        "legal_rep_id_number"
    ]
    # Resending the value already stored is not a change.
    same = EnterpriseIn(legal_rep_id_number=ID_NUMBER)
    assert fieldrules.refused_fields(ctx, "orgs.enterprise", same, current=cast.enterprise_a) == []


def test_contract_describes_scope_and_field_rules():
    from qifu.core.openapi import live_contract

    op = live_contract()["paths"]["/api/v1/access/enterprises"]["get"]
    assert op["x-data-scope"]["organisation_field"] == "town"
    assert "legal_rep_id_number" in op["x-field-rules"]["fields"]


def test_write_operation_refuses_a_readonly_field_and_changes_nothing(cast, api, in_tenant):
    from qifu.access.models import Role
    from qifu.access.services import assign_role
    from qifu.orgs import services
    from qifu.orgs.models import Organisation

    dept = services.create_organisation(name="经发办", kind="department", parent=cast.town_a, code="JF")
    editor = Role.objects.create(
        code="org_editor",
        name="组织编辑",
        permissions=["orgs.organisation.view", "orgs.organisation.manage"],
        data_scope="org_and_below",
        field_rules={"orgs.organisation": {"code": "readonly"}},
    )
    assign_role(cast.staff_a, cast.town_a, editor)
    client = api(cast.staff_a)
    refused = client.put(f"access/organisations/{dept.id}", {"name": "经济发展办", "code": "XX"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "access.field_read_only" and "编码" in refused.json()["message"]
    dept.refresh_from_db()
    assert (dept.name, dept.code) == ("经发办", "JF")
    # Resending the stored value is fine; other fields change.
    ok = client.put(f"access/organisations/{dept.id}", {"name": "经济发展办", "code": "JF"})
    assert ok.status_code == 200, ok.content
    assert Organisation.objects.get(pk=dept.pk).name == "经济发展办"
