from __future__ import annotations

from qifu.core.errors import Forbidden
from qifu.core.routers import QifuRouter

router = QifuRouter(tag="marketplace")


def acting_institution(ctx):
    """The institution the user acts for; institution-side writes need one."""
    org = ctx.organisation
    if org is None or org.kind != "institution" or not hasattr(org, "institution"):
        raise Forbidden("请以服务机构身份登录后操作", code="marketplace.institution_required")
    return org.institution


def acting_enterprise(ctx):
    org = ctx.organisation
    if org is None or org.kind != "enterprise" or not hasattr(org, "enterprise"):
        raise Forbidden("请以企业身份登录后操作", code="marketplace.enterprise_required")
    return org.enterprise
