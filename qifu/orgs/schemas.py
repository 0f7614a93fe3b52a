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
