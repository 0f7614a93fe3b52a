"""Marketplace demo: categories with satisfaction options, ~40 products across the demo institutions,
a subsidy programme, and applications in every state with timelines, ratings and replies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qifu.access import configuration as access_configuration
from qifu.access import selectors as access_selectors
from qifu.accounts.models import User
from qifu.core import requestinfo
from qifu.marketplace.models import Application, Category, Product
from qifu.marketplace.services import applications, catalogue, ratings, subsidies
from qifu.marketplace.transitions import ENTERPRISE, INSTITUTION
from qifu.orgs.models import Enterprise, Institution

GOOD = ["响应及时", "专业可靠", "沟通顺畅", "价格合理", "解决了实际问题"]
BAD = ["响应慢", "不够专业", "沟通不畅", "收费不透明", "没有解决问题"]

# (code, name, prompt, [(sub code, sub name)])
CATEGORIES = [
    (
        "legal",
        "法律服务",
        "请评价律师的专业程度和响应速度",
        [("legal-advice", "法律咨询"), ("legal-contract", "合同审查"), ("legal-labour", "劳动争议")],
    ),
    (
        "tax",
        "财税服务",
        "请评价财税服务是否帮您解决了问题",
        [("tax-bookkeeping", "代理记账"), ("tax-planning", "税务筹划"), ("tax-audit", "审计验资")],
    ),
    (
        "hr",
        "人力资源与招聘",
        "请评价招聘与人事服务的效果",
        [("hr-recruit", "招聘服务"), ("hr-agency", "人事代理"), ("hr-training", "员工培训")],
    ),
    (
        "ip",
        "知识产权",
        "请评价知识产权服务的质量",
        [("ip-patent", "专利申请"), ("ip-trademark", "商标注册"), ("ip-standard", "知识产权贯标")],
    ),
    (
        "cert",
        "资质认证",
        "请评价认证辅导是否专业到位",
        [("cert-system", "体系认证"), ("cert-hightech", "高新技术企业认定辅导"), ("cert-srdi", "专精特新申报辅导")],
    ),
    (
        "tech",
        "科技创新",
        "请评价科技服务的专业性",
        [("tech-rd", "研发费用加计扣除辅导"), ("tech-project", "科技项目申报"), ("tech-transfer", "技术转移")],
    ),
    (
        "digital",
        "数字化赋能",
        "请评价数字化服务的落地效果",
        [("digital-cloud", "上云用云"), ("digital-diagnosis", "数字化诊断"), ("digital-iiot", "工业互联网")],
    ),
    (
        "financing",
        "融资服务",
        "请评价融资对接服务",
        [("financing-advice", "融资咨询"), ("financing-plan", "融资方案策划")],
    ),
]
KIND_CATEGORY = {
    "legal": "legal",
    "tax": "tax",
    "hr": "hr",
    "ip": "ip",
    "certification": "cert",
    "technology": "tech",
    "digital": "digital",
    "other": "financing",
    "bank": "financing",
    "guarantor": "financing",
    "insurer": "financing",
}
PRODUCTS = {
    "legal-advice": [("企业常年法律顾问", "12000.00", "年"), ("创业企业法律体检", "0", "次")],
    "legal-contract": [("合同审查与起草", "1500.00", "份"), ("合同模板定制包", "3000.00", "套")],
    "legal-labour": [("劳动用工合规审查", "5000.00", "次"), ("劳动争议调解代理", "8000.00", "件")],
    "tax-bookkeeping": [("小规模纳税人代理记账", "2400.00", "年"), ("一般纳税人代理记账", "6000.00", "年")],
    "tax-planning": [("税收优惠政策适用辅导", "3000.00", "次"), ("研发费用归集辅导", "5000.00", "次")],
    "tax-audit": [("年度财务审计", "8000.00", "次"), ("专项审计报告", "6000.00", "份")],
    "hr-recruit": [("技术岗位招聘专场", "2000.00", "场"), ("校园招聘对接", "0", "次")],
    "hr-agency": [("社保公积金代理", "1200.00", "年"), ("人事外包服务", "9600.00", "年")],
    "hr-training": [("新员工入职培训", "3000.00", "期"), ("班组长管理能力提升", "4500.00", "期")],
    "ip-patent": [("发明专利申请代理", "5000.00", "件"), ("实用新型专利申请", "2000.00", "件")],
    "ip-trademark": [("商标注册代理", "800.00", "件"), ("商标监测与维权咨询", "0", "次")],
    "ip-standard": [("知识产权管理体系贯标", "20000.00", "次")],
    "cert-system": [("ISO 9001 质量管理体系认证", "15000.00", "次"), ("ISO 14001 环境管理体系认证", "15000.00", "次")],
    "cert-hightech": [("高新技术企业认定全程辅导", "20000.00", "次")],
    "cert-srdi": [("专精特新中小企业申报辅导", "8000.00", "次")],
    "tech-rd": [("研发费用加计扣除专项辅导", "4000.00", "次")],
    "tech-project": [("科技项目申报辅导", "6000.00", "项")],
    "tech-transfer": [("高校院所技术对接", "0", "次"), ("科技成果评价", "10000.00", "项")],
    "digital-cloud": [("中小企业上云套餐", "3600.00", "年"), ("企业邮箱与协同办公", "1800.00", "年")],
    "digital-diagnosis": [("智能制造数字化诊断", "0", "次"), ("数字化转型规划咨询", "30000.00", "项")],
    "digital-iiot": [("设备联网与数据采集", "25000.00", "项")],
    "financing-advice": [("融资需求诊断", "0", "次"), ("银行贷款申报辅导", "2000.00", "次")],
    "financing-plan": [("股权融资方案策划", "20000.00", "项")],
}
FORM = [
    {"key": "employees", "label": "员工人数", "type": "number", "required": True, "min": 1, "max": 100000},
    {
        "key": "urgency",
        "label": "期望完成时间",
        "type": "select",
        "required": True,
        "options": ["一周内", "一个月内", "不急"],
    },
    {"key": "detail", "label": "需求描述", "type": "textarea", "required": False, "max_length": 500},
]
PDF = b"%PDF-1.4\n% Qifu demo\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _categories() -> dict[str, Category]:
    result = {}
    for sort, (code, name, prompt, subs) in enumerate(CATEGORIES):
        top = catalogue.save_category(
            None,
            {
                "code": code,
                "name": name,
                "sort": sort,
                "rating_prompt": prompt,
                "positive_reasons": GOOD,
                "negative_reasons": BAD,
            },
        )
        result[code] = top
        for i, (sub_code, sub_name) in enumerate(subs):
            result[sub_code] = catalogue.save_category(
                None, {"code": sub_code, "name": sub_name, "parent_id": top.pk, "sort": i}
            )
    return result


def _products(ctx, categories) -> list[Product]:
    rng = ctx.rng
    institutions = list(Institution.objects.filter(status="approved").order_by("id"))
    products = []
    wanted = ctx.count(40, 6)
    subs = [code for code in PRODUCTS]
    n = 0
    while len(products) < wanted and n < wanted * 3:
        institution = institutions[n % len(institutions)]
        top = KIND_CATEGORY[institution.kind]
        candidates = [c for c in subs if c.startswith(top + "-")] or subs
        sub = candidates[(n // len(institutions)) % len(candidates)]
        name, price, unit = PRODUCTS[sub][(n // (len(institutions) * len(candidates))) % len(PRODUCTS[sub])]
        n += 1
        if Product.objects.filter(institution=institution, name=name).exists():
            continue
        free = price == "0"
        product = catalogue.create_product(
            institution,
            {
                "category_id": categories[sub].pk,
                "name": name,
                "summary": f"{institution.name}提供的{categories[sub].name}服务",
                "description": f"<p>{name}：由{institution.name}的专业团队提供，{'线上线下均可' if n % 2 else '上门服务'}。</p>"
                "<ul><li>需求沟通</li><li>方案制定</li><li>服务交付与回访</li></ul>",
                "is_free": free,
                "price": "0" if free else price,
                "price_unit": unit,
                "service_area": rng.choice(["全区", "全区", "高新园区", "全市"]),
                "delivery": rng.choice(["online", "offline", "both"]),
                "required_materials": ["营业执照"] if n % 3 == 0 else [],
                "form_fields": FORM,
                "subsidy_eligible": not free and top != "financing",
                "accept_days": rng.choice([2, 3, 5]),
            },
        )
        # Most are reviewed and listed; a few wait in the review queue, one was refused.
        revision = product.revisions.get()
        if len(products) % 13 == 7:
            catalogue.reject_revision(revision, reason="产品介绍过于简单，请补充服务流程和交付标准")
        elif len(products) % 9 != 4:  # every ninth stays in the queue for the reviewer
            catalogue.approve_revision(revision)
        products.append(product)
    return products


def _journey(app, steps, *, owner, operator, staff, rng):
    """Walk one application through ``steps`` with the right person acting at each step."""
    for step in steps:
        if step in ("verify", "refuse") and app.subsidy_status != Application.Subsidy.RESERVED:
            break  # no subsidy was reserved for it (cap or budget): the journey ends at the rating
        if step in ("accept", "decline", "start", "evidence", "complete", "cancel_institution"):
            actor = operator
        elif step in ("verify", "refuse"):
            actor = staff
        else:
            actor = owner
        with requestinfo.acting(user=actor, request_id="seed-demo"):
            if step == "accept":
                applications.accept(app, note="已安排专人对接")
            elif step == "decline":
                applications.decline(app, reason="该需求超出本机构服务范围，建议选择其他机构")
            elif step == "start":
                applications.start(app, note="已与企业确认服务计划")
            elif step == "evidence":
                applications.upload_evidence(app, _pdf("服务报告.pdf"), label="服务报告")
            elif step == "complete":
                applications.complete(app, note="服务已交付，请确认")
            elif step == "confirm":
                applications.confirm(app)
            elif step == "rate":
                score = rng.choice([5, 5, 4, 4, 3, 2])
                reasons = rng.sample(GOOD if score >= 4 else BAD, 2)
                rating = ratings.rate(
                    app,
                    score=score,
                    reasons=reasons,
                    comment=rng.choice(["服务很到位", "整体满意", "还有提升空间", ""]),
                )
                if score <= 3 or rng.random() < 0.5:
                    with requestinfo.acting(user=operator, request_id="seed-demo"):
                        ratings.reply(rating, text="感谢您的评价，我们会持续改进服务。")
            elif step == "verify":
                applications.verify_subsidy(app, note="服务证明材料齐全，同意核销")
            elif step == "refuse":
                applications.refuse_subsidy(app, reason="服务证明材料与申请内容不符")
            elif step == "cancel":
                applications.cancel(app, side=ENTERPRISE, reason="企业计划调整")
            elif step == "cancel_institution":
                applications.cancel(app, side=INSTITUTION, reason="服务人员临时无法到场，已与企业沟通")
        app.refresh_from_db()


PATHS = [
    [],
    ["accept"],
    ["decline"],
    ["accept", "start"],
    ["accept", "start", "evidence", "complete"],
    ["accept", "start", "evidence", "complete", "confirm"],
    ["accept", "start", "evidence", "complete", "confirm", "rate"],
    ["accept", "start", "evidence", "complete", "confirm", "rate", "verify"],
    ["accept", "start", "evidence", "complete", "confirm", "rate", "verify"],
    ["accept", "start", "evidence", "complete", "confirm", "rate", "refuse"],
    ["cancel"],
    ["accept", "cancel_institution"],
]


def seed(ctx) -> None:
    if Category.objects.exists():
        return  # already seeded: the demo is created once
    rng = ctx.rng
    if access_selectors.parameter(applications.REMINDER_PARAMETER) is None:
        access_configuration.save_parameter(
            None,
            key=applications.REMINDER_PARAMETER,
            name="服务申请受理催办（截止前小时数）",
            kind="json",
            value="[24, 2]",
            description="服务申请在受理截止前这些小时各提醒机构一次，例如 [24, 2]",
        )
    categories = _categories()
    _products(ctx, categories)
    today = timezone.localdate()
    subsidies.save_programme(
        None,
        {
            "name": f"{today.year} 年度中小微企业服务费用补贴",
            "budget": Decimal("950000.00"),
            "starts_on": dt.date(today.year, 1, 1),
            "ends_on": dt.date(today.year, 12, 31),
            "category_ids": [categories[c].pk for c, *_ in CATEGORIES if c != "financing"],
            "mode": "ratio",
            "ratio": Decimal("0.5"),
            "max_per_service": Decimal("5000.00"),
            "per_enterprise_limit": 5,
            "description": "服务期内对中小企业购买的服务给予服务费用 50% 的补贴，单次最高 5000 元，单个企业服务最多计 5 次。",
        },
    )
    listed = [
        p for p in Product.objects.filter(status=Product.Status.LISTED).select_related("institution").order_by("id")
    ]
    if not listed:
        return
    demo_enterprise = ctx.shared.get("enterprise")
    enterprises = [
        demo_enterprise,
        *list(
            Enterprise.objects.filter(certification="certified")
            .exclude(pk=getattr(demo_enterprise, "pk", None))
            .order_by("id")[:20]
        ),
    ]
    owner = (
        User.objects.filter(memberships__organisation=demo_enterprise.organisation).first() if demo_enterprise else None
    )
    staff = User.objects.filter(
        memberships__organisation__kind="town", role_assignments__role__code="district_staff"
    ).first()
    count = ctx.count(36, len(PATHS))
    for n in range(count):
        enterprise = enterprises[n % len(enterprises)] if n % 3 else demo_enterprise
        product = listed[(n * 7) % len(listed)]
        operator = User.objects.filter(memberships__organisation=product.institution.organisation).first()
        acting_owner = owner if enterprise == demo_enterprise else None
        if Application.objects.filter(enterprise=enterprise, product=product).exists():
            continue
        with requestinfo.acting(user=acting_owner, request_id="seed-demo"):
            materials = []
            if product.required_materials:
                stored = applications.upload_material(_pdf("营业执照.pdf"))
                materials = [{"label": m, "file_id": stored.pk} for m in product.required_materials[:1]]
            app = applications.apply(
                enterprise=enterprise,
                product=product,
                data={
                    "contact_name": enterprise.contact_name or "联系人",
                    "contact_phone": enterprise.contact_phone or "13800000000",
                    "note": rng.choice(["希望尽快对接", "请电话联系", ""]),
                    "form_data": {
                        "employees": rng.randint(5, 500),
                        "urgency": rng.choice(["一周内", "一个月内", "不急"]),
                    },
                    "materials": materials,
                },
            )
        steps = PATHS[n % len(PATHS)]
        if ("verify" in steps or "refuse" in steps) and (not product.subsidy_eligible or staff is None):
            steps = steps[: steps.index("rate") + 1]
        _journey(app, steps, owner=acting_owner, operator=operator, staff=staff, rng=rng)
