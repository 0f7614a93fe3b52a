"""Eligibility conditions: a JSON rule tree over the facts of ``qifu.policies.facts``.

Node shapes (every node may also carry ``id`` for the editor and ``label`` for people):

    {"type": "all", "children": [...]}            every child holds
    {"type": "any", "children": [...]}            at least one child holds
    {"type": "not", "child": {...}}               the child does not hold
    {"type": "compare", "fact": "staff_count", "op": "gte", "value": 10}
    {"type": "range", "fact": "registered_capital", "min": 100, "max": 5000}   inclusive; either end optional
    {"type": "in", "fact": "industry_code", "values": ["C", "65"]}            industry codes match by prefix
    {"type": "not_in", "fact": "town", "values": ["临港镇"]}
    {"type": "has", "fact": "qualifications", "values": ["high_tech"], "mode": "any"}   or "all"
    {"type": "ratio", "numerator": "rd_staff", "denominator": "staff_count", "op": "gte", "value": 0.1}
    {"type": "years_since", "fact": "founded_on", "op": "gte", "value": 3}

``validate_rule(tree)`` returns the normalised tree or raises ``InvalidRule`` whose message
names the offending node ("条件 1.2（研发人员数）：…"). ``evaluate(tree, facts)`` answers
eligible / possibly eligible (which facts are missing) / not eligible (which condition
failed and by how much) with a score for ranking. Evaluation is three-valued: a leaf whose
fact is unknown is "unknown", ``all`` is false if any child is false, ``any`` is true if any
child is true, and unknown otherwise — so a verdict is never made up from missing data.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from qifu.core.errors import RuleViolation
from qifu.policies import facts as F

ELIGIBLE = "eligible"
POSSIBLY = "possibly"
INELIGIBLE = "ineligible"
STATUS_LABELS = {ELIGIBLE: "符合条件", POSSIBLY: "可能符合（信息不全）", INELIGIBLE: "不符合条件"}

COMPARE_OPS = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
NUMERIC_OPS = set(COMPARE_OPS)
EQUALITY_OPS = {"eq", "ne"}
NODE_TYPES = {
    "all": "全部满足",
    "any": "满足其一",
    "not": "不满足",
    "compare": "比较",
    "range": "区间",
    "in": "属于",
    "not_in": "不属于",
    "has": "具备资质",
    "ratio": "比例",
    "years_since": "成立年限",
}
MAX_DEPTH = 8
MAX_NODES = 200
MAX_LIST = 500
_INDUSTRY_RE = re.compile(r"^(?:[A-T]|\d{2,4})$")
# GB/T 2260 county-level division code: 2-digit province (the codes in use: 11–15, 21–23, 31–37,
# 41–46, 50–54, 61–65, 71, 81, 82), then city and county. Facts hold the six digits of the credit
# code (``region_code = code[2:8]``) and membership is exact, so a shorter or malformed value in a
# rule could never match — refusing it at save time beats a rule that silently excludes everyone.
_REGION_RE = re.compile(r"^(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])\d{4}$")
_REGION_CODE_FACTS = ("region_code",)


class InvalidRule(RuleViolation):
    def __init__(self, errors: list[tuple[str, str]]):
        where, what = errors[0]
        super().__init__(
            "policies.rule_invalid",
            f"申报条件有误：{where}：{what}",
            detail={"errors": [{"node": w, "message": m} for w, m in errors]},
        )
        self.errors = errors


def _name(path: tuple[int, ...]) -> str:
    return "根条件" if not path else "条件 " + ".".join(str(i + 1) for i in path)


def node_name(path: tuple[int, ...], node: Any) -> str:
    """How messages name a node: "条件 1.2（研发人员数）" — its label, else its fact's label."""
    where = _name(path)
    hint = node.get("label") if isinstance(node, dict) else None
    fact = F.get(node.get("fact", "")) if isinstance(node, dict) and isinstance(node.get("fact"), str) else None
    if hint or fact:
        where += f"（{hint or fact.label}）"
    return where


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _plain(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


# --------------------------------------------------------------------------- validation
class _Validator:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.count = 0

    def fail(self, path, node, message: str) -> None:
        self.errors.append((node_name(path, node), message))

    def fact(self, path, node, key: str, types: tuple[str, ...]) -> F.Fact | None:
        name = node.get(key)
        fact = F.get(name) if isinstance(name, str) else None
        if fact is None:
            self.fail(path, node, f"未知的企业指标“{name}”")
            return None
        if fact.type not in types:
            self.fail(path, node, f"指标“{fact.label}”不能用于此类条件")
            return None
        return fact

    def op(self, path, node, allowed) -> str | None:
        op = node.get("op")
        if op not in allowed:
            self.fail(path, node, "比较方式应为：" + "、".join(COMPARE_OPS[o] for o in COMPARE_OPS if o in allowed))
            return None
        return op

    def node(self, node: Any, path: tuple[int, ...]) -> dict | None:
        self.count += 1
        if self.count > MAX_NODES:
            if self.count == MAX_NODES + 1:
                self.fail(path, {}, f"条件过多：最多 {MAX_NODES} 个节点")
            return None
        if not isinstance(node, dict):
            self.fail(path, {}, "应为条件对象")
            return None
        kind = node.get("type")
        if kind not in NODE_TYPES:
            self.fail(path, node, f"未知的条件类型“{kind}”")
            return None
        if len(path) >= MAX_DEPTH:
            self.fail(path, node, f"嵌套过深：最多 {MAX_DEPTH} 层")
            return None
        out: dict[str, Any] = {"type": kind}
        for key in ("id", "label"):
            if node.get(key) not in (None, ""):
                if not isinstance(node[key], str) or len(node[key]) > 100:
                    self.fail(path, node, f"{key} 应为不超过 100 字的文本")
                else:
                    out[key] = node[key]
        handler = getattr(self, f"_{kind}")
        body = handler(node, path)
        if body is None:
            return None
        out.update(body)
        return out

    def _all(self, node, path):
        children = node.get("children")
        if not isinstance(children, list) or not children:
            self.fail(path, node, "至少需要一个子条件")
            return None
        result = [self.node(child, (*path, i)) for i, child in enumerate(children)]
        return {"children": result}

    _any = _all

    def _not(self, node, path):
        if "child" not in node:
            self.fail(path, node, "缺少被取反的子条件")
            return None
        return {"child": self.node(node["child"], (*path, 0))}

    def _compare(self, node, path):
        fact = self.fact(path, node, "fact", ("number", "bool", "enum", "industry", "region"))
        if fact is None:
            return None
        op = self.op(path, node, NUMERIC_OPS if fact.type == "number" else EQUALITY_OPS)
        if op is None:
            return None
        value = node.get("value")
        if fact.type == "number":
            number = _number(value)
            if number is None:
                self.fail(path, node, "比较值应为数字")
                return None
            value = _plain(number)
        elif fact.type == "bool":
            if not isinstance(value, bool):
                self.fail(path, node, "比较值应为“是”或“否”")
                return None
        elif fact.type == "enum":
            if value not in fact.choices:
                self.fail(path, node, "比较值应为：" + "、".join(fact.choices.values()))
                return None
        elif not isinstance(value, str) or not value.strip():
            self.fail(path, node, "比较值不能为空")
            return None
        elif fact.name in _REGION_CODE_FACTS and not _REGION_RE.match(value.strip()):
            self.fail(path, node, _region_message([value.strip()]))
            return None
        if isinstance(value, str):
            value = value.strip()
        return {"fact": fact.name, "op": op, "value": value}

    def _range(self, node, path):
        fact = self.fact(path, node, "fact", ("number",))
        if fact is None:
            return None
        low, high = node.get("min"), node.get("max")
        if low is None and high is None:
            self.fail(path, node, "区间至少需要下限或上限")
            return None
        lo, hi = _number(low), _number(high)
        if (low is not None and lo is None) or (high is not None and hi is None):
            self.fail(path, node, "区间上下限应为数字")
            return None
        if lo is not None and hi is not None and lo > hi:
            self.fail(path, node, "区间下限不能大于上限")
            return None
        return {
            "fact": fact.name,
            "min": None if lo is None else _plain(lo),
            "max": None if hi is None else _plain(hi),
        }

    def _in(self, node, path):
        fact = self.fact(path, node, "fact", ("industry", "region", "enum"))
        if fact is None:
            return None
        values = node.get("values")
        if not isinstance(values, list) or not values or len(values) > MAX_LIST:
            self.fail(path, node, f"请选择 1 至 {MAX_LIST} 个取值")
            return None
        if not all(isinstance(v, str) and v.strip() for v in values):
            self.fail(path, node, "取值应为非空文本")
            return None
        values = [v.strip() for v in values]
        if fact.type == "industry":
            bad = [v for v in values if not _INDUSTRY_RE.match(v)]
            if bad:
                self.fail(path, node, f"行业代码格式不正确：{'、'.join(bad[:5])}（应为门类字母或 2–4 位数字）")
                return None
        if fact.name in _REGION_CODE_FACTS:
            bad = [v for v in values if not _REGION_RE.match(v)]
            if bad:
                self.fail(path, node, _region_message(bad))
                return None
        if fact.type == "enum":
            bad = [v for v in values if v not in fact.choices]
            if bad:
                self.fail(path, node, f"取值不在可选范围内：{'、'.join(bad[:5])}")
                return None
        return {"fact": fact.name, "values": list(dict.fromkeys(values))}

    _not_in = _in

    def _has(self, node, path):
        fact = self.fact(path, node, "fact", ("set",))
        if fact is None:
            return None
        values = node.get("values")
        if not isinstance(values, list) or not values:
            self.fail(path, node, "请至少选择一项资质")
            return None
        bad = [str(v) for v in values if v not in fact.choices]
        if bad:
            self.fail(path, node, f"未知的资质：{'、'.join(bad[:5])}")
            return None
        mode = node.get("mode", "any")
        if mode not in ("any", "all"):
            self.fail(path, node, "匹配方式应为“任一”或“全部”")
            return None
        return {"fact": fact.name, "values": list(dict.fromkeys(values)), "mode": mode}

    def _ratio(self, node, path):
        num = self.fact(path, node, "numerator", ("number",))
        den = self.fact(path, node, "denominator", ("number",))
        if num is None or den is None:
            return None
        if num.name == den.name:
            self.fail(path, node, "分子和分母不能是同一指标")
            return None
        op = self.op(path, node, NUMERIC_OPS)
        number = _number(node.get("value"))
        if op is None:
            return None
        if number is None:
            self.fail(path, node, "比例值应为数字（如 0.1 表示 10%）")
            return None
        return {"numerator": num.name, "denominator": den.name, "op": op, "value": _plain(number)}

    def _years_since(self, node, path):
        fact = self.fact(path, node, "fact", ("date",))
        op = self.op(path, node, NUMERIC_OPS) if fact else None
        if fact is None or op is None:
            return None
        number = _number(node.get("value"))
        if number is None or number < 0 or number > 200:
            self.fail(path, node, "年限应为 0 至 200 之间的数字")
            return None
        return {"fact": fact.name, "op": op, "value": _plain(number)}


def _region_message(bad: list[str]) -> str:
    return f"行政区划代码格式不正确：{'、'.join(bad[:5])}（应为 6 位县级行政区划代码，如 320505）"


def validate_rule(tree: Any) -> dict | None:
    """The normalised rule tree (None when there are no conditions); raises InvalidRule."""
    if tree in (None, {}):
        return None
    validator = _Validator()
    result = validator.node(tree, ())
    if validator.errors:
        raise InvalidRule(validator.errors)
    return result


# --------------------------------------------------------------------------- description
def _industry_name(code: str) -> str:
    """ "制造业（C）" for a code of the GB/T 4754 list, else the code itself."""
    from qifu.orgs.industries import DIVISIONS, SECTIONS  # plain data

    names = dict(SECTIONS) | {division: name for _, division, name in DIVISIONS}
    return f"{names[code]}（{code}）" if code in names else code


def _shown(fact: F.Fact, value: Any) -> str:
    if fact.type == "industry":
        return _industry_name(value)
    return fact.choices.get(value, value)


def describe(node: dict) -> str:
    """A one-line Chinese reading of a leaf (or group) node."""
    kind = node["type"]
    label = node.get("label")
    if label:
        return label
    if kind in ("all", "any"):
        return NODE_TYPES[kind] + f"以下 {len(node['children'])} 项"
    if kind == "not":
        return "不满足：" + describe(node["child"])
    if kind == "ratio":
        n, d = F.FACTS[node["numerator"]], F.FACTS[node["denominator"]]
        return f"{n.label}/{d.label} {COMPARE_OPS[node['op']]} {node['value']}"
    fact = F.FACTS[node["fact"]]
    unit = fact.unit
    if kind == "compare":
        value = node["value"]
        if fact.type == "bool":
            value = "是" if value else "否"
        elif fact.type in ("enum", "industry"):
            value = _shown(fact, value)
        return f"{fact.label} {COMPARE_OPS[node['op']]} {value}{unit}"
    if kind == "range":
        low = "" if node["min"] is None else f"{node['min']}{unit} ≤ "
        high = "" if node["max"] is None else f" ≤ {node['max']}{unit}"
        return f"{low}{fact.label}{high}"
    if kind in ("in", "not_in"):
        shown = [_shown(fact, v) for v in node["values"][:6]]
        more = "等" if len(node["values"]) > 6 else ""
        return f"{fact.label}{'属于' if kind == 'in' else '不属于'}：{'、'.join(shown)}{more}"
    if kind == "has":
        shown = "、".join(fact.choices[v] for v in node["values"])
        return f"具备{'全部' if node['mode'] == 'all' else '任一'}资质：{shown}"
    if kind == "years_since":
        return f"成立年限 {COMPARE_OPS[node['op']]} {node['value']} 年"
    return kind


# --------------------------------------------------------------------------- evaluation
@dataclass
class Result:
    status: str
    missing: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    score: float = 1.0

    @property
    def eligible(self) -> bool:
        return self.status == ELIGIBLE

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "status_label": STATUS_LABELS[self.status],
            "missing": [{"fact": m, "label": F.FACTS[m].label, "source": F.FACTS[m].source} for m in self.missing],
            "failed": self.failed,
            "score": self.score,
        }


def _compare(op: str, actual, expected) -> bool:
    return {
        "eq": actual == expected,
        "ne": actual != expected,
        "gt": actual > expected,
        "gte": actual >= expected,
        "lt": actual < expected,
        "lte": actual <= expected,
    }[op]


def _gap(op: str, actual: Decimal, expected: Decimal) -> Decimal | None:
    if op in ("gt", "gte"):
        return expected - actual
    if op in ("lt", "lte"):
        return actual - expected
    return None


def _industry_keys(code: str) -> list[str]:
    from qifu.orgs.industries import DIVISIONS  # plain data: division → section

    keys = [code]
    section = next((s for s, division, _ in DIVISIONS if code.startswith(division)), None)
    if section:
        keys.append(section)
    return keys


class _Evaluator:
    def __init__(self, facts: dict[str, Any], today: dt.date):
        self.facts = facts
        self.today = today
        self.absent: list[str] = []
        self.leaves = {"true": 0, "false": 0, "unknown": 0}

    def value(self, name: str):
        raw = self.facts.get(name)
        if raw is None:
            self.absent.append(name)
            return None
        return F.coerce(F.FACTS[name], raw)

    def run(self, node: dict, path: tuple[int, ...]) -> tuple[bool | None, list[dict], list[str]]:
        """(verdict, failures that decided a False, facts whose absence decided an unknown)."""
        kind = node["type"]
        if kind in ("all", "any"):
            outcomes = [self.run(child, (*path, i)) for i, child in enumerate(node["children"])]
            values = [o[0] for o in outcomes]
            if kind == "all":
                verdict = False if False in values else (None if None in values else True)
            else:
                verdict = True if True in values else (None if None in values else False)
            failures = [f for o in outcomes if o[0] is False for f in o[1]] if verdict is False else []
            missing = [m for o in outcomes if o[0] is None for m in o[2]] if verdict is None else []
            return verdict, failures, missing
        if kind == "not":
            inner, _, missing = self.run(node["child"], (*path, 0))
            verdict = None if inner is None else not inner
            return verdict, ([self.failure(node, path)] if verdict is False else []), missing
        self.absent = []
        verdict, detail = self.leaf(node)
        self.leaves["unknown" if verdict is None else str(verdict).lower()] += 1
        return verdict, ([self.failure(node, path, **detail)] if verdict is False else []), list(self.absent)

    def failure(self, node, path, actual=None, gap=None, unit="") -> dict[str, Any]:
        return {
            "node": _name(path),
            "id": node.get("id", ""),
            "condition": describe(node),
            "actual": actual,
            "gap": gap,
            "unit": unit,
        }

    def leaf(self, node: dict) -> tuple[bool | None, dict]:
        kind = node["type"]
        if kind == "ratio":
            num, den = self.value(node["numerator"]), self.value(node["denominator"])
            if num is None or den is None:
                return None, {}
            if den == 0:
                return False, {"actual": "分母为 0"}
            ratio = (num / den).quantize(Decimal("0.0001"))
            expected = Decimal(str(node["value"]))
            ok = _compare(node["op"], ratio, expected)
            gap = _gap(node["op"], ratio, expected)
            return ok, {"actual": _plain(ratio), "gap": None if ok or gap is None else _plain(gap)}
        fact = F.FACTS[node["fact"]]
        actual = self.value(fact.name)
        if actual is None:
            return None, {}
        if kind == "years_since":
            years = (Decimal((self.today - actual).days) / Decimal("365.2425")).quantize(Decimal("0.01"))
            expected = Decimal(str(node["value"]))
            ok = _compare(node["op"], years, expected)
            gap = _gap(node["op"], years, expected)
            return ok, {"actual": _plain(years), "gap": None if ok or gap is None else _plain(gap), "unit": "年"}
        if kind == "compare":
            expected = Decimal(str(node["value"])) if fact.type == "number" else node["value"]
            ok = _compare(node["op"], actual, expected)
            gap = _gap(node["op"], actual, expected) if fact.type == "number" else None
            shown = _plain(actual) if fact.type == "number" else actual
            return ok, {"actual": shown, "gap": None if ok or gap is None else _plain(gap), "unit": fact.unit}
        if kind == "range":
            low = None if node["min"] is None else Decimal(str(node["min"]))
            high = None if node["max"] is None else Decimal(str(node["max"]))
            if low is not None and actual < low:
                return False, {"actual": _plain(actual), "gap": _plain(low - actual), "unit": fact.unit}
            if high is not None and actual > high:
                return False, {"actual": _plain(actual), "gap": _plain(actual - high), "unit": fact.unit}
            return True, {}
        if kind in ("in", "not_in"):
            if fact.type == "industry":
                keys = _industry_keys(actual)
                member = any(k.startswith(v) for k in keys for v in node["values"])
            else:
                member = actual in node["values"]
            ok = member if kind == "in" else not member
            return ok, {"actual": fact.choices.get(actual, actual)}
        if kind == "has":
            wanted = set(node["values"])
            ok = wanted <= actual if node["mode"] == "all" else bool(wanted & actual)
            held = "、".join(fact.choices.get(v, v) for v in sorted(actual)) or "无"
            return ok, {"actual": held}
        raise ValueError(f"unknown node type {kind}")  # validate_rule never lets one through


def evaluate(tree: dict | None, facts: dict[str, Any], *, today: dt.date | None = None) -> Result:
    """Evaluate a validated rule tree against an enterprise's facts (unknown facts simply absent)."""
    if not tree:
        return Result(status=ELIGIBLE, score=1.0)
    if today is None:
        from django.utils import timezone

        today = timezone.localdate()
    evaluator = _Evaluator(facts, today)
    verdict, failures, missing = evaluator.run(tree, ())
    missing = list(dict.fromkeys(missing))
    counts = evaluator.leaves
    total = sum(counts.values()) or 1
    score = round((counts["true"] + 0.5 * counts["unknown"]) / total, 4)
    if verdict is True:
        return Result(status=ELIGIBLE, score=1.0)
    if verdict is None:
        return Result(status=POSSIBLY, missing=missing, score=score)
    return Result(status=INELIGIBLE, failed=failures, score=score)
