from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

CODE_PATTERN = r"^[a-z][a-z0-9_-]{1,49}$"


class RoleOut(Schema):
    id: int
    code: str
    name: str
    description: str
    permissions: list[str]
    data_scope: str
    security_profile_id: int | None
    field_rules: dict[str, dict[str, str]]
    is_builtin: bool
    holders: int = 0

    @staticmethod
    def resolve_holders(obj):
        return getattr(obj, "holders", 0) or 0


class RoleIn(Schema):
    code: str = Field(..., pattern=CODE_PATTERN, description="角色编码：小写字母开头，字母数字-_")
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=300)
    permissions: list[str] = Field(default_factory=list, max_length=500)
    data_scope: str = "self"
    security_profile_id: int | None = None
    field_rules: dict[str, dict[str, str]] = Field(default_factory=dict)


class RoleUpdate(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=300)
    permissions: list[str] | None = Field(None, max_length=500)
    data_scope: str | None = None
    security_profile_id: int | None = None
    field_rules: dict[str, dict[str, str]] | None = None


class RoleCopyIn(Schema):
    code: str = Field(..., pattern=CODE_PATTERN)
    name: str = Field(..., min_length=1, max_length=100)


class CatalogueOut(Schema):
    menu: list[dict]
    scopes: list[dict]
    field_models: dict[str, dict]
    field_rules: dict[str, str]


class ProfileOut(Schema):
    id: int
    name: str
    organisations: list[dict]

    @staticmethod
    def resolve_organisations(obj):
        return [{"id": o.id, "name": o.name, "kind": o.kind} for o in obj.organisations.all()]


class ProfileIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    organisation_ids: list[int] = Field(..., min_length=1, max_length=200)


class AssignmentOut(Schema):
    id: int
    organisation_id: int
    organisation_name: str
    role_id: int
    role_code: str
    role_name: str


class UserOut(Schema):
    id: int
    username: str
    name: str
    phone: str
    is_active: bool
    last_login: dt.datetime | None
    memberships: list[dict] = []
    assignments: list[AssignmentOut] = []
    security_profiles: list[dict] = []


class UserFilter(Schema):
    q: str | None = Field(None, max_length=50, description="用户名、姓名或手机号")
    organisation_id: int | None = None
    role_id: int | None = None


class AssignIn(Schema):
    organisation_id: int
    role_id: int


class MembershipIn(Schema):
    organisation_id: int
    is_default: bool = False
    title: str = Field("", max_length=50)


class ProfileLinkIn(Schema):
    profile_id: int


class DictionaryItemIn(Schema):
    value: str = Field(..., min_length=1, max_length=60)
    label: str = Field(..., min_length=1, max_length=100)
    sort: int = 0
    is_active: bool = True


class DictionaryIn(Schema):
    code: str = Field(..., pattern=r"^[a-z][a-z0-9_.-]{1,59}$")
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=300)
    items: list[DictionaryItemIn] = Field(default_factory=list, max_length=500)


class DictionaryItemOut(Schema):
    value: str
    label: str
    sort: int
    is_active: bool


class DictionaryOptionOut(Schema):
    value: str
    label: str


class DictionaryOut(Schema):
    id: int
    code: str
    name: str
    description: str
    is_builtin: bool
    items: list[DictionaryItemOut]


class ParameterIn(Schema):
    key: str = Field(..., pattern=r"^[a-z][a-z0-9_.-]{1,99}$")
    name: str = Field(..., min_length=1, max_length=100)
    kind: str = Field("text", pattern=r"^(text|integer|boolean|json)$")
    value: str = Field("", max_length=5000)
    description: str = Field("", max_length=300)


class ParameterOut(Schema):
    id: int
    key: str
    name: str
    kind: str
    value: str
    description: str
    is_builtin: bool
    updated_at: dt.datetime


class AuditFilter(Schema):
    q: str | None = Field(None, max_length=100, description="对象名称、操作人或请求编号")
    action: str | None = Field(None, max_length=100, description="动作（前缀匹配）")
    actor_id: int | None = None
    object_type: str | None = Field(None, max_length=100)
    object_id: str | None = Field(None, max_length=64)
    outcome: str | None = Field(None, pattern=r"^(success|failure|denied)$")
    ip: str | None = Field(None, max_length=45)
    start: dt.datetime | None = Field(None, description="起始时间（含）")
    end: dt.datetime | None = Field(None, description="结束时间（不含）")


class AuditOut(Schema):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_label: str
    organisation_id: int | None
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict
    ip: str | None
    user_agent: str
    request_id: str
    outcome: str


class LoginOut(Schema):
    id: int
    at: dt.datetime
    user_id: int | None
    identifier: str
    outcome: str
    method: str
    reason: str
    ip: str | None
    user_agent: str

    @staticmethod
    def resolve_user_id(obj):
        return int(obj.object_id) if obj.object_id.isdigit() else None

    @staticmethod
    def resolve_identifier(obj):
        return obj.object_repr

    @staticmethod
    def resolve_method(obj):
        return (obj.changes or {}).get("method", "")

    @staticmethod
    def resolve_reason(obj):
        return (obj.changes or {}).get("reason", "")


class ChainIn(Schema):
    full: bool = Field(False, description="从头重新校验（默认从上次校验到的位置继续）")


class ChainOut(Schema):
    scope: str = Field(..., description="tenant：本租户的记录；platform：全平台哈希链（仅平台管理员）")
    checked: int = Field(..., description="已校验的记录数（累计；full=true 时从头重新计数）")
    newly_checked: int = Field(..., description="本次新校验的记录数")
    intact: bool
    broken_id: int | None
    reason: str
    retention_days: int


class OnlineSessionOut(Schema):
    id: int
    user_id: int
    username: str
    name: str
    ip: str | None
    user_agent: str
    method: str
    created_at: dt.datetime
    last_seen_at: dt.datetime

    @staticmethod
    def resolve_username(obj):
        return obj.user.username

    @staticmethod
    def resolve_name(obj):
        return obj.user.name


class OrganisationRefIn(Schema):
    organisation_id: int


class ActiveIn(Schema):
    is_active: bool


class PasswordResetOut(Schema):
    temporary_password: str = Field(..., description="临时密码，仅显示一次；用户下次登录须修改")
