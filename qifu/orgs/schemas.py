from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import Field


class EnterpriseFilter(Schema):
    q: str | None = Field(None, max_length=100, description="名称或信用代码关键字")
    town_id: int | None = None
    industry: str | None = Field(None, max_length=8, description="行业代码前缀")
    certification: str | None = None


class EnterpriseOut(Schema):
    id: int
    name: str
    credit_code: str
    legal_rep_name: str
    legal_rep_id_number: str = Field("", description="法定代表人身份证号（按角色字段规则脱敏或隐藏）")
    industry_code: str | None = None
    industry_name: str | None = None
    town_id: int | None
    town_name: str | None = None
    registered_capital: Decimal | None
    founded_on: dt.date | None
    size: str
    contact_name: str = ""
    contact_phone: str = ""
    certification: str

    @staticmethod
    def resolve_industry_code(obj):
        return obj.industry.code if obj.industry_id else None

    @staticmethod
    def resolve_industry_name(obj):
        return obj.industry.name if obj.industry_id else None

    @staticmethod
    def resolve_town_name(obj):
        return obj.town.name if obj.town_id else None


class OrganisationOut(Schema):
    id: int
    name: str
    code: str
    kind: str
    parent_id: int | None
    depth: int
    path: str = ""
    sort: int = 0
    is_active: bool = True
    ledger_id: int | None = None
    legal_entity_id: int | None = None
    operating_unit_id: int | None = None
    served_legal_entity_ids: list[int] = []

    @staticmethod
    def resolve_served_legal_entity_ids(obj):
        if obj.kind != "operating_unit":
            return []
        return [o.id for o in obj.served_legal_entities.all()]


KINDS = r"^(business_group|legal_entity|operating_unit|inventory_org|cost_centre|department|town|gov_department)$"


class OrganisationIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    kind: str = Field(..., pattern=KINDS, description="组织类型（企业与服务机构经各自的入驻流程创建）")
    parent_id: int
    code: str = Field("", max_length=64)
    sort: int = 0
    ledger_id: int | None = None
    legal_entity_id: int | None = None
    operating_unit_id: int | None = None
    served_legal_entity_ids: list[int] | None = Field(None, max_length=200)


class OrganisationUpdate(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    code: str | None = Field(None, max_length=64)
    sort: int | None = None
    is_active: bool | None = None
    ledger_id: int | None = None
    legal_entity_id: int | None = None
    operating_unit_id: int | None = None
    served_legal_entity_ids: list[int] | None = Field(None, max_length=200)


class MoveIn(Schema):
    parent_id: int


class LedgerIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    currency: str = Field("CNY", pattern=r"^[A-Za-z]{3}$", description="ISO 4217 币种代码")
    calendar: str = Field("月历", min_length=1, max_length=50)


class LedgerOut(Schema):
    id: int
    name: str
    currency: str
    calendar: str
