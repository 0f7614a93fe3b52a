"""Demo policy library: a tag library and ~240 policies from national to district level,
generated from templates of real policy kinds, with eligibility conditions, reviewed by
a second person, plus subscriptions and a (disabled) collection source. Bodies are composed
per policy from the template's fields (``demo_text.compose_body``), deterministic from the seed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from qifu.accounts.models import User
from qifu.policies import selectors, services
from qifu.policies.demo_text import compose_body
from qifu.policies.models import CollectionSource, Policy, PolicyTag

BASIC_TAGS = [("资金补助", "支持方式"), ("奖励", "支持方式"), ("税收优惠", "支持方式"), ("金融支持", "支持方式"),
              ("资质认定", "支持方式"), ("人才支持", "支持方式"), ("制造业", "产业领域"), ("软件和信息服务", "产业领域"),
              ("外贸", "产业领域"), ("生物医药", "产业领域")]  # fmt: skip
ADVANCED_TAGS = [("专精特新", "企业类型"), ("高新技术企业", "企业类型"), ("科技型中小企业", "企业类型"),
                 ("小微企业", "企业类型"), ("初创企业", "企业类型"), ("数字化转型", "发展方向"), ("绿色低碳", "发展方向"),
                 ("知识产权", "发展方向"), ("稳岗就业", "发展方向"), ("首贷", "发展方向"), ("上市培育", "发展方向")]  # fmt: skip

DEPARTMENTS = {
    "national": [("工业和信息化部", "工信部企业"), ("财政部", "财税"), ("国家税务总局", "税总公告"),
                 ("科学技术部", "国科发火"), ("人力资源和社会保障部", "人社部发"), ("国家发展和改革委员会", "发改高技")],
    "provincial": [("省工业和信息化厅", "省工信"), ("省科学技术厅", "省科技"), ("省财政厅", "省财企"),
                   ("省人力资源和社会保障厅", "省人社"), ("省地方金融管理局", "省金融")],
    "city": [("市工业和信息化局", "市工信"), ("市科学技术局", "市科"), ("市财政局", "市财"),
             ("市人力资源和社会保障局", "市人社"), ("市商务局", "市商")],
    "district": [("区发展和改革局", "区发改"), ("区工业和信息化局", "区工信"), ("区科学技术局", "区科"),
                 ("区财政局", "区财"), ("区市场监督管理局", "区市监"), ("区人力资源和社会保障局", "区人社")],
}  # fmt: skip
LEVEL_WORD = {"national": "", "provincial": "省级", "city": "市级", "district": "区级"}
SMALL = {"type": "in", "fact": "size", "values": ["small", "micro", "medium"]}
NO_DISHONESTY = {
    "type": "not",
    "child": {"type": "compare", "fact": "has_dishonesty_record", "op": "eq", "value": True},
}


def _all(*children):
    return {"type": "all", "children": [*children, NO_DISHONESTY]}


# (name, title patterns, support type, tags, (amount min, max) 万元 or None, industries, conditions, summary)
TEMPLATES = [
    (
        "高新技术企业认定奖励",
        ["关于{y}年度{lw}高新技术企业认定奖励的通知", "{lw}高新技术企业认定奖励实施办法（{y}年修订）"],
        "reward",
        ["奖励", "高新技术企业"],
        (10, 30),
        [],
        _all({"type": "has", "fact": "qualifications", "values": ["high_tech"], "mode": "any"}),
        "对首次通过认定的高新技术企业给予一次性奖励，重新认定通过的给予适当奖励。",
    ),
    (
        "专精特新中小企业培育",
        ["关于开展{y}年度{lw}专精特新中小企业认定工作的通知", "{lw}专精特新中小企业培育奖励办法"],
        "reward",
        ["奖励", "专精特新"],
        (20, 100),
        ["C", "I"],
        _all(
            SMALL,
            {"type": "years_since", "fact": "founded_on", "op": "gte", "value": 2},
            {
                "type": "ratio",
                "numerator": "rd_expense_last_year",
                "denominator": "revenue_last_year",
                "op": "gte",
                "value": 0.03,
            },
            {"type": "compare", "fact": "revenue_last_year", "op": "gte", "value": 1000},
        ),
        "支持中小企业走专业化、精细化、特色化、新颖化发展道路，对新认定的专精特新中小企业给予奖励。",
    ),
    (
        "专精特新“小巨人”企业奖励",
        ["{lw}专精特新“小巨人”企业奖励政策（{y}年）"],
        "reward",
        ["奖励", "专精特新"],
        (50, 200),
        ["C"],
        _all({"type": "has", "fact": "qualifications", "values": ["little_giant"], "mode": "any"}),
        "对获评国家级专精特新“小巨人”的企业给予一次性奖励。",
    ),
    (
        "研发费用加计扣除",
        ["关于进一步完善研发费用税前加计扣除政策的公告（{y}年）", "研发费用加计扣除政策执行指引（{y}版）"],
        "tax",
        ["税收优惠", "科技型中小企业"],
        None,
        [],
        _all(
            {"type": "compare", "fact": "rd_expense_last_year", "op": "gt", "value": 0},
            {"type": "not_in", "fact": "industry_code", "values": ["H", "K", "F", "R"]},
        ),
        "企业开展研发活动中实际发生的研发费用，按实际发生额的100%在税前加计扣除。",
    ),
    (
        "稳岗补贴",
        ["关于做好{y}年失业保险稳岗返还工作的通知", "{lw}稳岗补贴申领指南（{y}年）"],
        "grant",
        ["资金补助", "稳岗就业", "小微企业"],
        (0.5, 50),
        [],
        _all({"type": "compare", "fact": "insured_staff", "op": "gte", "value": 1}),
        "对不裁员或少裁员的参保企业，按企业及其职工上年度实际缴纳失业保险费的一定比例返还。",
    ),
    (
        "首贷贴息",
        ["{lw}小微企业首贷贴息资金管理办法", "关于开展{y}年度首贷贴息申报的通知"],
        "finance",
        ["金融支持", "首贷", "小微企业"],
        (1, 20),
        [],
        _all(
            {"type": "compare", "fact": "first_loan", "op": "eq", "value": True},
            {"type": "in", "fact": "size", "values": ["small", "micro"]},
        ),
        "对首次获得银行贷款的小微企业按贷款市场报价利率的50%给予贴息。",
    ),
    (
        "科技型中小企业评价",
        ["关于开展{y}年科技型中小企业评价工作的通知"],
        "qualification",
        ["资质认定", "科技型中小企业"],
        None,
        [],
        _all(
            {"type": "compare", "fact": "staff_count", "op": "lte", "value": 500},
            {"type": "compare", "fact": "revenue_last_year", "op": "lte", "value": 20000},
            {"type": "ratio", "numerator": "rd_staff", "denominator": "staff_count", "op": "gte", "value": 0.1},
        ),
        "符合条件的科技型中小企业经评价入库后，可享受研发费用加计扣除等优惠。",
    ),
    (
        "智能化改造和数字化转型补助",
        ["{lw}制造业智能化改造和数字化转型专项资金申报指南（{y}年）"],
        "grant",
        ["资金补助", "数字化转型", "制造业"],
        (20, 500),
        ["C"],
        _all(
            {"type": "in", "fact": "industry_code", "values": ["C"]},
            {"type": "compare", "fact": "registered_capital", "op": "gte", "value": 100},
        ),
        "对实施智能化改造、数字化转型项目的工业企业，按设备和软件投入的一定比例给予补助。",
    ),
    (
        "人才引进补贴",
        ["{lw}高层次人才引进和企业用工补贴实施细则（{y}年）"],
        "talent",
        ["人才支持", "稳岗就业"],
        (1, 100),
        [],
        _all({"type": "compare", "fact": "is_certified", "op": "eq", "value": True}),
        "对企业引进的高层次人才给予安家补贴和薪酬补助。",
    ),
    (
        "知识产权资助",
        ["{lw}知识产权资助和奖励办法（{y}年）", "关于组织申报{y}年度专利资助的通知"],
        "grant",
        ["资金补助", "知识产权"],
        (0.2, 50),
        [],
        _all({"type": "compare", "fact": "invention_patents", "op": "gte", "value": 1}),
        "对企业新授权发明专利、PCT国际专利申请及知识产权贯标给予资助。",
    ),
    (
        "创业担保贷款贴息",
        ["{lw}创业担保贷款及贴息实施办法（{y}年）"],
        "finance",
        ["金融支持", "初创企业", "小微企业"],
        (10, 300),
        [],
        _all(
            {"type": "years_since", "fact": "founded_on", "op": "lte", "value": 3},
            {"type": "in", "fact": "size", "values": ["small", "micro"]},
        ),
        "对成立不满三年的小微企业提供最高300万元创业担保贷款并给予贴息。",
    ),
    (
        "企业上市挂牌奖励",
        ["{lw}推进企业上市挂牌奖励办法（{y}年）"],
        "reward",
        ["奖励", "上市培育"],
        (50, 500),
        [],
        _all({"type": "range", "fact": "registered_capital", "min": 1000, "max": None}),
        "对完成股改、上市辅导备案和成功上市的企业分阶段给予奖励。",
    ),
    (
        "绿色工厂和节能改造补助",
        ["关于组织申报{y}年度{lw}绿色制造和节能技术改造项目的通知"],
        "grant",
        ["资金补助", "绿色低碳", "制造业"],
        (10, 200),
        ["C", "D"],
        _all({"type": "in", "fact": "industry_code", "values": ["C", "D"]}),
        "对获评绿色工厂和实施节能降碳技术改造的企业给予补助。",
    ),
    (
        "外贸企业参展补贴",
        ["{lw}外贸企业境外参展和开拓市场补贴办法（{y}年）"],
        "grant",
        ["资金补助", "外贸"],
        (1, 30),
        ["F", "C"],
        _all({"type": "in", "fact": "industry_code", "values": ["F", "C"]}),
        "对企业参加境外重点展会的展位费、特装费给予一定比例补贴。",
    ),
    (
        "软件和信息服务业扶持",
        ["{lw}促进软件和信息技术服务业高质量发展若干措施（{y}年）"],
        "grant",
        ["资金补助", "软件和信息服务", "数字化转型"],
        (10, 300),
        ["I"],
        _all(
            {"type": "in", "fact": "industry_code", "values": ["63", "64", "65"]},
            {"type": "compare", "fact": "revenue_last_year", "op": "gte", "value": 500},
        ),
        "支持软件企业做大做强，对营业收入首次突破规模节点的企业给予奖励。",
    ),
    (
        "吸纳就业补贴",
        ["关于落实{y}年吸纳重点群体就业补贴政策的通知"],
        "grant",
        ["资金补助", "稳岗就业"],
        (0.15, 10),
        [],
        _all({"type": "compare", "fact": "insured_staff", "op": "gte", "value": 3}),
        "对吸纳高校毕业生、就业困难人员并为其缴纳社会保险的企业给予一次性吸纳就业补贴。",
    ),
    (
        "增值税留抵退税",
        ["关于{y}年增值税期末留抵退税政策的公告"],
        "tax",
        ["税收优惠", "小微企业"],
        None,
        [],
        _all({"type": "in", "fact": "credit_rating", "values": ["A", "B"]}),
        "符合条件的小微企业和制造业等行业企业可按月申请退还增量和存量留抵税额。",
    ),
    (
        "生物医药产业扶持",
        ["{lw}支持生物医药产业创新发展若干政策（{y}年）"],
        "grant",
        ["资金补助", "生物医药"],
        (50, 1000),
        ["27"],
        _all(
            {"type": "in", "fact": "industry_code", "values": ["27"]},
            {"type": "ratio", "numerator": "rd_staff", "denominator": "staff_count", "op": "gte", "value": 0.15},
        ),
        "对开展创新药、高端医疗器械研发和产业化的企业给予研发和产业化补助。",
    ),
]


def _tags() -> dict[str, PolicyTag]:
    tags = {}
    for i, (name, category) in enumerate(BASIC_TAGS):
        tags[name] = PolicyTag.objects.get_or_create(
            name=name, defaults={"kind": PolicyTag.Kind.BASIC, "category": category, "sort": i}
        )[0]
    for i, (name, category) in enumerate(ADVANCED_TAGS):
        tags[name] = PolicyTag.objects.get_or_create(
            name=name, defaults={"kind": PolicyTag.Kind.ADVANCED, "category": category, "sort": i}
        )[0]
    return tags


def _people(ctx) -> tuple[User, User]:
    prefix = "" if ctx.tenant.code == "demo" else f"{ctx.tenant.code}-"
    people = {u.username: u for u in User.objects.filter(username__in=[prefix + "staff-a", prefix + "staff-b"])}
    return people[prefix + "staff-a"], people[prefix + "staff-b"]


def seed(ctx) -> None:
    if Policy.objects.exists():
        return
    rng = ctx.rng
    tags = _tags()
    submitter, reviewer = _people(ctx)
    today = timezone.localdate()
    total = ctx.count(240, 24)
    levels = ["national"] * 2 + ["provincial"] * 2 + ["city"] * 3 + ["district"] * 5
    serial: dict[str, int] = {}
    for n in range(total):
        template = TEMPLATES[n % len(TEMPLATES)]
        _name, patterns, support, tag_names, amount, industries, rule, summary = template
        level = rng.choice(levels)
        department, abbr = rng.choice(DEPARTMENTS[level])
        published = today - dt.timedelta(days=rng.randint(0, 3 * 365))
        year = published.year
        title = rng.choice(patterns).format(y=year, lw=LEVEL_WORD[level])
        if Policy.objects.filter(title=title).exists():
            title = (
                title.replace("（", f"（第{n // len(TEMPLATES) + 1}批，", 1) if "（" in title else f"{title}（第{n}号）"
            )
        serial[abbr] = serial.get(abbr, 0) + 1
        low, high = (None, None) if amount is None else (Decimal(str(amount[0])), Decimal(str(amount[1])))
        open_days = rng.choice([None, 30, 60, 90, 180])
        apply_start = published + dt.timedelta(days=7) if open_days else None
        apply_end = published + dt.timedelta(days=7 + open_days) if open_days else None
        body = compose_body(
            template,
            level=level,
            department=department,
            published=published,
            apply_start=apply_start,
            apply_end=apply_end,
            condition_lines=selectors.condition_lines(rule),
            rng=rng,
        )
        policy = services.create_policy(
            {
                "title": title,
                "number": f"{abbr}〔{year}〕{serial[abbr] * 3 + rng.randint(1, 2)}号",
                "level": level,
                "department": department,
                "publish_date": published,
                "effective_from": published,
                "effective_to": published + dt.timedelta(days=rng.choice([365, 730, 1095, 1825])),
                "apply_start": apply_start,
                "apply_end": apply_end,
                "support_type": support,
                "amount_min": low,
                "amount_max": high,
                "summary": summary,
                "body": body,
                "source_name": department,
                "conditions": rule,
            },
            tag_ids=[tags[t].pk for t in tag_names],
            industry_codes=industries,
        )
        roll = rng.random()
        if roll < 0.06:
            continue  # stays a draft
        services.submit_policy(policy, submitter)
        if roll < 0.12:
            continue  # waits in the review queue
        services.approve_policy(policy, reviewer, "材料齐全，同意发布")
        if roll < 0.15:
            services.withdraw_policy(policy, reviewer, "上级政策调整，暂停执行")
    services.expire_due(today)
    _subscriptions(ctx, tags)
    CollectionSource.objects.get_or_create(
        name="区政府信息公开·政策文件（示例，启用前请核对地址）",
        defaults={
            "kind": CollectionSource.Kind.HTML_LIST,
            "url": "https://www.gov.cn/zhengce/zuixin/",
            "link_pattern": r"/zhengce/content/\d{6}/",
            "level": "national",
            "department": "国务院",
            "is_active": False,
        },
    )


def _subscriptions(ctx, tags) -> None:
    enterprise = ctx.shared.get("enterprise")
    if enterprise is None:
        return
    owners = User.objects.filter(memberships__organisation=enterprise.organisation)
    for owner in owners[:1]:
        services.save_subscription(
            owner, tag_ids=[tags["专精特新"].pk, tags["首贷"].pk], departments=["区工业和信息化局"], levels=["district"]
        )
