"""Content API: the portal's home data, articles and sign-ups, and the console's content and slot management."""

from __future__ import annotations

from django.utils import timezone
from ninja import File, Form, Query, Status, UploadedFile

from qifu.content import selectors, services
from qifu.content.models import Article, Image, Signup, Slot
from qifu.content.permissions import ARTICLE_MANAGE, SIGNUP_EXPORT, SLOT_MANAGE
from qifu.content.schemas import (
    AdminArticleFilter,
    ArticleDetail,
    ArticleFilter,
    ArticleIn,
    ArticleOut,
    FeedItem,
    HomeOut,
    ImageOut,
    IntroIn,
    IntroOut,
    ReorderIn,
    SignupIn,
    SignupOut,
    SlotAdminOut,
    SlotIn,
    SlotsOut,
)
from qifu.core import fieldrules, files
from qifu.core.errors import RuleViolation
from qifu.core.exports import xlsx_response
from qifu.core.fields import mask
from qifu.core.pagination import Page, PageQuery, paginate
from qifu.core.permissions import AUTHENTICATED, PUBLIC
from qifu.core.routers import QifuRouter

PREFIX = "/content"
router = QifuRouter(tag="content")


# --------------------------------------------------------------------------- public
@router.get("/home", permission=PUBLIC, response=HomeOut, summary="门户首页：运营位、公告、平台介绍、最新动态")
def home(request):
    notices = selectors.articles(kind=Article.Kind.NOTICE)[:5]
    return {
        "slots": selectors.live_slots(request.ctx),
        "notices": [selectors.article_out(a, ctx=request.ctx) for a in notices],
        "intro": selectors.intro(),
        "feed": selectors.feed(ctx=request.ctx),
    }


@router.get("/slots", permission=PUBLIC, response=SlotsOut, summary="当前生效的运营位")
def slots(request):
    return selectors.live_slots(request.ctx)


@router.get("/intro", permission=PUBLIC, response=IntroOut, summary="平台介绍与实时统计")
def intro(request):
    return selectors.intro()


@router.get("/feed", permission=PUBLIC, response=list[FeedItem], summary="最新动态（已脱敏）")
def feed(request):
    return selectors.feed(ctx=request.ctx)


@router.get("/articles", permission=PUBLIC, response=Page[ArticleOut], summary="资讯、公告、活动、指南、常见问题")
def list_articles(request, page: Query[PageQuery], filters: Query[ArticleFilter]):
    qs = selectors.articles(filters.kind, filters.q, filters.category, ctx=request.ctx)
    return paginate(qs, page, lambda a: selectors.article_out(a, ctx=request.ctx))


@router.get(
    "/articles/{article_id}", permission=PUBLIC, object="content.article", response=ArticleDetail, summary="内容详情"
)
def get_article(request, article_id: int):
    article = request.ctx.get_or_404(selectors.articles(), pk=article_id)
    return selectors.article_out(article, with_body=True, user=request.ctx.user, ctx=request.ctx)


@router.get("/images/{image_id}", permission=PUBLIC, object="content.image", response={200: None}, summary="图片")
def get_image(request, image_id: int):
    image = request.ctx.get_or_404(Image.objects.select_related("file"), pk=image_id)
    response = files.file_response(image.file, inline=True)
    response["Cache-Control"] = "public, max-age=86400"
    return response


@router.post(
    "/articles/{article_id}/signup",
    permission=AUTHENTICATED,
    object="content.article",
    response={201: SignupOut},
    summary="活动报名",
)
def sign_up(request, article_id: int, payload: SignupIn):
    article = request.ctx.get_or_404(selectors.articles(kind=Article.Kind.ACTIVITY), pk=article_id)
    signup = services.sign_up(article, request.ctx.user, **payload.dict())
    return Status(201, _signup_out(signup))


@router.delete(
    "/articles/{article_id}/signup",
    permission=AUTHENTICATED,
    object="content.article",
    response=SignupOut,
    summary="取消报名",
)
def cancel_signup(request, article_id: int):
    signup = request.ctx.get_or_404(
        Signup.objects.select_related("article"), article_id=article_id, user=request.ctx.user
    )
    return _signup_out(services.cancel_signup(signup))


@router.get("/my/signups", permission=AUTHENTICATED, response=list[SignupOut], summary="我的活动报名")
def my_signups(request):
    qs = Signup.objects.filter(user=request.ctx.user).select_related("article").order_by("-id")[:100]
    return [_signup_out(s) for s in qs]


def _signup_out(signup: Signup, ctx=None) -> dict:
    """A sign-up as its owner sees it; with ``ctx`` (the console) through the role's field rules
    and with the phone number masked — the full number leaves only in the export."""
    phone = signup.phone
    if ctx is not None:
        phone = mask(fieldrules.Ruled(signup, ctx).phone)
    return {
        "id": signup.pk,
        "article_id": signup.article_id,
        "article_title": signup.article.title,
        "name": signup.name,
        "phone": phone,
        "organisation_name": signup.organisation_name,
        "note": signup.note,
        "status": signup.status,
        "created_at": signup.created_at,
    }


# --------------------------------------------------------------------------- console: articles
@router.get("/manage/articles", permission=ARTICLE_MANAGE, response=Page[ArticleOut], summary="内容管理列表")
def manage_articles(request, page: Query[PageQuery], filters: Query[AdminArticleFilter]):
    qs = Article.objects.all().order_by("-id")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        qs = qs.filter(title__icontains=filters.q)
    return paginate(request.ctx.scoped(qs), page, lambda a: selectors.article_out(a, ctx=request.ctx))


@router.post("/manage/articles", permission=ARTICLE_MANAGE, response={201: ArticleDetail}, summary="新建内容")
def create_article(request, payload: ArticleIn):
    article = services.create_article(payload.dict())
    return Status(201, selectors.article_out(article, with_body=True, ctx=request.ctx))


def _article(request, article_id: int) -> Article:
    return request.ctx.get_or_404(Article.objects.all(), pk=article_id)


@router.get(
    "/manage/articles/{article_id}",
    permission=ARTICLE_MANAGE,
    object="content.article",
    response=ArticleDetail,
    summary="内容详情（管理）",
)
def manage_article(request, article_id: int):
    return selectors.article_out(_article(request, article_id), with_body=True, ctx=request.ctx)


@router.put(
    "/manage/articles/{article_id}",
    permission=ARTICLE_MANAGE,
    object="content.article",
    response=ArticleDetail,
    summary="修改内容",
)
def update_article(request, article_id: int, payload: ArticleIn):
    article = services.update_article(_article(request, article_id), payload.dict())
    return selectors.article_out(article, with_body=True, ctx=request.ctx)


@router.post(
    "/manage/articles/{article_id}/publish",
    permission=ARTICLE_MANAGE,
    object="content.article",
    response=ArticleOut,
    summary="发布",
)
def publish_article(request, article_id: int):
    return selectors.article_out(services.publish_article(_article(request, article_id)), ctx=request.ctx)


@router.post(
    "/manage/articles/{article_id}/archive",
    permission=ARTICLE_MANAGE,
    object="content.article",
    response=ArticleOut,
    summary="下线",
)
def archive_article(request, article_id: int):
    return selectors.article_out(services.archive_article(_article(request, article_id)), ctx=request.ctx)


@router.delete(
    "/manage/articles/{article_id}",
    permission=ARTICLE_MANAGE,
    object="content.article",
    response={204: None},
    summary="删除内容",
)
def delete_article(request, article_id: int):
    services.delete_article(_article(request, article_id))
    return Status(204, None)


@router.get(
    "/manage/articles/{article_id}/signups",
    permission=ARTICLE_MANAGE,
    object="content.article",
    response=Page[SignupOut],
    summary="活动报名名单",
)
def article_signups(request, article_id: int, page: Query[PageQuery]):
    article = _article(request, article_id)
    qs = Signup.objects.filter(article=article).select_related("article").order_by("id")
    return paginate(qs, page, lambda signup: _signup_out(signup, request.ctx))


SIGNUP_COLUMNS = [
    ("name", "姓名"),
    ("phone", "联系电话"),
    ("organisation_name", "单位"),
    ("note", "备注"),
    ("status", "状态"),
    ("created_at", "报名时间"),
]


@router.get(
    "/manage/articles/{article_id}/signups/export",
    permission=SIGNUP_EXPORT,
    object="content.article",
    model="content.signup",
    summary="导出活动报名名单（Excel，含完整联系电话，按角色字段规则脱敏）",
)
def export_signups(request, article_id: int):
    article = _article(request, article_id)
    qs = Signup.objects.filter(article=article).order_by("id")
    return xlsx_response(f"活动报名名单-{article.pk}.xlsx", SIGNUP_COLUMNS, qs, ctx=request.ctx, model="content.signup")


@router.post("/manage/images", permission=ARTICLE_MANAGE, response={201: ImageOut}, summary="上传图片（JPG/PNG）")
def upload_image(request, file: File[UploadedFile] = None, alt: Form[str] = ""):
    if file is None:
        raise RuleViolation("file.missing", "请选择要上传的图片")
    image = services.upload_image(file, alt)
    return Status(201, {"id": image.pk, "url": selectors.image_url(image.pk)})


# --------------------------------------------------------------------------- console: slots and intro
def _slot_admin(slot: Slot, ctx) -> dict:
    now = timezone.now()
    shown = fieldrules.wrap(slot, ctx)
    return {
        **selectors.slot_out(slot, ctx),
        "placement_label": shown.get_placement_display(),
        "image_id": shown.image_id,
        "article_id": shown.article_id,
        "product_id": shown.product_id,
        "starts_at": shown.starts_at,
        "ends_at": shown.ends_at,
        "is_active": slot.is_active,
        # Computed from the window: with either end hidden or masked it would tell where the window
        # lies, so it is withheld with them (false: unknown, the schema has no null for it).
        "is_live": not any(fieldrules.withheld(ctx, Slot, name) for name in ("starts_at", "ends_at"))
        and slot.is_active
        and (slot.starts_at is None or slot.starts_at <= now)
        and (slot.ends_at is None or slot.ends_at > now),
    }


@router.get("/manage/slots", permission=SLOT_MANAGE, response=list[SlotAdminOut], summary="运营位列表")
def manage_slots(request, placement: str = ""):
    qs = Slot.objects.all().order_by("placement", "sort", "id")
    if placement:
        qs = qs.filter(placement=placement)
    return [_slot_admin(s, request.ctx) for s in request.ctx.scoped(qs)]


@router.post("/manage/slots", permission=SLOT_MANAGE, response={201: SlotAdminOut}, summary="新建运营位条目")
def create_slot(request, payload: SlotIn):
    return Status(201, _slot_admin(services.save_slot(None, payload.dict()), request.ctx))


@router.post("/manage/slots/reorder", permission=SLOT_MANAGE, response=list[SlotAdminOut], summary="调整运营位顺序")
def reorder_slots(request, payload: ReorderIn):
    services.reorder_slots(payload.placement, payload.ids)
    return [
        _slot_admin(s, request.ctx) for s in Slot.objects.filter(placement=payload.placement).order_by("sort", "id")
    ]


def _slot(request, slot_id: int) -> Slot:
    return request.ctx.get_or_404(Slot.objects.all(), pk=slot_id)


@router.put(
    "/manage/slots/{slot_id}",
    permission=SLOT_MANAGE,
    object="content.slot",
    response=SlotAdminOut,
    summary="修改运营位",
)
def update_slot(request, slot_id: int, payload: SlotIn):
    return _slot_admin(services.save_slot(_slot(request, slot_id), payload.dict()), request.ctx)


@router.delete(
    "/manage/slots/{slot_id}", permission=SLOT_MANAGE, object="content.slot", response={204: None}, summary="删除运营位"
)
def delete_slot(request, slot_id: int):
    services.delete_slot(_slot(request, slot_id))
    return Status(204, None)


@router.put("/manage/intro", permission=SLOT_MANAGE, response=IntroOut, summary="保存平台介绍")
def save_intro(request, payload: IntroIn):
    services.save_intro(payload.dict())
    return selectors.intro()
