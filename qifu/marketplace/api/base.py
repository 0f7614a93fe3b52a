from __future__ import annotations

from qifu.core.routers import QifuRouter

router = QifuRouter(tag="marketplace")


def acting_institution(ctx):
    """The institution the user acts for; institution-side writes need one."""
    return ctx.acting_institution(code="marketplace.institution_required")


def acting_enterprise(ctx):
    return ctx.acting_enterprise(code="marketplace.enterprise_required")
