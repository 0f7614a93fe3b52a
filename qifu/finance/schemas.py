"""Input and output schemas of the financing API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from qifu.core.schemas import TimelineEventOut

KINDS = Literal["credit", "mortgage", "guarantee", "insurance", "equity"]
MONEY = Field(..., gt=0, le=Decimal("999999999999.99"), decimal_places=2)


def _rows(related) -> list:
    return list(related.all()) if hasattr(related, "all") else list(related)


class FinProductIn(Schema):
    name: str = Field(..., min_length=2, max_length=100)
    kind: KINDS
    summary: str = Field("", max_length=200)
    description: str = Field("", max_length=20000)
    min_amount: Decimal = MONEY
    max_amount: Decimal = MONEY
    min_rate: Decimal = Field(..., ge=0, le=36, decimal_places=3)
    max_rate: Decimal = Field(..., ge=0, le=36, decimal_places=3)
    min_term: int = Field(..., ge=1, le=600)
    max_term: int = Field(..., ge=1, le=600)
    guarantee_method: str = Field("", max_length=100)
    repayment_method: str = Field("", max_length=100)
    eligibility: dict[str, Any] | None = None
    eligibility_text: str = Field("", max_length=2000)
    required_materials: list[str] = Field(default_factory=list, max_length=20)


class FinProductFilter(Schema):
    q: str | None = Field(None, max_length=50)
    kind: KINDS | None = None
    institution_id: int | None = None
    amount: Decimal | None = Field(None, gt=0, description="需要的金额（元），只列出额度覆盖它的产品")


class FinInstitutionBrief(Schema):
    id: int
    name: str
    kind: str


class FinProductOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: str
    summary: str
    institution: FinInstitutionBrief
    min_amount: Decimal
    max_amount: Decimal
    min_rate: Decimal
    max_rate: Decimal
    min_term: int
    max_term: int
    guarantee_method: str
    status: str
    application_count: int

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()


class FinProductDetail(FinProductOut):
    description: str
    repayment_method: str
    eligibility: dict[str, Any] | None
    eligibility_text: str
    required_materials: list[str]


class FinEligibilityOut(Schema):
    status: str
    status_label: str
    missing: list[dict[str, Any]]
    failed: list[dict[str, Any]]
    score: float


class FinMaterialIn(Schema):
    label: str = Field("", max_length=100)
    file_id: int


class FinApplyIn(Schema):
    product_id: int
    amount: Decimal = MONEY
    term_months: int = Field(..., ge=1, le=600)
    purpose: str = Field(..., min_length=2, max_length=300)
    contact_name: str = Field(..., min_length=1, max_length=50)
    contact_phone: str = Field(..., pattern=r"^1\d{10}$|^0\d{2,3}-?\d{7,8}$")
    materials: list[FinMaterialIn] = Field(default_factory=list, max_length=30)


class FinSupplyIn(Schema):
    note: str = Field("", max_length=300)
    materials: list[FinMaterialIn] = Field(..., min_length=1, max_length=30)


class FinNoteIn(Schema):
    note: str = Field("", max_length=300)


class FinRequiredNoteIn(Schema):
    note: str = Field(..., min_length=1, max_length=300)


class FinReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300)


class FinApproveIn(Schema):
    credit_amount: Decimal = MONEY
    rate: Decimal = Field(..., ge=0, le=36, decimal_places=3)
    term_months: int = Field(..., ge=1, le=600)
    note: str = Field("", max_length=300)


class FinDisburseIn(Schema):
    amount: Decimal = MONEY
    disbursed_on: dt.date
    loan_kind: Literal["first", "renewal"]
    note: str = Field("", max_length=300)


class FinApplicationFilter(Schema):
    q: str | None = Field(None, max_length=50)
    status: str | None = Field(None, max_length=200, description="状态，多个用逗号分隔")
    kind: KINDS | None = None
    loan_kind: Literal["first", "renewal"] | None = None
    institution_id: int | None = None
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None


class FinApplicationOut(Schema):
    id: int
    number: str
    product_id: int
    product_name: str
    institution_name: str
    enterprise_id: int
    enterprise_name: str
    amount: Decimal
    term_months: int
    status: str
    status_label: str
    credit_amount: Decimal | None
    disbursed_amount: Decimal | None
    loan_kind: str
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


class FinFileOut(Schema):
    id: int
    label: str
    name: str
    size: int
    created_at: dt.datetime

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.file.original_name

    @staticmethod
    def resolve_size(obj) -> int:
        return obj.file.size


class FinApplicationDetail(FinApplicationOut):
    purpose: str
    contact_name: str
    contact_phone: str
    eligibility_status: str
    materials_note: str
    reason: str
    approved_rate: Decimal | None
    approved_term: int | None
    disbursed_on: dt.date | None
    accepted_at: dt.datetime | None
    decided_at: dt.datetime | None
    files: list[FinFileOut]
    events: list[TimelineEventOut]
    side: str = ""
    actions: list[str] = Field(default_factory=list)
    suggested_loan_kind: str = ""

    @staticmethod
    def resolve_files(obj) -> list:
        return _rows(obj.files)

    @staticmethod
    def resolve_events(obj) -> list:
        return _rows(obj.events)


class FinLoanStatsOut(Schema):
    applications: int
    applied_amount: Decimal
    approved: int
    credit_amount: Decimal
    disbursed: int
    disbursed_amount: Decimal
    first_loans: int
    first_loan_amount: Decimal
    renewals: int
    renewal_amount: Decimal
