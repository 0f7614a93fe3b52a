"""Platform endpoints that belong to no capability: a bare ping and the public site info."""

from __future__ import annotations

from django.core.cache import cache
from ninja import Schema

from qifu.core.errors import NotFound
from qifu.core.permissions import PUBLIC
from qifu.core.routers import QifuRouter

PREFIX = "/platform"
router = QifuRouter(tag="platform")


class PingOut(Schema):
    status: str


class SiteOut(Schema):
    tenant_code: str
    tenant_name: str
    enterprises: int
    institutions: int


@router.get("/ping", permission=PUBLIC, response=PingOut, summary="连通性检查（不访问数据库）")
def ping(request):
    return {"status": "ok"}


@router.get("/site", permission=PUBLIC, response=SiteOut, summary="站点信息与公开统计（缓存 60 秒）")
def site(request):
    from qifu.orgs.models import Enterprise, Institution

    tenant = request.tenant
    if tenant is None:
        raise NotFound("站点尚未配置租户", code="tenancy.not_configured")
    key = f"site:{tenant.id}"
    data = cache.get(key)
    if data is None:
        data = {
            "tenant_code": tenant.code,
            "tenant_name": tenant.name,
            "enterprises": Enterprise.objects.count(),
            "institutions": Institution.objects.filter(status="approved").count(),
        }
        cache.set(key, data, 60)
    return data
