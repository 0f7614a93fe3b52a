"""Input and output schemas of the marketplace API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from qifu.core.schemas import TimelineEventOut


def _rows(related) -> list:
    """A related manager's rows; field-ruled objects hand related managers over as lists already."""
    return list(related.all()) if hasattr(related, "all") else list(related)


# -- categories -------------------------------------------------------------------
class MarketCategoryIn(Schema):
    code: str = Field(..., min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(..., min_length=1, max_length=50)
    parent_id: int | None = None
    icon: str = Field("", max_length=40)
    sort: int = 0
    is_active: bool = True
    rating_prompt: str = Field("", max_length=200)
    positive_reasons: list[str] = Field(default_factory=list, max_length=20)
    negative_reasons: list[str] = Field(default_factory=list, max_length=20)


class MarketCategoryOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None
    icon: str
    sort: int
    is_active: bool
    rating_prompt: str
    positive_reasons: list[str]
    negative_reasons: list[str]


class MarketCategoryNode(MarketCategoryOut):
    children: list[MarketCategoryOut] = Field(default_factory=list)


class MarketSurveyOut(Schema):
    prompt: str
    positive_reasons: list[str]
    negative_reasons: list[str]


# -- products ----------------------------------------------------------------------
class MarketFormFieldIn(Schema):
    key: str = Field(..., max_length=40)
    label: str = Field(..., max_length=50)
    type: Literal["text", "textarea", "number", "date", "select", "multiselect", "boolean"] = "text"
    required: bool = False
    options: list[str] = Field(default_factory=list, max_length=50)
    min: float | None = None
    max: float | None = None
    max_length: int | None = Field(None, ge=1, le=5000)
    help: str = Field("", max_length=200)


class MarketProductIn(Schema):
    category_id: int
    name: str = Field(..., min_length=2, max_length=100)
    summary: str = Field("", max_length=200)
    description: str = Field("", max_length=20000)
    is_free: bool = False
    price: Decimal = Field(Decimal("0"), ge=0, le=Decimal("99999999.99"), decimal_places=2)
    price_unit: str = Field("", max_length=20)
    service_area: str = Field("", max_length=100)
    delivery: Literal["online", "offline", "both"] = "both"
    required_materials: list[str] = Field(default_factory=list, max_length=20)
    form_fields: list[MarketFormFieldIn] = Field(default_factory=list, max_length=30)
    subsidy_eligible: bool = False
    accept_days: int = Field(3, ge=1, le=30)


class MarketProductFilter(Schema):
    q: str | None = Field(None, max_length=50, description="关键词")
    category_id: int | None = None
    institution_id: int | None = None
    delivery: Literal["online", "offline"] | None = None
    free: bool | None = None
    subsidy: bool | None = None
    sort: Literal["newest", "popular", "rating", "price"] | None = None


class MarketOwnProductFilter(MarketProductFilter):
    status: Literal["pending", "rejected", "listed", "unlisted"] | None = None


class MarketInstitutionBrief(Schema):
    id: int
    name: str
    kind: str


class MarketProductOut(Schema):
    id: int
    name: str
    summary: str
    category_id: int
    category_name: str
    institution: MarketInstitutionBrief
    is_free: bool
    price: Decimal
    price_unit: str
    service_area: str
    delivery: str
    subsidy_eligible: bool
    status: str
    rating_count: int
    rating_average: Decimal | None
    application_count: int
    favourite_count: int
    favourited: bool = False

    @staticmethod
    def resolve_category_name(obj) -> str:
        return obj.category.name


class MarketProductDetail(MarketProductOut):
    description: str
    required_materials: list[str]
    form_fields: list[dict[str, Any]]
    accept_days: int
    listed_at: dt.datetime | None
    institution_intro: str = ""
    institution_rating_average: Decimal | None = None
    institution_rating_count: int = 0


class MarketRevisionOut(Schema):
    id: int
    product_id: int
    number: int
    data: dict[str, Any]
    status: str
    reason: str
    created_at: dt.datetime
    reviewed_at: dt.datetime | None


class MarketOwnProductOut(MarketProductDetail):
    unlisted_reason: str
    pending_revision: MarketRevisionOut | None = None
    last_revision: MarketRevisionOut | None = None


class MarketReviewItemOut(Schema):
    id: int
    number: int
    status: str
    reason: str
    created_at: dt.datetime
    data: dict[str, Any]
    product_id: int
    product_status: str
    product_name: str
    institution_name: str
    is_edit: bool
    live: dict[str, Any] | None = None


class MarketReviewIn(Schema):
    decision: Literal["approve", "reject"]
    reason: str = Field("", max_length=300)


class MarketUnlistIn(Schema):
    reason: str = Field("", max_length=200)


class MarketRatingOut(Schema):
    id: int
    score: int
    reasons: list[str]
    comment: str
    reply: str
    replied_at: dt.datetime | None
    created_at: dt.datetime
    enterprise_name: str
    product_id: int
    product_name: str
    application_id: int

    @staticmethod
    def resolve_enterprise_name(obj) -> str:
        # Public pages show the enterprise masked: first two and last two characters.
        name = obj.enterprise.name
        return name if len(name) <= 4 else name[:2] + "＊＊" + name[-2:]

    @staticmethod
    def resolve_product_name(obj) -> str:
        return obj.product.name


class MarketReplyIn(Schema):
    text: str = Field(..., min_length=1, max_length=500)


class MarketFavouriteOut(Schema):
    favourited: bool
    favourite_count: int


# -- applications --------------------------------------------------------------------
class MarketMaterialIn(Schema):
    label: str = Field("", max_length=100)
    file_id: int


class MarketApplyIn(Schema):
    product_id: int
    contact_name: str = Field(..., min_length=1, max_length=50)
    contact_phone: str = Field(..., pattern=r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")
    note: str = Field("", max_length=500)
    form_data: dict[str, Any] = Field(default_factory=dict)
    materials: list[MarketMaterialIn] = Field(default_factory=list, max_length=30)


class MarketApplicationFilter(Schema):
    q: str | None = Field(None, max_length=50, description="编号、产品或企业名称")
    status: str | None = Field(None, max_length=200, description="状态，多个用逗号分隔")
    subsidy_status: str | None = Field(None, max_length=100)
    programme_id: int | None = None
    institution_id: int | None = None
    category_id: int | None = None
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None


class MarketFileOut(Schema):
    id: int
    kind: str
    label: str
    name: str
    size: int
    content_type: str
    created_at: dt.datetime

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.file.original_name

    @staticmethod
    def resolve_size(obj) -> int:
        return obj.file.size

    @staticmethod
    def resolve_content_type(obj) -> str:
        return obj.file.content_type


class MarketApplicationOut(Schema):
    id: int
    number: str
    product_id: int
    product_name: str
    institution_id: int
    institution_name: str
    enterprise_id: int
    enterprise_name: str
    price: Decimal
    status: str
    status_label: str
    accept_deadline: dt.datetime | None
    subsidy_status: str
    subsidy_amount: Decimal
    subsidy_programme_name: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_institution_name(obj) -> str:
        return obj.institution.name

    @staticmethod
    def resolve_enterprise_name(obj) -> str:
        return obj.enterprise.name

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_subsidy_programme_name(obj) -> str:
        return obj.subsidy_programme.name if obj.subsidy_programme_id else ""


class MarketRatingBrief(Schema):
    score: int
    reasons: list[str]
    comment: str
    reply: str
    replied_at: dt.datetime | None
    created_at: dt.datetime


class MarketApplicationDetail(MarketApplicationOut):
    contact_name: str
    contact_phone: str
    note: str
    form_data: dict[str, Any]
    form_fields: list[dict[str, Any]]
    reason: str
    subsidy_note: str
    accepted_at: dt.datetime | None
    completed_at: dt.datetime | None
    confirmed_at: dt.datetime | None
    verified_at: dt.datetime | None
    files: list[MarketFileOut]
    events: list[TimelineEventOut]
    rating: MarketRatingBrief | None = None
    survey: MarketSurveyOut | None = None
    side: str = ""
    actions: list[str] = Field(default_factory=list)

    @staticmethod
    def resolve_form_fields(obj) -> list[dict[str, Any]]:
        return obj.product.form_fields

    @staticmethod
    def resolve_files(obj) -> list:
        return _rows(obj.files)

    @staticmethod
    def resolve_events(obj) -> list:
        return _rows(obj.events)

    @staticmethod
    def resolve_rating(obj):
        return getattr(obj, "rating", None) if hasattr(obj, "rating") else None


class MarketNoteIn(Schema):
    note: str = Field("", max_length=300)


class MarketReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300)


class MarketRateIn(Schema):
    score: int = Field(..., ge=1, le=5)
    reasons: list[str] = Field(default_factory=list, max_length=20)
    comment: str = Field("", max_length=500)


# -- subsidies ------------------------------------------------------------------------------
class MarketProgrammeIn(Schema):
    name: str = Field(..., min_length=2, max_length=100)
    budget: Decimal = Field(..., gt=0, le=Decimal("999999999999.99"), decimal_places=2)
    starts_on: dt.date
    ends_on: dt.date
    category_ids: list[int] = Field(..., min_length=1, max_length=50)
    mode: Literal["amount", "ratio"] = "ratio"
    amount: Decimal = Field(Decimal("0"), ge=0, le=Decimal("9999999999.99"), decimal_places=2)
    ratio: Decimal = Field(Decimal("0"), ge=0, le=1, decimal_places=3)
    max_per_service: Decimal | None = Field(None, ge=0, le=Decimal("9999999999.99"), decimal_places=2)
    per_enterprise_limit: int = Field(5, ge=1, le=5)
    status: Literal["active", "closed"] = "active"
    description: str = Field("", max_length=500)


class MarketProgrammeOut(Schema):
    id: int
    name: str
    budget: Decimal
    reserved: Decimal
    consumed: Decimal
    available: Decimal
    starts_on: dt.date
    ends_on: dt.date
    category_ids: list[int]
    mode: str
    amount: Decimal
    ratio: Decimal
    max_per_service: Decimal | None
    per_enterprise_limit: int
    status: str
    description: str
    application_count: int = 0

    @staticmethod
    def resolve_category_ids(obj) -> list[int]:
        return sorted(c.pk for c in _rows(obj.categories))
