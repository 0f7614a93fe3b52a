"""Operation and login logs for auditors: search, filter, export (tag audit).

Entries are those of the request's tenant, plus the platform's retention purges
(which span all tenants). Nothing here writes except the export's own log entry.
"""

from __future__ import annotations

from django.db.models import Q
from ninja import Query

from qifu.access.permissions import AUDIT_EXPORT, AUDIT_VIEW
from qifu.access.routing import AUDIT, router
from qifu.access.schemas import AuditFilter, AuditOut, ChainIn, ChainOut, LoginOut
from qifu.core import audit, tenancy
from qifu.core.audit_models import AuditEntry
from qifu.core.exports import xlsx_response
from qifu.core.pagination import Page, PageQuery, paginate
from qifu.core.routers import NO_ROWS

OPERATION_COLUMNS = [
    ("id", "编号"),
    ("at", "时间"),
    ("actor_label", "操作人"),
    ("organisation_id", "组织ID"),
    ("action", "动作"),
    ("object_type", "对象类型"),
    ("object_id", "对象ID"),
    ("object_repr", "对象"),
    ("changes", "变更"),
    ("outcome", "结果"),
    ("ip", "IP"),
    ("user_agent", "客户端"),
    ("request_id", "请求编号"),
]
LOGIN_COLUMNS = [
    ("id", "编号"),
    ("at", "时间"),
    ("object_repr", "登录账号"),
    ("actor_label", "用户"),
    ("outcome", "结果"),
    ("changes.method", "方式"),
    ("changes.reason", "原因"),
    ("ip", "IP"),
    ("user_agent", "客户端"),
]


def _visible():
    """This tenant's entries plus the platform's retention purges (which span all tenants)."""
    return AuditEntry.objects.filter(Q(tenant=tenancy.current_tenant()) | Q(tenant__isnull=True, action="audit.purge"))


def _entries(request, filters: AuditFilter, *, logins: bool):
    tenant = request.tenant
    qs = _visible()
    if logins:
        qs = AuditEntry.objects.filter(tenant=tenant, action__in=audit.LOGIN_ACTIONS)
    elif filters.action:
        qs = qs.filter(action__startswith=filters.action)
    if filters.q:
        qs = qs.filter(
            Q(object_repr__icontains=filters.q) | Q(actor_label__icontains=filters.q) | Q(request_id=filters.q)
        )
    if filters.actor_id:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    if filters.ip:
        qs = qs.filter(ip=filters.ip)
    if filters.start:
        qs = qs.filter(at__gte=filters.start)
    if filters.end:
        qs = qs.filter(at__lt=filters.end)
    return request.ctx.scoped(qs.order_by("-id"))


@router.get(
    **AUDIT,
    path="/audit/operations",
    permission=AUDIT_VIEW,
    model="core.auditentry",
    response=Page[AuditOut],
    summary="操作日志查询",
)
def list_operations(request, page: Query[PageQuery], filters: Query[AuditFilter]):
    return paginate(_entries(request, filters, logins=False), page)


@router.get(
    **AUDIT,
    path="/audit/operations/export",
    permission=AUDIT_EXPORT,
    model="core.auditentry",
    summary="导出操作日志（Excel）",
)
def export_operations(request, filters: Query[AuditFilter]):
    rows = _entries(request, filters, logins=False)
    return xlsx_response("操作日志.xlsx", OPERATION_COLUMNS, rows, ctx=request.ctx, model="core.auditentry")


@router.get(
    **AUDIT,
    path="/audit/operations/{entry_id}",
    permission=AUDIT_VIEW,
    object="core.auditentry",
    response=AuditOut,
    summary="操作日志详情",
)
def get_operation(request, entry_id: int):
    return request.ctx.get_or_404(_visible(), pk=entry_id)


@router.get(
    **AUDIT,
    path="/audit/logins",
    permission=AUDIT_VIEW,
    model="core.auditentry",
    response=Page[LoginOut],
    summary="登录日志查询",
)
def list_logins(request, page: Query[PageQuery], filters: Query[AuditFilter]):
    return paginate(_entries(request, filters, logins=True), page)


@router.get(
    **AUDIT,
    path="/audit/logins/export",
    permission=AUDIT_EXPORT,
    model="core.auditentry",
    summary="导出登录日志（Excel）",
)
def export_logins(request, filters: Query[AuditFilter]):
    rows = _entries(request, filters, logins=True)
    return xlsx_response("登录日志.xlsx", LOGIN_COLUMNS, rows, ctx=request.ctx, model="core.auditentry")


@router.get(
    **AUDIT,
    path="/audit/chain",
    permission=AUDIT_VIEW,
    model=NO_ROWS,
    response=ChainOut,
    summary="校验审计日志哈希链（本租户的记录；平台管理员为全链）",
)
def check_chain(request, params: Query[ChainIn]):
    if request.ctx.is_platform_admin:
        # The whole chain, every tenant's entries: only the platform sees it (and its counts).
        report = audit.check_platform_chain(full=params.full)
        return {
            "scope": "platform",
            "checked": report.checked,
            "newly_checked": report.newly_checked,
            "intact": report.broken is None and not report.reason,
            "broken_id": report.broken.id if report.broken else None,
            "reason": report.reason,
            "retention_days": audit.retention_days(),
        }
    tenant_report = audit.check_tenant_chain(request.tenant, full=params.full)
    return {
        "scope": "tenant",
        "checked": tenant_report.checked,
        "newly_checked": tenant_report.newly_checked,
        "intact": tenant_report.broken is None and not tenant_report.reason,
        "broken_id": tenant_report.broken.id if tenant_report.broken else None,
        "reason": tenant_report.reason,
        "retention_days": audit.retention_days(),
    }
