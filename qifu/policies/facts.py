"""The vocabulary of enterprise facts (一企一档) that eligibility conditions talk about.

One registry shared by policies, financial products and matching: a rule tree may only
name facts listed here, and the evaluator knows each fact's type. Adding a fact is one
``Fact(...)`` line; its ``source`` says where the value comes from so matching knows
which facts the platform can fill on its own and which the enterprise must declare.

Types:
- ``number``   — integers or decimals (staff counts, 万元 amounts, percentages)
- ``date``     — ISO dates (founding date); rules use ``years_since`` on them
- ``bool``     — yes/no (listed company, certified on the platform)
- ``enum``     — one of ``choices`` (size class, credit rating)
- ``industry`` — a GB/T 4754 code; list membership matches by prefix ("C" covers "C39")
- ``region``   — an administrative division code or town name; membership is exact
- ``set``      — a set of codes from ``choices`` (qualifications held)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# Where a fact's value comes from.
SOURCE_REGISTRATION = "registration"  # 工商登记 / 企业认证
SOURCE_PROFILE = "profile"  # 企业自报 (一企一档)
SOURCE_TAX = "tax"  # 税务数据（经企业授权）
SOURCE_SOCIAL = "social_security"  # 社保数据
SOURCE_QUALIFICATION = "qualification"  # 资质认定名单
SOURCE_IP = "ip"  # 知识产权数据
SOURCE_CREDIT = "credit"  # 信用数据

SOURCE_LABELS = {
    SOURCE_REGISTRATION: "工商登记",
    SOURCE_PROFILE: "企业填报",
    SOURCE_TAX: "税务数据",
    SOURCE_SOCIAL: "社保数据",
    SOURCE_QUALIFICATION: "资质名单",
    SOURCE_IP: "知识产权",
    SOURCE_CREDIT: "信用数据",
}

TYPES = ("number", "date", "bool", "enum", "industry", "region", "set")

SIZE_CHOICES = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
QUALIFICATION_CHOICES = {
    "high_tech": "高新技术企业",
    "specialized_sme": "专精特新中小企业",
    "little_giant": "专精特新“小巨人”企业",
    "tech_sme": "科技型中小企业",
    "innovative_sme": "创新型中小企业",
    "single_champion": "制造业单项冠军",
    "enterprise_tech_centre": "企业技术中心",
    "gazelle": "瞪羚企业",
}
CREDIT_CHOICES = {"A": "A 级", "B": "B 级", "M": "M 级", "C": "C 级", "D": "D 级"}


@dataclass(frozen=True)
class Fact:
    name: str
    label: str
    type: str
    unit: str = ""
    description: str = ""
    source: str = SOURCE_PROFILE
    choices: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "unit": self.unit,
            "description": self.description,
            "source": self.source,
            "source_label": SOURCE_LABELS[self.source],
            "choices": [{"value": k, "label": v} for k, v in self.choices.items()],
        }


_FACTS = [
    Fact("registered_capital", "注册资本", "number", "万元", "营业执照登记的注册资本", SOURCE_REGISTRATION),
    Fact("founded_on", "成立日期", "date", "", "营业执照成立日期；条件用“成立年限”表达", SOURCE_REGISTRATION),
    Fact("industry_code", "所属行业", "industry", "", "国民经济行业分类 GB/T 4754-2017 代码", SOURCE_REGISTRATION),
    Fact(
        "region_code", "注册地行政区划", "region", "", "统一社会信用代码中的登记管理机关行政区划码", SOURCE_REGISTRATION
    ),
    Fact("town", "所在镇街", "region", "", "企业所在镇（街道）名称", SOURCE_REGISTRATION),
    Fact("size", "企业规模", "enum", "", "按国家统计局大中小微企业划分标准", SOURCE_PROFILE, SIZE_CHOICES),
    Fact("is_certified", "已完成平台认证", "bool", "", "企业已在平台完成实名认证", SOURCE_REGISTRATION),
    Fact("staff_count", "从业人数", "number", "人", "年末从业人员数", SOURCE_PROFILE),
    Fact("insured_staff", "参保人数", "number", "人", "缴纳社会保险的职工人数", SOURCE_SOCIAL),
    Fact("rd_staff", "研发人员数", "number", "人", "从事研发和相关技术创新活动的人员数", SOURCE_PROFILE),
    Fact("revenue_last_year", "上年度营业收入", "number", "万元", "上一会计年度营业收入", SOURCE_TAX),
    Fact("revenue_two_years_ago", "前年营业收入", "number", "万元", "上上个会计年度营业收入", SOURCE_TAX),
    Fact("revenue_three_years_ago", "大前年营业收入", "number", "万元", "三年前会计年度营业收入", SOURCE_TAX),
    Fact("profit_last_year", "上年度利润总额", "number", "万元", "上一会计年度利润总额", SOURCE_TAX),
    Fact("tax_last_year", "上年度纳税总额", "number", "万元", "上一会计年度实缴税金", SOURCE_TAX),
    Fact("rd_expense_last_year", "上年度研发费用", "number", "万元", "上一会计年度研发费用总额", SOURCE_TAX),
    Fact("revenue_growth_rate", "营业收入增长率", "number", "%", "近两年营业收入平均增长率", SOURCE_TAX),
    Fact("invention_patents", "发明专利数", "number", "件", "拥有的有效发明专利数", SOURCE_IP),
    Fact("ip_count", "知识产权总数", "number", "件", "专利、软件著作权、集成电路布图等有效知识产权", SOURCE_IP),
    Fact(
        "qualifications",
        "已获资质",
        "set",
        "",
        "已认定的企业资质（高新技术企业、专精特新等）",
        SOURCE_QUALIFICATION,
        QUALIFICATION_CHOICES,
    ),
    Fact("credit_rating", "纳税信用等级", "enum", "", "税务机关评定的纳税信用等级", SOURCE_CREDIT, CREDIT_CHOICES),
    Fact("is_listed", "上市企业", "bool", "", "已在境内外证券交易所上市", SOURCE_PROFILE),
    Fact("first_loan", "首次贷款", "bool", "", "此前未获得过银行贷款（首贷户）", SOURCE_CREDIT),
    Fact("has_dishonesty_record", "存在失信记录", "bool", "", "被列入失信被执行人或严重违法失信名单", SOURCE_CREDIT),
]

FACTS: dict[str, Fact] = {f.name: f for f in _FACTS}
if not all(f.type in TYPES and f.source in SOURCE_LABELS for f in _FACTS):
    raise ValueError("fact registry: unknown type or source")


def get(name: str) -> Fact | None:
    return FACTS.get(name)


def catalogue() -> list[dict[str, Any]]:
    """The registry as JSON-ready dicts, for the console's rule editor."""
    return [f.as_dict() for f in _FACTS]


def from_enterprise(enterprise) -> dict[str, Any]:
    """The facts the platform already knows about ``enterprise`` from its registration record.

    Facts not known are left out (never guessed), so the evaluator answers
    "possibly eligible — missing X" instead of a wrong verdict.
    ``enterprise`` may be read through field rules (``fieldrules.wrap``): a withheld value then reads
    empty or masked and is left out like an unknown one, so a check's answer never shows it.
    """
    facts: dict[str, Any] = {}
    if enterprise.certification:
        facts["is_certified"] = enterprise.certification == "certified"
    if enterprise.registered_capital is not None:
        facts["registered_capital"] = Decimal(enterprise.registered_capital)
    if enterprise.founded_on:
        facts["founded_on"] = enterprise.founded_on
    if enterprise.industry_id and enterprise.industry is not None:
        facts["industry_code"] = enterprise.industry.code
    if enterprise.town_id and enterprise.town is not None and enterprise.town.name:
        facts["town"] = enterprise.town.name
    if enterprise.size:
        facts["size"] = enterprise.size
    code = enterprise.credit_code or ""
    if len(code) == 18 and "*" not in code:  # a masked code has no region to read
        facts["region_code"] = code[2:8]
    return facts


def coerce(fact: Fact, value: Any) -> Any:
    """A fact value in its canonical Python type; raises ValueError when it cannot be."""
    if value is None:
        return None
    if fact.type == "number":
        if isinstance(value, bool):
            raise ValueError("应为数字")
        try:
            return Decimal(str(value))
        except ArithmeticError:
            raise ValueError("应为数字")
    if fact.type == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value))
    if fact.type == "bool":
        if not isinstance(value, bool):
            raise ValueError("应为是或否")
        return value
    if fact.type == "set":
        if isinstance(value, str) or not hasattr(value, "__iter__"):
            raise ValueError("应为列表")
        return {str(v) for v in value}
    return str(value)
