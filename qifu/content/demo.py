"""Demo content: news, notices, activities, guides and FAQs, an entry in every slot,
the platform introduction and a latest-activity feed built from the demo enterprises."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qifu.content import services
from qifu.content.models import Article

NEWS = [
    (
        "区召开2026年惠企政策集中宣讲会",
        "区工业和信息化局联合区科技局、区财政局面向200余家企业解读专精特新、研发费用加计扣除等政策。",
    ),
    ("我区新增12家省级专精特新中小企业", "省工业和信息化厅公布最新名单，我区新增12家企业入选，累计达到86家。"),
    ("首贷服务季启动 银企对接会促成授信2.3亿元", "区金融办组织8家银行与46家小微企业现场对接，首贷户占比超过四成。"),
    ("企业综合服务平台上线“政策计算器”", "企业填写基本信息后即可查看可申报政策及所需条件，支持订阅政策更新。"),
    ("区人社局发放稳岗返还资金1860万元", "惠及参保企业3200余家，资金直接拨付至企业对公账户，无需企业申请。"),
    ("高新技术企业认定辅导走进临港镇", "辅导团队逐项讲解研发费用归集、知识产权和科技成果转化要求。"),
    ("区市场监管局开展知识产权质押融资专项服务", "帮助科技型企业以专利、商标质押获得融资，全年目标5亿元。"),
    ("数字化转型诊断服务免费为100家制造业企业把脉", "第三方服务机构入企诊断，出具数字化转型路线图。"),
    ("“企业码”累计领码企业突破1.2万家", "企业扫码即可查看政策匹配、诉求直达和金融服务入口。"),
    ("区领导走访调研重点企业 现场协调解决用工难题", "针对企业反映的用工、用地、融资问题建立清单，限时办结。"),
]
NOTICES = [
    ("关于2026年度专精特新中小企业申报的提示", "申报截止日期为6月30日，请企业通过平台在线提交材料。"),
    ("平台系统升级维护公告", "平台将于本周六22:00至次日02:00进行升级维护，期间暂停服务。"),
    ("关于开展2025年度企业研发投入统计的通知", "请规上工业企业于规定时间内在平台填报研发投入情况。"),
    ("关于防范冒用政府名义收取申报费用的提醒", "政策申报全程免费，请勿轻信收取“代办费”的第三方。"),
    ("首贷贴息资金申报窗口开放", "小微企业首贷贴息第二批次申报已开放，截止时间为本月底。"),
    ("关于公布第一批服务机构入驻名单的公告", "经审核，18家服务机构入驻平台服务超市，提供法律、财税、知识产权等服务。"),
]
ACTIVITIES = [
    ("专精特新企业申报辅导沙龙", "区政务服务中心三楼多功能厅", 80),
    ("小微企业首贷对接会（第三期）", "区金融服务中心路演厅", 120),
    ("数字化转型标杆企业参观交流", "高新园区智能制造示范工厂", 40),
    ("知识产权质押融资政策解读会", "线上直播", None),
]
GUIDES = [
    ("企业注册与实名认证操作指南", "账号与认证"),
    ("如何在平台查询和订阅政策", "政策服务"),
    ("政策自检：看看我能申报哪些政策", "政策服务"),
    ("融资申请操作指南", "金融服务"),
    ("服务超市下单与评价指南", "企业服务"),
]
FAQS = [
    ("企业认证需要准备哪些材料？", "营业执照、法定代表人身份证件；由法定代表人本人扫码或上传授权书。", "账号与认证"),
    ("忘记密码怎么办？", "在登录页点击“忘记密码”，通过注册手机号验证后重置。", "账号与认证"),
    ("政策申报是否收费？", "平台所有政策申报均免费，任何收费代办行为与平台无关。", "政策服务"),
    ("“可能符合”是什么意思？", "平台缺少判断所需的部分企业信息，请补充企业档案后重新自检。", "政策服务"),
    ("订阅政策后如何接收通知？", "新政策发布后将通过站内消息通知，您也可在消息中心设置短信提醒。", "政策服务"),
    ("首贷和续贷有什么区别？", "首贷指企业首次获得银行贷款，续贷指已有贷款到期后的再次贷款。", "金融服务"),
    ("融资申请多久能有结果？", "金融机构一般在3个工作日内受理，审批时间以各机构规定为准。", "金融服务"),
    ("服务补贴如何核销？", "服务完成并经企业确认评价后，由主管部门按补贴规则审核核销。", "企业服务"),
    ("活动报名后可以取消吗？", "可以，在活动开始前于“我的报名”中取消。", "活动"),
    ("平台数据是否安全？", "平台数据加密存储，访问行为全程留痕审计。", "平台"),
]
SERVICE_AREAS = [
    ("法律服务专区", "legal"),
    ("财税服务专区", "tax"),
    ("知识产权服务专区", "ip"),
    ("数字化转型专区", "digital"),
]
ACTIONS = [
    ("finance", "申请了", ["首贷贴息贷款", "科技信用贷", "知识产权质押贷款", "创业担保贷款"]),
    ("policy", "申报了", ["专精特新中小企业认定", "高新技术企业认定奖励", "稳岗返还", "研发费用加计扣除"]),
    ("service", "购买了", ["知识产权贯标服务", "财税合规体检", "劳动用工合规咨询", "数字化转型诊断"]),
]
COLOURS = [((20, 88, 200), (80, 170, 255)), ((200, 60, 40), (255, 150, 80)), ((20, 140, 110), (110, 220, 160))]


def _banner(rng, index: int):
    """A gradient banner picture (no text: the title is rendered by the portal over it)."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    width, height = 1200, 400
    start, end = COLOURS[index % len(COLOURS)]
    picture = PILImage.new("RGB", (width, height))
    draw = ImageDraw.Draw(picture)
    for x in range(width):
        t = x / width
        draw.line([(x, 0), (x, height)], fill=tuple(int(a + (b - a) * t) for a, b in zip(start, end, strict=True)))
    for _ in range(6):
        r = rng.randint(40, 160)
        cx, cy = rng.randint(600, 1200), rng.randint(0, 400)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(255, 255, 255), width=3)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return services.upload_image(SimpleUploadedFile(f"banner-{index}.png", buffer.getvalue()), alt="首页横幅")


def seed(ctx) -> None:
    if Article.objects.exists():
        return
    rng = ctx.rng
    now = timezone.now()
    articles: dict[str, list[Article]] = {}

    def add(kind: str, title: str, summary: str, *, days_ago: int, **extra) -> Article:
        body = f"<p>{summary}</p><p>详情请咨询平台客服或所属镇（街道）企业服务专员。</p>"
        article = services.create_article({"kind": kind, "title": title, "summary": summary, "body": body, **extra})
        services.publish_article(article)
        article.published_at = now - dt.timedelta(days=days_ago, hours=rng.randint(0, 12))
        article.save(update_fields=["published_at"])
        articles.setdefault(kind, []).append(article)
        return article

    for i, (title, summary) in enumerate(NEWS[: ctx.count(len(NEWS), 3)]):
        add("news", title, summary, days_ago=i * 3 + 1)
    for i, (title, summary) in enumerate(NOTICES[: ctx.count(len(NOTICES), 2)]):
        add("notice", title, summary, days_ago=i * 5, pinned=i == 0)
    for i, (title, place, capacity) in enumerate(ACTIVITIES):
        starts = now + dt.timedelta(days=7 + i * 10, hours=14 - now.hour)
        add(
            "activity",
            title,
            f"活动时间：{timezone.localtime(starts):%m月%d日 %H:%M}，地点：{place}。欢迎企业报名参加。",
            days_ago=i,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            location=place,
            signup_enabled=True,
            signup_deadline=starts - dt.timedelta(days=1),
            capacity=capacity,
        )
    for i, (title, category) in enumerate(GUIDES):
        add("guide", title, f"{title}：按步骤图文说明。", days_ago=20 + i, category=category)
    for i, (question, answer, category) in enumerate(FAQS):
        add("faq", question, answer, days_ago=30 + i, category=category)

    banners = [_banner(rng, i) for i in range(3)]
    slot_specs = [
        ("banner", "政策直通车：一键查找可申报政策", "/policies", banners[0], None),
        ("banner", "首贷服务季：小微企业首贷贴息", "/finance", banners[1], None),
        ("banner", "专精特新申报辅导沙龙报名中", None, banners[2], articles["activity"][0]),
    ]
    slot_specs += [("feed", a.title, None, None, a) for a in articles["news"][:4]]
    slot_specs += [("announcement", a.title, None, None, a) for a in articles["notice"][:3]]
    slot_specs += [("hot_product", name, f"/marketplace?category={code}", None, None) for name, code in SERVICE_AREAS]
    slot_specs += [("activity", a.title, None, None, a) for a in articles["activity"][:3]]
    for sort, (placement, title, link, image, article) in enumerate(slot_specs):
        services.save_slot(
            None,
            {
                "placement": placement,
                "title": title,
                "subtitle": article.summary[:200] if article else "",
                "link_url": link or "",
                "image_id": image.pk if image else None,
                "article_id": article.pk if article else None,
                "sort": sort * 10,
            },
        )
    # a banner that is scheduled for later shows how time windows work
    services.save_slot(
        None,
        {
            "placement": "banner",
            "title": "企业服务月活动预告",
            "link_url": "/content",
            "image_id": banners[0].pk,
            "starts_at": now + dt.timedelta(days=14),
            "ends_at": now + dt.timedelta(days=45),
            "sort": 100,
        },
    )
    services.save_intro(
        {
            "title": ctx.tenant.name,
            "body": "<p>平台汇聚政策、金融、服务机构和政务资源，为辖区企业提供政策查询与匹配、融资对接、"
            "服务超市、诉求直达等一站式服务，让企业少跑腿、好办事。</p>",
        }
    )
    _feed(ctx)


def _feed(ctx) -> None:
    from qifu.orgs.models import Enterprise

    names = list(Enterprise.objects.order_by("id").values_list("name", flat=True)[:200])
    if not names:
        return
    for _ in range(ctx.count(40, 8)):
        category, action, subjects = ctx.rng.choice(ACTIONS)
        services.record_activity(category, ctx.rng.choice(names), action, ctx.rng.choice(subjects))
