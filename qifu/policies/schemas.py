from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from qifu.core.schemas import ReasonIn  # noqa: F401  (re-exported for this app's API)

LevelCode = Literal["national", "provincial", "city", "district"]
SupportCode = Literal["grant", "reward", "tax", "finance", "qualification", "talent", "service", "other"]


class PolicyFilter(Schema):
    q: str | None = Field(None, max_length=100, description="关键词（标题、文号、摘要、正文）")
    level: LevelCode | None = None
    department: str | None = Field(None, max_length=100)
    tag: int | None = Field(None, description="标签 ID")
    industry: str | None = Field(None, max_length=8, description="行业代码（GB/T 4754，门类字母或大类代码）")
    support_type: SupportCode | None = None
    status: Literal["draft", "in_review", "published", "expired", "withdrawn"] | None = None
    open_now: bool = Field(False, description="只看当前可申报")
    origin: Literal["manual", "collected"] | None = None
    sort: Literal["relevance", "date"] = "relevance"


class TagOut(Schema):
    id: int
    name: str
    kind: str
    category: str


class TagAdminOut(TagOut):
    description: str
    sort: int
    is_active: bool
    policy_count: int = 0


class TagIn(Schema):
    name: str = Field(..., min_length=1, max_length=30)
    kind: Literal["basic", "advanced"] = "basic"
    category: str = Field("", max_length=30)
    description: str = Field("", max_length=200)
    sort: int = Field(0, ge=-10000, le=10000)
    is_active: bool = True


class PolicyCard(Schema):
    id: int
    title: str
    title_html: str = Field(description="标题，命中词以 <mark> 标出（已转义）")
    number: str
    level: str
    level_label: str
    department: str
    publish_date: dt.date | None
    apply_start: dt.date | None
    apply_end: dt.date | None
    is_open: bool
    support_type: str
    support_type_label: str
    amount_min: Decimal | None
    amount_max: Decimal | None
    status: str
    status_label: str
    origin: str
    tags: list[TagOut]
    snippet: str = Field(description="摘要片段，命中词以 <mark> 标出（已转义）")


class AttachmentOut(Schema):
    id: int
    title: str
    size: int
    content_type: str


class IndustryOut(Schema):
    code: str
    name: str


class PolicyDetail(PolicyCard):
    summary: str
    body: str = Field(description="已净化的富文本 HTML")
    effective_from: dt.date | None
    effective_to: dt.date | None
    source_url: str
    source_name: str
    industries: list[IndustryOut]
    conditions: dict[str, Any] | None
    condition_lines: list[str]
    attachments: list[AttachmentOut]


class PolicyAdminDetail(PolicyDetail):
    submitted_by: str
    submitted_at: dt.datetime | None
    reviewed_by: str
    reviewed_at: dt.datetime | None
    review_comment: str
    withdrawn_reason: str
    collected_from: str
    can_review: bool


class PolicyIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    number: str = Field("", max_length=100)
    level: LevelCode
    department: str = Field("", max_length=100)
    publish_date: dt.date | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    apply_start: dt.date | None = None
    apply_end: dt.date | None = None
    support_type: SupportCode = "grant"
    amount_min: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    amount_max: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    summary: str = Field("", max_length=2000)
    body: str = Field("", max_length=500000)
    source_url: str = Field("", max_length=500)
    source_name: str = Field("", max_length=100)
    conditions: dict[str, Any] | None = None
    tag_ids: list[int] = Field(default_factory=list, max_length=50)
    industry_codes: list[str] = Field(default_factory=list, max_length=100)


class CommentIn(Schema):
    comment: str = Field("", max_length=500)


class RuleIn(Schema):
    tree: dict[str, Any] | None = None


class RuleOut(Schema):
    tree: dict[str, Any] | None
    lines: list[str]


class FactOut(Schema):
    name: str
    label: str
    type: str
    unit: str
    description: str
    source: str
    source_label: str
    choices: list[dict[str, str]]


class Choice(Schema):
    value: str
    label: str


class IndustryChoice(Schema):
    code: str = Field(description="门类字母或大类代码（GB/T 4754-2017）")
    name: str
    section: str = Field(description="所属门类；门类本身为空")


class OptionsOut(Schema):
    levels: list[Choice]
    support_types: list[Choice]
    departments: list[str]
    tags: list[TagOut]
    industries: list[IndustryChoice]


class SuggestOut(Schema):
    items: list[str]


class MissingFact(Schema):
    fact: str
    label: str
    source: str


class FailedCondition(Schema):
    node: str
    id: str
    condition: str
    actual: Any = None
    gap: float | None = None
    unit: str = ""


class EligibilityOut(Schema):
    policy_id: int
    enterprise: str
    status: Literal["eligible", "possibly", "ineligible"]
    status_label: str
    missing: list[MissingFact]
    failed: list[FailedCondition]
    score: float
    known_facts: list[str]


class SubscriptionIn(Schema):
    tag_ids: list[int] = Field(default_factory=list, max_length=50)
    departments: list[str] = Field(default_factory=list, max_length=30)
    levels: list[LevelCode] = Field(default_factory=list, max_length=4)


class SubscriptionOut(Schema):
    tags: list[TagOut]
    departments: list[str]
    levels: list[str]


class SourceIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    kind: Literal["html_list", "rss", "json"]
    url: str = Field(..., min_length=8, max_length=500)
    link_pattern: str = Field("", max_length=300)
    json_items: str = Field("", max_length=100)
    json_fields: dict[str, str] = Field(default_factory=dict)
    level: LevelCode = "district"
    department: str = Field("", max_length=100)
    max_items: int = Field(20, ge=1, le=200)
    is_active: bool = True


class SourceOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    url: str
    link_pattern: str
    json_items: str
    json_fields: dict[str, str]
    level: str
    department: str
    max_items: int
    is_active: bool
    last_run_at: dt.datetime | None
    last_status: str = ""


class RunOut(Schema):
    id: int
    status: str
    status_label: str
    trigger: str
    found: int
    created: int
    duplicates: int
    failed: int
    message: str
    errors: list[dict[str, str]]
    created_at: dt.datetime
    finished_at: dt.datetime | None


class MessageOut(Schema):
    message: str


def choices(model_choices) -> list[dict[str, str]]:
    return [{"value": v, "label": str(label)} for v, label in model_choices]
