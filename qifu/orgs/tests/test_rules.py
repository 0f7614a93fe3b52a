"""Every EBS organisation rule refuses a violation with a message naming it; moves keep paths right."""

from __future__ import annotations

import pytest

from qifu.core.errors import RuleViolation
from qifu.orgs import services
from qifu.orgs.models import Organisation

K = Organisation.Kind


@pytest.fixture
def ebs(cast, in_tenant):
    bg = services.create_organisation(name="示范集团", kind=K.BUSINESS_GROUP, parent=cast.root)
    gl = services.create_ledger(name="主账簿")
    other_gl = services.create_ledger(name="美元账簿", currency="usd")
    le = services.create_organisation(name="示范制造有限公司", kind=K.LEGAL_ENTITY, parent=bg, ledger=gl)
    le2 = services.create_organisation(name="示范贸易有限公司", kind=K.LEGAL_ENTITY, parent=bg, ledger=gl)
    le_usd = services.create_organisation(name="示范香港有限公司", kind=K.LEGAL_ENTITY, parent=bg, ledger=other_gl)
    ou = services.create_organisation(
        name="电视机业务群", kind=K.OPERATING_UNIT, parent=bg, ledger=gl, served_legal_entities=[le, le2]
    )
    return type("EBS", (), dict(bg=bg, gl=gl, other_gl=other_gl, le=le, le2=le2, le_usd=le_usd, ou=ou))


def _refused(rule: str, fn, *args, **kwargs):
    with pytest.raises(RuleViolation) as err:
        fn(*args, **kwargs)
    assert err.value.code == rule, err.value.message
    assert "违反组织规则" in err.value.message
    return err.value


def test_legal_entity_needs_a_ledger(ebs):
    err = _refused(
        "orgs.rule.le_ledger", services.create_organisation, name="无账簿公司", kind=K.LEGAL_ENTITY, parent=ebs.bg
    )
    assert "分类账" in err.message
    assert not Organisation.objects.filter(name="无账簿公司").exists()


def test_operating_unit_needs_a_ledger(ebs):
    _refused(
        "orgs.rule.ou_ledger", services.create_organisation, name="无账簿业务", kind=K.OPERATING_UNIT, parent=ebs.bg
    )


def test_operating_unit_serves_only_legal_entities_of_its_ledger(ebs):
    _refused(
        "orgs.rule.ou_le_same_ledger",
        services.create_organisation,
        name="跨账簿业务",
        kind=K.OPERATING_UNIT,
        parent=ebs.bg,
        ledger=ebs.gl,
        served_legal_entities=[ebs.le, ebs.le_usd],
    )
    _refused("orgs.rule.ou_le_same_ledger", services.update_organisation, ebs.ou, served_legal_entities=[ebs.le_usd])
    # Changing a served LE's ledger would strand the OU.
    _refused("orgs.rule.ou_le_same_ledger", services.update_organisation, ebs.le, ledger=ebs.other_gl)


def test_operating_unit_may_serve_several_legal_entities_of_one_ledger(ebs):
    assert set(ebs.ou.served_legal_entities.all()) == {ebs.le, ebs.le2}


def test_inventory_org_needs_exactly_one_ledger_le_and_ou(ebs):
    _refused(
        "orgs.rule.inv_one_each",
        services.create_organisation,
        name="一号工厂",
        kind=K.INVENTORY_ORG,
        parent=ebs.ou,
        ledger=ebs.gl,
        legal_entity=ebs.le,
    )
    inv = services.create_organisation(
        name="一号工厂", kind=K.INVENTORY_ORG, parent=ebs.ou, ledger=ebs.gl, legal_entity=ebs.le, operating_unit=ebs.ou
    )
    assert inv.path.startswith(ebs.ou.path)


def test_inventory_org_relations_must_agree(ebs):
    _refused(
        "orgs.rule.inv_consistent",
        services.create_organisation,
        name="香港仓",
        kind=K.INVENTORY_ORG,
        parent=ebs.ou,
        ledger=ebs.gl,
        legal_entity=ebs.le_usd,
        operating_unit=ebs.ou,
    )
    lonely = services.create_organisation(name="独立业务群", kind=K.OPERATING_UNIT, parent=ebs.bg, ledger=ebs.gl)
    _refused(
        "orgs.rule.inv_consistent",
        services.create_organisation,
        name="二号工厂",
        kind=K.INVENTORY_ORG,
        parent=lonely,
        ledger=ebs.gl,
        legal_entity=ebs.le,
        operating_unit=lonely,
    )


def test_cost_centre_belongs_to_one_legal_entity(ebs):
    _refused(
        "orgs.rule.cc_legal_entity",
        services.create_organisation,
        name="财务部成本中心",
        kind=K.COST_CENTRE,
        parent=ebs.le,
    )
    cc = services.create_organisation(name="财务部成本中心", kind=K.COST_CENTRE, parent=ebs.le, legal_entity=ebs.le)
    assert cc.ledger_id == ebs.gl.id  # follows its legal entity


def test_names_are_unique_within_a_business_group(ebs, cast):
    err = _refused(
        "orgs.rule.unique_name_in_bg",
        services.create_organisation,
        name="示范制造有限公司",
        kind=K.DEPARTMENT,
        parent=ebs.le,
    )
    assert "示范集团" in err.message
    # Another business group may reuse the name.
    bg2 = services.create_organisation(name="第二集团", kind=K.BUSINESS_GROUP, parent=cast.root)
    services.create_organisation(name="示范制造有限公司", kind=K.LEGAL_ENTITY, parent=bg2, ledger=ebs.gl)


def test_ebs_nodes_live_inside_a_business_group(ebs, cast):
    _refused(
        "orgs.rule.parent_kind",
        services.create_organisation,
        name="游离公司",
        kind=K.LEGAL_ENTITY,
        parent=cast.town_a,
        ledger=ebs.gl,
    )


def test_other_kinds_carry_no_ebs_relations(ebs, cast):
    _refused(
        "orgs.rule.not_ebs", services.create_organisation, name="镇街", kind=K.TOWN, parent=cast.root, ledger=ebs.gl
    )


def test_moving_a_subtree_updates_descendant_paths(cast, in_tenant):
    dept = services.create_organisation(name="经发办", kind=K.DEPARTMENT, parent=cast.town_a)
    team = services.create_organisation(name="招商组", kind=K.DEPARTMENT, parent=dept)
    services.move_organisation(dept, cast.town_b)
    dept.refresh_from_db()
    team.refresh_from_db()
    assert dept.path == f"{cast.town_b.path}{dept.id}/"
    assert team.path == f"{dept.path}{team.id}/"
    assert team.depth == dept.depth + 1


def test_moving_under_own_descendant_is_refused(cast, in_tenant):
    dept = services.create_organisation(name="经发办", kind=K.DEPARTMENT, parent=cast.town_a)
    _refused("orgs.rule.no_cycle", services.move_organisation, cast.town_a, dept)


def test_delete_refuses_used_organisations(cast, in_tenant):
    err = _refused("orgs.rule.in_use", services.delete_organisation, cast.town_a)
    assert "成员" in err.message
    empty = services.create_organisation(name="临时", kind=K.DEPARTMENT, parent=cast.town_a)
    services.delete_organisation(empty)
    assert not Organisation.objects.filter(pk=empty.pk).exists()


def test_api_creates_and_refuses_with_422(cast, api, in_tenant):
    client = api(cast.tenant_admin)
    bg = client.post("access/organisations", {"name": "集团", "kind": "business_group", "parent_id": cast.root.id})
    assert bg.status_code == 201, bg.content
    bad = client.post(
        "access/organisations", {"name": "无账簿公司", "kind": "legal_entity", "parent_id": bg.json()["id"]}
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "orgs.rule.le_ledger"
    assert (
        api(cast.staff_a)
        .post("access/organisations", {"name": "x", "kind": "department", "parent_id": cast.town_a.id})
        .status_code
        == 403
    )


def test_references_stay_inside_one_business_group(ebs, cast):
    bg2 = services.create_organisation(name="第二集团", kind=K.BUSINESS_GROUP, parent=cast.root)
    _refused(
        "orgs.rule.in_business_group",
        services.create_organisation,
        name="跨组业务群",
        kind=K.OPERATING_UNIT,
        parent=bg2,
        ledger=ebs.gl,
        served_legal_entities=[ebs.le],
    )
    # A subtree holding EBS nodes cannot change business group.
    _refused("orgs.rule.in_business_group", services.move_organisation, ebs.le2, bg2)


def test_one_root_per_tenant(cast, in_tenant):
    _refused("orgs.rule.single_root", services.create_organisation, name="第二个根", kind=K.ROOT)
