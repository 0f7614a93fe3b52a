"""Base demo: the district's organisation tree, industries, enterprises, institutions, people."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from qifu.access.services import assign_role, ensure_builtin_roles
from qifu.accounts.models import User
from qifu.core import permissions as P
from qifu.orgs import services
from qifu.orgs.codes import make_credit_code, make_id_number
from qifu.orgs.industries import ensure_industries
from qifu.orgs.models import Enterprise, Industry, Institution, Organisation

TOWNS = ["城关街道", "东湖街道", "西岭镇", "南山镇", "北塘街道", "高新园区管委会", "临港镇", "青溪镇"]
DEPARTMENTS = [
    "区发展和改革局",
    "区工业和信息化局",
    "区科学技术局",
    "区财政局",
    "区市场监督管理局",
    "区人力资源和社会保障局",
]
REGION = "320505"  # administrative division used in generated credit codes
BRANDS = [
    "恒瑞",
    "华创",
    "博远",
    "中科",
    "金泰",
    "天盛",
    "瑞丰",
    "鼎信",
    "汇智",
    "新元",
    "宏达",
    "启明",
    "润泽",
    "安捷",
    "德隆",
    "卓越",
    "联拓",
    "海纳",
    "远景",
    "星河",
    "正泰",
    "弘毅",
    "同辉",
    "东方",
    "凯越",
    "科达",
    "明德",
    "信远",
]
TRADES = {
    "34": "精密机械",
    "35": "智能装备",
    "36": "汽车零部件",
    "38": "电气",
    "39": "电子科技",
    "40": "仪器仪表",
    "27": "生物医药",
    "26": "新材料",
    "29": "塑胶制品",
    "14": "食品",
    "65": "软件",
    "64": "网络科技",
    "73": "研究院",
    "74": "检测技术",
    "75": "科技服务",
    "51": "贸易",
    "52": "商贸",
    "72": "企业管理咨询",
    "54": "物流",
    "48": "建设工程",
}
FORMS = ["有限公司", "股份有限公司", "科技有限公司"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "志强",
    "海燕",
]
INSTITUTIONS = [
    ("江南律师事务所", "legal"),
    ("诚信税务师事务所", "tax"),
    ("英才人力资源服务有限公司", "hr"),
    ("智权知识产权代理有限公司", "ip"),
    ("华信检验认证有限公司", "certification"),
    ("创新科技服务中心", "technology"),
    ("数智转型咨询有限公司", "digital"),
    ("示范农商银行", "bank"),
    ("城市商业银行科技支行", "bank"),
    ("区融资担保有限公司", "guarantor"),
    ("平安财产保险区支公司", "insurer"),
    ("企航管理咨询有限公司", "other"),
]


def _person(rng) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _user(ctx, username: str, name: str, phone: str, **extra) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(
            username=username, password=ctx.password, name=name, phone=phone, tenant=ctx.tenant, **extra
        )
    return user


def _org_body(rng) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    return "MA" + "".join(rng.choice(chars) for _ in range(6))


def seed(ctx) -> None:
    rng = ctx.rng
    roles = ensure_builtin_roles()
    ensure_industries()
    prefix = "" if ctx.tenant.code == "demo" else f"{ctx.tenant.code}-"

    root = Organisation.objects.filter(kind=Organisation.Kind.ROOT).first() or services.create_organisation(
        name=ctx.tenant.name, kind=Organisation.Kind.ROOT
    )
    towns = list(Organisation.objects.filter(kind=Organisation.Kind.TOWN))
    if not towns:
        towns = [
            services.create_organisation(name=n, kind=Organisation.Kind.TOWN, parent=root, sort=i)
            for i, n in enumerate(TOWNS)
        ]
        for name in DEPARTMENTS:
            services.create_organisation(name=name, kind=Organisation.Kind.GOV_DEPARTMENT, parent=root)
    ctx.shared.update(root=root, towns=towns, roles=roles)

    admin = _user(ctx, f"{prefix}demo-admin", "租户管理员", f"1390000{ctx.tenant.id:04d}")
    services.add_member(admin, root, is_default=True)
    assign_role(admin, root, roles[P.TENANT_ADMIN])
    ctx.logins.append(("租户管理员", admin.username, ctx.password))
    for label, username, town in (("A 镇街工作人员", "staff-a", towns[0]), ("B 镇街工作人员", "staff-b", towns[1])):
        staff = _user(ctx, prefix + username, f"{town.name}经办", f"1391{ctx.tenant.id:03d}{towns.index(town):04d}")
        services.add_member(staff, town, is_default=True)
        assign_role(staff, town, roles[P.DISTRICT_STAFF])
        ctx.logins.append((label, staff.username, ctx.password))

    industries = [i for i in Industry.objects.filter(level=2) if i.code in TRADES]
    existing = Enterprise.objects.count()
    for n in range(existing, ctx.count(300, 10)):
        industry = rng.choice(industries)
        name = f"{rng.choice(['苏州', '示范区', '江南', '东湖'])}{rng.choice(BRANDS)}{TRADES[industry.code]}{rng.choice(FORMS)}"
        if Enterprise.objects.filter(name=name).exists():
            name = name.replace("有限公司", f"（{n}号）有限公司")
        founded = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randint(0, 9000))
        certified = rng.random() < 0.7
        services.create_enterprise(
            name=name,
            parent=root,
            credit_code=make_credit_code("9", "1", REGION, _org_body(rng)),
            legal_rep_name=_person(rng),
            legal_rep_id_number=make_id_number(
                "320505",
                dt.date(1960 + rng.randint(0, 35), rng.randint(1, 12), rng.randint(1, 28)),
                rng.randint(1, 999),
            ),
            industry=industry,
            town=rng.choice(towns),
            registered_capital=Decimal(rng.choice([50, 100, 200, 500, 1000, 3000, 5000, 10000])),
            founded_on=founded,
            size=rng.choice(["micro", "small", "small", "medium", "large"]),
            contact_name=_person(rng),
            contact_phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
            certification=Enterprise.Certification.CERTIFIED if certified else Enterprise.Certification.NONE,
        )

    if not Institution.objects.exists():
        for name, kind in INSTITUTIONS[: ctx.count(len(INSTITUTIONS), 3)]:
            services.create_institution(
                name=name,
                kind=kind,
                parent=root,
                status=Institution.Status.APPROVED,
                credit_code=make_credit_code("9", "1", REGION, _org_body(rng)),
                contact_name=_person(rng),
            )
    institution = Institution.objects.order_by("id").first()
    inst_admin = _user(ctx, prefix + "inst-admin", "机构管理员", f"1392{ctx.tenant.id:03d}0001")
    inst_operator = _user(ctx, prefix + "inst-operator", "机构经办人", f"1392{ctx.tenant.id:03d}0002")
    for user, role in ((inst_admin, P.INSTITUTION_ADMIN), (inst_operator, P.INSTITUTION_OPERATOR)):
        services.add_member(user, institution.organisation, is_default=True)
        assign_role(user, institution.organisation, roles[role])
    ctx.logins.append(("服务机构管理员", inst_admin.username, ctx.password))
    ctx.logins.append(("服务机构经办人", inst_operator.username, ctx.password))

    enterprise = Enterprise.objects.filter(certification="certified").order_by("id").first()
    owner = _user(ctx, prefix + "ent-owner", enterprise.legal_rep_name, f"1380000{ctx.tenant.id:04d}")
    services.add_member(owner, enterprise.organisation, is_default=True)
    assign_role(owner, enterprise.organisation, roles[P.ENTERPRISE_OWNER])
    ctx.logins.append(("企业管理员", owner.username, ctx.password))
    ctx.shared.update(institution=institution, enterprise=enterprise)
    seed_ebs(ctx)
    seed_auditor(ctx)


def seed_ebs(ctx) -> None:
    """A state-owned investment group laid out by the EBS model: BG > LEs on one ledger > OU > INV, CC."""
    from qifu.orgs.models import Ledger

    if Organisation.objects.filter(kind=Organisation.Kind.BUSINESS_GROUP).exists():
        return
    root = ctx.shared["root"]
    ledger = Ledger.objects.filter(name="集团人民币分类账").first() or services.create_ledger(
        name="集团人民币分类账", currency="CNY", calendar="月历"
    )
    bg = services.create_organisation(name="示范区国有资产投资集团", kind=Organisation.Kind.BUSINESS_GROUP, parent=root)
    les = [
        services.create_organisation(name=name, kind=Organisation.Kind.LEGAL_ENTITY, parent=bg, ledger=ledger)
        for name in ("示范区城市建设发展有限公司", "示范区产业园区运营有限公司")
    ]
    ou = services.create_organisation(
        name="园区运营业务实体",
        kind=Organisation.Kind.OPERATING_UNIT,
        parent=bg,
        ledger=ledger,
        served_legal_entities=les,
    )
    services.create_organisation(
        name="东湖园区物资库",
        kind=Organisation.Kind.INVENTORY_ORG,
        parent=ou,
        ledger=ledger,
        legal_entity=les[1],
        operating_unit=ou,
    )
    for le in les:
        services.create_organisation(
            name=f"{le.name[3:7]}财务部", kind=Organisation.Kind.COST_CENTRE, parent=le, legal_entity=le
        )
    ctx.shared["business_group"] = bg


def seed_auditor(ctx) -> None:
    prefix = "" if ctx.tenant.code == "demo" else f"{ctx.tenant.code}-"
    root = ctx.shared["root"]
    auditor = _user(ctx, prefix + "auditor", "审计员", f"1393{ctx.tenant.id:03d}0001")
    services.add_member(auditor, root, is_default=True)
    assign_role(auditor, root, ctx.shared["roles"][P.AUDITOR])
    ctx.logins.append(("审计员", auditor.username, ctx.password))
