"""The policy library API: public browsing and search, enterprise self-check and
subscriptions, and the console's editor, review queue, tag library and collection."""

from __future__ import annotations

from django.db import transaction
from ninja import File, Form, Query, Status, UploadedFile

from qifu.core import fieldrules, files, jobs, search
from qifu.core.errors import RuleViolation
from qifu.core.pagination import Page, PageQuery, paginate
from qifu.core.permissions import AUTHENTICATED, PUBLIC
from qifu.core.routers import QifuRouter
from qifu.policies import facts, references, selectors, services
from qifu.policies.models import CollectionRun, CollectionSource, Policy, PolicyAttachment, PolicyTag
from qifu.policies.permissions import ELIGIBILITY_CHECK, POLICY_MANAGE, POLICY_REVIEW, SOURCE_MANAGE, TAG_MANAGE
from qifu.policies.schemas import (
    AttachmentOut,
    CommentIn,
    EligibilityOut,
    FactOut,
    MessageOut,
    OptionsOut,
    PolicyAdminDetail,
    PolicyCard,
    PolicyDetail,
    PolicyFilter,
    PolicyIn,
    ReasonIn,
    RuleIn,
    RuleOut,
    RunOut,
    SourceIn,
    SourceOut,
    SubscriptionIn,
    SubscriptionOut,
    SuggestOut,
    TagAdminOut,
    TagIn,
    choices,
)
from qifu.policies.tasks import COLLECT

PREFIX = "/policies"
router = QifuRouter(tag="policies")


# --------------------------------------------------------------------------- public
@router.get("", permission=PUBLIC, response=Page[PolicyCard], summary="政策列表与全文检索")
def list_policies(request, page: Query[PageQuery], filters: Query[PolicyFilter]):
    qs, terms, rank_q = selectors.policies(filters, public=True, ctx=request.ctx)
    return selectors.page_of(qs, page, terms, rank_q, ctx=request.ctx)


@router.get("/suggest", permission=PUBLIC, response=SuggestOut, summary="搜索联想")
def suggest(request, q: str = ""):
    qs = Policy.objects.filter(status=Policy.Status.PUBLISHED)
    return {"items": search.suggest(qs, q[:50], ctx=request.ctx)}


@router.get("/options", permission=PUBLIC, response=OptionsOut, summary="筛选项：层级、支持方式、部门、标签、行业")
def options(request):
    return {
        "levels": choices(Policy.Level.choices),
        "support_types": choices(Policy.SupportType.choices),
        "departments": selectors.departments(request.ctx),
        "tags": [selectors.tag_out(t, request.ctx) for t in PolicyTag.objects.filter(is_active=True)],
        "industries": selectors.industry_choices(),
    }


@router.get("/facts", permission=PUBLIC, response=list[FactOut], summary="企业指标词表（申报条件可用的指标）")
def fact_catalogue(request):
    return facts.catalogue()


@router.get("/subscription", permission=AUTHENTICATED, response=SubscriptionOut, summary="我的政策订阅")
def my_subscription(request):
    return selectors.subscription_of(request.ctx.user, request.ctx)


@router.put("/subscription", permission=AUTHENTICATED, response=SubscriptionOut, summary="保存政策订阅")
def save_subscription(request, payload: SubscriptionIn):
    services.save_subscription(
        request.ctx.user, tag_ids=payload.tag_ids, departments=payload.departments, levels=list(payload.levels)
    )
    return selectors.subscription_of(request.ctx.user, request.ctx)


@router.get(
    "/attachments/{attachment_id}",
    permission=PUBLIC,
    object="policies.policyattachment",
    summary="下载政策附件（已发布政策）",
    response={200: None},
)
def download_attachment(request, attachment_id: int):
    attachment = request.ctx.get_or_404(
        PolicyAttachment.objects.select_related("file", "policy"),
        pk=attachment_id,
        policy__status__in=selectors.PUBLIC_STATUSES,
    )
    return files.file_response(attachment.file)


@router.get("/{policy_id}", permission=PUBLIC, object="policies.policy", response=PolicyDetail, summary="政策详情")
def get_policy(request, policy_id: int):
    policy = request.ctx.get_or_404(Policy.objects.all(), pk=policy_id, status__in=selectors.PUBLIC_STATUSES)
    return selectors.detail(policy, request.ctx)


@router.get(
    "/{policy_id}/eligibility",
    permission=ELIGIBILITY_CHECK,
    object="policies.policy",
    response=EligibilityOut,
    summary="我是否符合申报条件",
)
def check_eligibility(request, policy_id: int):
    policy = request.ctx.get_or_404(Policy.objects.all(), pk=policy_id, status__in=selectors.PUBLIC_STATUSES)
    enterprise = request.ctx.acting_enterprise(
        code="policies.no_enterprise", message="请先切换到企业身份（或完成企业认证）后再自检", status=422
    )
    return selectors.eligibility(policy, enterprise, request.ctx)


# --------------------------------------------------------------------------- console: policies
def _policy(request, policy_id: int, permission: str | None = None) -> Policy:
    return request.ctx.get_or_404(Policy.objects.all(), permission, pk=policy_id)


def _fields(payload: PolicyIn) -> dict:
    return payload.dict(exclude={"tag_ids", "industry_codes"})


@router.get("/manage/policies", permission=POLICY_MANAGE, response=Page[PolicyCard], summary="政策管理列表")
def manage_list(request, page: Query[PageQuery], filters: Query[PolicyFilter]):
    qs, terms, rank_q = selectors.policies(filters, public=False, ctx=request.ctx)
    return selectors.page_of(request.ctx.scoped(qs), page, terms, rank_q, ctx=request.ctx)


@router.get("/manage/reviews", permission=POLICY_REVIEW, response=Page[PolicyCard], summary="待审核政策")
def review_queue(request, page: Query[PageQuery]):
    qs = Policy.objects.filter(status=Policy.Status.IN_REVIEW).prefetch_related("tags").order_by("submitted_at", "id")
    return paginate(request.ctx.scoped(qs), page, lambda policy: selectors.card(policy, ctx=request.ctx))


@router.post("/manage/policies", permission=POLICY_MANAGE, response={201: PolicyAdminDetail}, summary="新建政策")
def create_policy(request, payload: PolicyIn):
    policy = services.create_policy(_fields(payload), tag_ids=payload.tag_ids, industry_codes=payload.industry_codes)
    return Status(201, selectors.admin_detail(policy, request.ctx))


@router.get(
    "/manage/policies/{policy_id}",
    permission=POLICY_MANAGE,
    object="policies.policy",
    response=PolicyAdminDetail,
    summary="政策详情（管理）",
)
def manage_get(request, policy_id: int):
    return selectors.admin_detail(_policy(request, policy_id), request.ctx)


@router.put(
    "/manage/policies/{policy_id}",
    permission=POLICY_MANAGE,
    object="policies.policy",
    response=PolicyAdminDetail,
    summary="修改政策（草稿）",
)
def update_policy(request, policy_id: int, payload: PolicyIn):
    policy = services.update_policy(
        _policy(request, policy_id), _fields(payload), tag_ids=payload.tag_ids, industry_codes=payload.industry_codes
    )
    return selectors.admin_detail(policy, request.ctx)


@router.delete(
    "/manage/policies/{policy_id}",
    permission=POLICY_MANAGE,
    object="policies.policy",
    response={204: None},
    summary="删除政策草稿",
)
def delete_policy(request, policy_id: int):
    services.delete_policy(_policy(request, policy_id))
    return Status(204, None)


def _transition(path: str, permission: str, summary: str):
    return router.post(
        f"/manage/policies/{{policy_id}}/{path}",
        permission=permission,
        object="policies.policy",
        response=PolicyAdminDetail,
        summary=summary,
    )


@_transition("submit", POLICY_MANAGE, "提交审核")
def submit_policy(request, policy_id: int):
    policy = services.submit_policy(_policy(request, policy_id), request.ctx.user)
    return selectors.admin_detail(policy, request.ctx)


@_transition("approve", POLICY_REVIEW, "审核通过并发布（须非提交人）")
def approve_policy(request, policy_id: int, payload: CommentIn):
    policy = services.approve_policy(_policy(request, policy_id), request.ctx.user, payload.comment)
    return selectors.admin_detail(policy, request.ctx)


@_transition("reject", POLICY_REVIEW, "退回修改（须填写意见）")
def reject_policy(request, policy_id: int, payload: CommentIn):
    policy = services.reject_policy(_policy(request, policy_id), request.ctx.user, payload.comment)
    return selectors.admin_detail(policy, request.ctx)


@_transition("withdraw", POLICY_REVIEW, "撤回已发布政策")
def withdraw_policy(request, policy_id: int, payload: ReasonIn):
    policy = services.withdraw_policy(_policy(request, policy_id), request.ctx.user, payload.reason)
    return selectors.admin_detail(policy, request.ctx)


@_transition("reopen", POLICY_MANAGE, "撤回后重新编辑")
def reopen_policy(request, policy_id: int):
    policy = services.reopen_policy(_policy(request, policy_id), request.ctx.user)
    return selectors.admin_detail(policy, request.ctx)


@router.post(
    "/manage/policies/{policy_id}/attachments",
    permission=POLICY_MANAGE,
    object="policies.policy",
    response={201: AttachmentOut},
    summary="上传政策附件（PDF、Word、Excel、图片）",
)
def upload_attachment(request, policy_id: int, file: File[UploadedFile] = None, title: Form[str] = ""):
    # The file is optional in the signature so the policy is looked up (404 for others) before the body is judged.
    policy = _policy(request, policy_id)
    if file is None:
        raise RuleViolation("file.missing", "请选择要上传的附件")
    attachment = services.add_attachment(policy, file, title[:200])
    return Status(
        201,
        {
            "id": attachment.pk,
            "title": attachment.title,
            "size": attachment.file.size,
            "content_type": attachment.file.content_type,
        },
    )


@router.get(
    "/manage/attachments/{attachment_id}",
    permission=POLICY_MANAGE,
    object="policies.policyattachment",
    response={200: None},
    summary="下载政策附件（管理）",
)
def manage_download(request, attachment_id: int):
    attachment = request.ctx.get_or_404(PolicyAttachment.objects.select_related("file"), pk=attachment_id)
    return files.file_response(attachment.file)


@router.delete(
    "/manage/attachments/{attachment_id}",
    permission=POLICY_MANAGE,
    object="policies.policyattachment",
    response={204: None},
    summary="删除政策附件",
)
def delete_attachment(request, attachment_id: int):
    services.remove_attachment(
        request.ctx.get_or_404(PolicyAttachment.objects.select_related("policy"), pk=attachment_id)
    )
    return Status(204, None)


@router.post("/manage/rules/validate", permission=POLICY_MANAGE, response=RuleOut, summary="校验申报条件")
def validate_rule(request, payload: RuleIn):
    tree = references.validate_rule(payload.tree)
    return {"tree": tree, "lines": selectors.condition_lines(tree)}


# --------------------------------------------------------------------------- console: tags
@router.get("/manage/tags", permission=TAG_MANAGE, response=list[TagAdminOut], summary="标签库")
def list_tags(request):
    return list(request.ctx.scoped(selectors.tags_with_counts()))


@router.post("/manage/tags", permission=TAG_MANAGE, response={201: TagAdminOut}, summary="新建标签")
def create_tag(request, payload: TagIn):
    return Status(201, services.create_tag(payload.dict()))


def _tag(request, tag_id: int) -> PolicyTag:
    return request.ctx.get_or_404(selectors.tags_with_counts(), pk=tag_id)


@router.put(
    "/manage/tags/{tag_id}",
    permission=TAG_MANAGE,
    object="policies.policytag",
    response=TagAdminOut,
    summary="修改标签",
)
def update_tag(request, tag_id: int, payload: TagIn):
    services.update_tag(_tag(request, tag_id), payload.dict())
    return _tag(request, tag_id)


@router.delete(
    "/manage/tags/{tag_id}",
    permission=TAG_MANAGE,
    object="policies.policytag",
    response={204: None},
    summary="删除标签",
)
def delete_tag(request, tag_id: int):
    services.delete_tag(_tag(request, tag_id))
    return Status(204, None)


# --------------------------------------------------------------------------- console: collection
def _source_out(source: CollectionSource, ctx) -> dict:
    """Read through ``ctx``'s field rules: the dict built here carries no model for the router to rule."""
    last = source.runs.order_by("-id").first()
    shown = fieldrules.wrap(source, ctx)
    return {
        **{f: getattr(shown, f) for f in SourceOut.model_fields if hasattr(source, f)},
        "kind_label": shown.get_kind_display(),
        "last_status": last.get_status_display() if last else "",
    }


def _check_source(payload: SourceIn) -> dict:
    data = payload.dict()
    if not data["url"].lower().startswith(("http://", "https://")):
        raise RuleViolation("policies.bad_source_url", "来源地址须以 http:// 或 https:// 开头")
    unknown = set(data["json_fields"]) - {"title", "url", "date", "number", "department", "body"}
    if unknown:
        raise RuleViolation(
            "policies.bad_mapping",
            f"JSON 字段映射只支持 title/url/date/number/department/body，不支持：{'、'.join(sorted(unknown))}",
        )
    return data


@router.get("/manage/sources", permission=SOURCE_MANAGE, response=list[SourceOut], summary="归集来源")
def list_sources(request):
    return [_source_out(s, request.ctx) for s in request.ctx.scoped(CollectionSource.objects.all())]


@router.post("/manage/sources", permission=SOURCE_MANAGE, response={201: SourceOut}, summary="新建归集来源")
def create_source(request, payload: SourceIn):
    return Status(201, _source_out(services.save_source(None, _check_source(payload)), request.ctx))


def _source(request, source_id: int) -> CollectionSource:
    return request.ctx.get_or_404(CollectionSource.objects.all(), pk=source_id)


@router.put(
    "/manage/sources/{source_id}",
    permission=SOURCE_MANAGE,
    object="policies.collectionsource",
    response=SourceOut,
    summary="修改归集来源",
)
def update_source(request, source_id: int, payload: SourceIn):
    return _source_out(services.save_source(_source(request, source_id), _check_source(payload)), request.ctx)


@router.delete(
    "/manage/sources/{source_id}",
    permission=SOURCE_MANAGE,
    object="policies.collectionsource",
    response={204: None},
    summary="删除归集来源",
)
def delete_source(request, source_id: int):
    services.delete_source(_source(request, source_id))
    return Status(204, None)


@router.post(
    "/manage/sources/{source_id}/run",
    permission=SOURCE_MANAGE,
    object="policies.collectionsource",
    response={202: MessageOut},
    summary="立即归集",
)
def run_source(request, source_id: int):
    source = _source(request, source_id)
    tenant = request.ctx.tenant
    transaction.on_commit(lambda: jobs.enqueue(COLLECT, tenant, source_id=source.pk, trigger="manual"))
    return Status(202, {"message": f"已开始归集“{source.name}”，稍后在运行记录中查看结果"})


@router.get(
    "/manage/sources/{source_id}/runs",
    permission=SOURCE_MANAGE,
    object="policies.collectionsource",
    response=Page[RunOut],
    summary="归集运行记录",
)
def list_runs(request, source_id: int, page: Query[PageQuery]):
    source = _source(request, source_id)

    def out(run: CollectionRun) -> dict:
        return {
            **{f: getattr(run, f) for f in RunOut.model_fields if hasattr(run, f)},
            "status_label": run.get_status_display(),
        }

    return paginate(CollectionRun.objects.filter(source=source).order_by("-id"), page, out)
