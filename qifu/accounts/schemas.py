from __future__ import annotations

from ninja import Schema
from pydantic import Field


class LoginIn(Schema):
    username: str = Field(..., min_length=1, max_length=150, description="用户名或手机号")
    password: str = Field(..., min_length=1, max_length=128)


class OrganisationBrief(Schema):
    id: int
    name: str
    kind: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    is_platform_admin: bool
    must_change_password: bool
    tenant: dict | None
    organisation: OrganisationBrief | None
    organisations: list[OrganisationBrief]
    roles: list[str]
    permissions: list[str]


class SwitchOrgIn(Schema):
    organisation_id: int


class MenuNode(Schema):
    key: str
    title: str
    path: str = ""
    icon: str = ""
    children: list[MenuNode] = []


MenuNode.model_rebuild()
