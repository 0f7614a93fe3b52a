"""The rule tree: validation messages that name the node, and three-valued evaluation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from qifu.policies import facts as F
from qifu.policies.rules import ELIGIBLE, INELIGIBLE, POSSIBLY, InvalidRule, describe, evaluate, validate_rule

TODAY = dt.date(2026, 6, 1)

SPECIALISED = {
    "type": "all",
    "children": [
        {"type": "compare", "fact": "staff_count", "op": "gte", "value": 10},
        {"type": "ratio", "numerator": "rd_staff", "denominator": "staff_count", "op": "gte", "value": 0.1},
        {"type": "years_since", "fact": "founded_on", "op": "gte", "value": 3},
        {"type": "in", "fact": "industry_code", "values": ["C", "65"]},
        {"type": "range", "fact": "registered_capital", "min": 100, "max": 5000},
        {
            "type": "any",
            "children": [
                {"type": "has", "fact": "qualifications", "values": ["high_tech", "tech_sme"], "mode": "any"},
                {"type": "compare", "fact": "invention_patents", "op": "gte", "value": 2},
            ],
        },
        {"type": "not", "child": {"type": "compare", "fact": "has_dishonesty_record", "op": "eq", "value": True}},
    ],
}

GOOD = {
    "staff_count": 50,
    "rd_staff": 8,
    "founded_on": "2019-03-01",
    "industry_code": "39",
    "registered_capital": "1000.00",
    "qualifications": ["high_tech"],
    "has_dishonesty_record": False,
}


def test_registry_is_complete_and_typed():
    assert {"staff_count", "rd_staff", "founded_on", "industry_code", "qualifications"} <= set(F.FACTS)
    for item in F.catalogue():
        assert item["label"] and item["type"] in F.TYPES and item["source_label"]


def test_valid_tree_is_normalised():
    tree = validate_rule(SPECIALISED)
    assert tree["children"][1] == {
        "type": "ratio",
        "numerator": "rd_staff",
        "denominator": "staff_count",
        "op": "gte",
        "value": 0.1,
    }
    assert validate_rule(None) is None and validate_rule({}) is None


@pytest.mark.parametrize(
    ("tree", "where", "what"),
    [
        ({"type": "all", "children": []}, "根条件", "至少需要一个子条件"),
        (
            {"type": "all", "children": [{"type": "compare", "fact": "nope", "op": "gt", "value": 1}]},
            "条件 1",
            "未知的企业指标",
        ),
        (
            {"type": "any", "children": [{"type": "compare", "fact": "staff_count", "op": "gte", "value": "十"}]},
            "条件 1（从业人数）",
            "比较值应为数字",
        ),
        (
            {"type": "range", "fact": "registered_capital", "min": 10, "max": 1},
            "根条件（注册资本）",
            "下限不能大于上限",
        ),
        ({"type": "in", "fact": "industry_code", "values": ["C39; DROP"]}, "根条件（所属行业）", "行业代码格式不正确"),
        ({"type": "has", "fact": "qualifications", "values": ["fake"]}, "根条件（已获资质）", "未知的资质"),
        # Region codes: six digits with a province prefix in use (GB/T 2260); anything else never matches.
        ({"type": "in", "fact": "region_code", "values": ["3205"]}, "根条件（注册地行政区划）", "行政区划代码格式不正确"),
        ({"type": "in", "fact": "region_code", "values": ["990101"]}, "根条件（注册地行政区划）", "990101"),
        (
            {"type": "compare", "fact": "region_code", "op": "eq", "value": "苏州市"},
            "根条件（注册地行政区划）",
            "应为 6 位县级行政区划代码",
        ),
        ({"type": "compare", "fact": "size", "op": "gt", "value": "small"}, "根条件（企业规模）", "比较方式应为"),
        (
            {"type": "compare", "fact": "founded_on", "op": "gt", "value": "2020-01-01"},
            "根条件（成立日期）",
            "不能用于此类条件",
        ),
        (
            {"type": "ratio", "numerator": "rd_staff", "denominator": "rd_staff", "op": "gte", "value": 1},
            "根条件",
            "同一指标",
        ),
        ({"type": "eval", "code": "__import__('os')"}, "根条件", "未知的条件类型"),
        ("staff_count > 10", "根条件", "应为条件对象"),
    ],
)
def test_invalid_trees_name_the_node(tree, where, what):
    with pytest.raises(InvalidRule) as info:
        validate_rule(tree)
    assert info.value.status == 422
    assert info.value.message.startswith(f"申报条件有误：{where}")
    assert what in info.value.message


def test_region_codes_in_use_are_accepted_and_match_exactly():
    tree = validate_rule({"type": "in", "fact": "region_code", "values": [" 320505", "110101", "820000"]})
    assert tree["values"] == ["320505", "110101", "820000"]
    assert evaluate(tree, {"region_code": "320505"}, today=TODAY).eligible
    assert not evaluate(tree, {"region_code": "320506"}, today=TODAY).eligible
    assert validate_rule({"type": "compare", "fact": "region_code", "op": "ne", "value": "320505 "})["value"] == "320505"


def test_nested_errors_point_at_the_deep_node():
    tree = {"type": "all", "children": [{"type": "any", "children": [{"type": "not"}]}]}
    with pytest.raises(InvalidRule) as info:
        validate_rule(tree)
    assert info.value.errors[0][0] == "条件 1.1"


def test_depth_and_size_are_bounded():
    deep: dict = {"type": "compare", "fact": "staff_count", "op": "gte", "value": 1}
    for _ in range(10):
        deep = {"type": "not", "child": deep}
    with pytest.raises(InvalidRule, match="嵌套过深"):
        validate_rule(deep)
    wide = {
        "type": "any",
        "children": [{"type": "compare", "fact": "staff_count", "op": "gte", "value": i} for i in range(250)],
    }
    with pytest.raises(InvalidRule, match="条件过多"):
        validate_rule(wide)


def test_eligible_when_every_condition_holds():
    result = evaluate(validate_rule(SPECIALISED), GOOD, today=TODAY)
    assert result.status == ELIGIBLE and result.score == 1.0 and result.failed == []


def test_not_eligible_names_the_condition_and_the_gap():
    facts = {**GOOD, "rd_staff": 3, "registered_capital": 50}
    result = evaluate(validate_rule(SPECIALISED), facts, today=TODAY)
    assert result.status == INELIGIBLE
    by_node = {f["node"]: f for f in result.failed}
    assert by_node["条件 2"]["actual"] == 0.06 and by_node["条件 2"]["gap"] == pytest.approx(0.04)
    assert by_node["条件 5"]["gap"] == 50 and by_node["条件 5"]["unit"] == "万元"
    assert "注册资本" in by_node["条件 5"]["condition"]
    assert 0 < result.score < 1


def test_possibly_eligible_lists_missing_facts():
    facts = {k: v for k, v in GOOD.items() if k not in ("rd_staff", "founded_on")}
    result = evaluate(validate_rule(SPECIALISED), facts, today=TODAY)
    assert result.status == POSSIBLY
    assert result.missing == ["rd_staff", "founded_on"]
    assert [m["label"] for m in result.as_dict()["missing"]] == ["研发人员数", "成立日期"]


def test_a_failed_condition_beats_missing_facts():
    facts = {k: v for k, v in GOOD.items() if k != "rd_staff"} | {"staff_count": 5}
    result = evaluate(validate_rule(SPECIALISED), facts, today=TODAY)
    assert result.status == INELIGIBLE
    assert result.failed[0]["node"] == "条件 1" and result.failed[0]["gap"] == 5


def test_any_is_true_when_one_branch_holds_despite_unknowns():
    tree = validate_rule(
        {
            "type": "any",
            "children": [
                {"type": "compare", "fact": "invention_patents", "op": "gte", "value": 2},
                {"type": "has", "fact": "qualifications", "values": ["specialized_sme", "little_giant"], "mode": "any"},
            ],
        }
    )
    assert evaluate(tree, {"qualifications": ["little_giant"]}, today=TODAY).status == ELIGIBLE
    assert evaluate(tree, {"qualifications": []}, today=TODAY).status == POSSIBLY
    assert evaluate(tree, {"qualifications": [], "invention_patents": 1}, today=TODAY).status == INELIGIBLE


def test_industry_membership_by_section_and_prefix():
    tree = validate_rule({"type": "in", "fact": "industry_code", "values": ["C"]})
    assert evaluate(tree, {"industry_code": "39"}, today=TODAY).eligible
    assert evaluate(tree, {"industry_code": "3911"}, today=TODAY).eligible
    assert not evaluate(tree, {"industry_code": "65"}, today=TODAY).eligible
    excluded = validate_rule({"type": "not_in", "fact": "town", "values": ["临港镇"]})
    assert not evaluate(excluded, {"town": "临港镇"}, today=TODAY).eligible
    assert evaluate(excluded, {"town": "东湖街道"}, today=TODAY).eligible


def test_years_since_founding_and_zero_denominator():
    young = validate_rule({"type": "years_since", "fact": "founded_on", "op": "lte", "value": 5})
    assert evaluate(young, {"founded_on": dt.date(2023, 1, 1)}, today=TODAY).eligible
    old = evaluate(young, {"founded_on": dt.date(2010, 6, 1)}, today=TODAY)
    assert old.status == INELIGIBLE and old.failed[0]["gap"] == pytest.approx(11, abs=0.05)
    ratio = validate_rule(
        {"type": "ratio", "numerator": "rd_staff", "denominator": "staff_count", "op": "gte", "value": 0.1}
    )
    assert evaluate(ratio, {"rd_staff": 0, "staff_count": 0}, today=TODAY).failed[0]["actual"] == "分母为 0"


def test_describe_reads_naturally():
    assert describe({"type": "compare", "fact": "staff_count", "op": "gte", "value": 10}) == "从业人数 ≥ 10人"
    assert describe({"type": "compare", "fact": "size", "op": "eq", "value": "small"}) == "企业规模 = 小型"


def test_facts_from_enterprise_leave_unknowns_out(in_tenant, cast):
    enterprise = cast.enterprise_a
    enterprise.registered_capital = Decimal("500")
    enterprise.founded_on = dt.date(2018, 5, 1)
    known = F.from_enterprise(enterprise)
    assert known["registered_capital"] == Decimal("500") and known["town"] == "A 街道"
    assert known["region_code"] == "320505" and known["is_certified"] is True
    assert "staff_count" not in known and "size" not in known
