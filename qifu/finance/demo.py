"""Financing demo: financial products of the bank, guarantee and insurance institutions (with
eligibility rule trees), a bank officer's login, and loan applications in every state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from qifu.access.services import assign_role
from qifu.accounts.models import User
from qifu.core import permissions as P
from qifu.core import requestinfo
from qifu.core.errors import RuleViolation
from qifu.finance import services
from qifu.finance.models import FinancialProduct, LoanApplication
from qifu.orgs import services as org_services
from qifu.orgs.models import Enterprise, Institution, Organisation

CERTIFIED = {"type": "compare", "fact": "is_certified", "op": "eq", "value": True, "label": "平台认证企业"}
# (institution kind, name, kind, amount range 元, rate range %, term range months, guarantee, rule)
PRODUCTS = [
    (
        "bank",
        "科创信用贷",
        "credit",
        (100_000, 3_000_000),
        ("3.20", "4.50"),
        (6, 36),
        "信用",
        {
            "type": "all",
            "children": [CERTIFIED, {"type": "years_since", "fact": "founded_on", "op": "gte", "value": 2}],
        },
    ),
    (
        "bank",
        "小微企业首贷通",
        "credit",
        (50_000, 1_000_000),
        ("3.45", "4.35"),
        (3, 12),
        "信用",
        {"type": "all", "children": [CERTIFIED]},
    ),
    (
        "bank",
        "厂房抵押贷",
        "mortgage",
        (1_000_000, 20_000_000),
        ("3.10", "4.20"),
        (12, 120),
        "不动产抵押",
        {"type": "all", "children": [CERTIFIED, {"type": "range", "fact": "registered_capital", "min": 500}]},
    ),
    (
        "bank",
        "知识产权质押贷",
        "mortgage",
        (500_000, 10_000_000),
        ("3.30", "4.60"),
        (12, 36),
        "知识产权质押",
        {"type": "all", "children": [CERTIFIED]},
    ),
    (
        "bank",
        "税易贷",
        "credit",
        (100_000, 2_000_000),
        ("3.65", "4.80"),
        (6, 24),
        "信用",
        {"type": "all", "children": [CERTIFIED]},
    ),
    (
        "guarantor",
        "政府性融资担保",
        "guarantee",
        (100_000, 5_000_000),
        ("0.50", "1.00"),
        (6, 36),
        "担保公司保证",
        {"type": "all", "children": [CERTIFIED]},
    ),
    (
        "insurer",
        "贷款保证保险",
        "insurance",
        (100_000, 3_000_000),
        ("1.00", "2.00"),
        (6, 24),
        "保证保险",
        {"type": "all", "children": [CERTIFIED]},
    ),
    ("other", "科技企业股权融资对接", "equity", (1_000_000, 50_000_000), ("0.00", "0.00"), (12, 60), "股权", None),
]
PURPOSES = ["采购原材料", "扩大生产线", "研发投入", "补充流动资金", "支付货款", "设备更新改造"]
PATHS = [
    [],
    ["accept"],
    ["accept", "request_materials"],
    ["accept", "approve"],
    ["accept", "approve", "disburse"],
    ["accept", "approve", "disburse"],
    ["reject"],
    ["accept", "reject"],
    ["cancel"],
]


def _institution(ctx, kind: str) -> Institution:
    found = Institution.objects.filter(kind=kind, status="approved").order_by("id").first()
    if found is None:
        # Small demo scales have fewer institutions: add the financial one this demo needs.
        names = {
            "bank": "示范农商银行",
            "guarantor": "区融资担保有限公司",
            "insurer": "平安财产保险区支公司",
            "other": "企航管理咨询有限公司",
        }
        found = org_services.create_institution(
            name=names[kind],
            kind=kind,
            parent=Organisation.objects.get(kind="root"),
            status=Institution.Status.APPROVED,
        )
    return found


def _bank_people(ctx, bank: Institution) -> User:
    prefix = "" if ctx.tenant.code == "demo" else f"{ctx.tenant.code}-"
    roles = ctx.shared.get("roles") or {}
    officer = None
    for username, name, role in (
        ("bank-admin", "银行管理员", P.INSTITUTION_ADMIN),
        ("bank-officer", "银行客户经理", P.INSTITUTION_OPERATOR),
    ):
        user = User.objects.filter(username=prefix + username).first()
        if user is None:
            user = User.objects.create_user(
                username=prefix + username,
                password=ctx.password,
                name=name,
                phone=f"1393{ctx.tenant.id:03d}{len(ctx.logins):04d}",
                tenant=ctx.tenant,
            )
        org_services.add_member(user, bank.organisation, is_default=True)
        if role in roles:
            assign_role(user, bank.organisation, roles[role])
        ctx.logins.append((name, user.username, ctx.password))
        officer = user
    return officer


def seed(ctx) -> None:
    if FinancialProduct.objects.exists():
        return
    rng = ctx.rng
    products = []
    for kind, name, product_kind, amounts, rates, terms, guarantee, rule in PRODUCTS:
        institution = _institution(ctx, kind)
        products.append(
            services.save_product(
                institution,
                None,
                {
                    "name": name,
                    "kind": product_kind,
                    "summary": f"{institution.name}面向区内中小微企业的{name}",
                    "description": f"<p>{name}：额度 {amounts[0] // 10000}–{amounts[1] // 10000} 万元，期限 {terms[0]}–{terms[1]} 个月。</p>",
                    "min_amount": Decimal(amounts[0]),
                    "max_amount": Decimal(amounts[1]),
                    "min_rate": Decimal(rates[0]),
                    "max_rate": Decimal(rates[1]),
                    "min_term": terms[0],
                    "max_term": terms[1],
                    "guarantee_method": guarantee,
                    "repayment_method": rng.choice(["按月付息到期还本", "等额本息", "随借随还"]),
                    "eligibility": rule,
                    "eligibility_text": "在本区注册并经平台认证的中小微企业" if rule else "",
                    "required_materials": ["营业执照", "近两年财务报表"],
                },
            )
        )
    bank = products[0].institution
    officer = _bank_people(ctx, bank)
    demo_enterprise = ctx.shared.get("enterprise")
    owner = (
        User.objects.filter(memberships__organisation=demo_enterprise.organisation).first() if demo_enterprise else None
    )
    enterprises = list(Enterprise.objects.filter(certification="certified").order_by("id")[: ctx.count(24, 4)])
    today = timezone.localdate()
    for n, enterprise in enumerate(enterprises):
        product = products[n % 5]  # the bank's products
        acting_owner = owner if enterprise == demo_enterprise else None
        with requestinfo.acting(user=acting_owner, request_id="seed-demo"):
            try:
                app = services.apply(
                    enterprise=enterprise,
                    product=product,
                    data={
                        "amount": Decimal(
                            rng.randrange(int(product.min_amount), int(product.max_amount) // 2 + 1, 10000)
                        ),
                        "term_months": rng.randint(product.min_term, product.max_term),
                        "purpose": rng.choice(PURPOSES),
                        "contact_name": enterprise.contact_name or "联系人",
                        "contact_phone": enterprise.contact_phone or "13800000000",
                    },
                )
            except RuleViolation:
                continue  # the enterprise does not meet this product's conditions
        for step in PATHS[n % len(PATHS)]:
            actor = acting_owner if step == "cancel" else officer
            with requestinfo.acting(user=actor, request_id="seed-demo"):
                if step == "accept":
                    services.accept(app, note="客户经理已联系企业")
                elif step == "request_materials":
                    services.request_materials(app, note="请补充近两年财务报表和纳税证明")
                elif step == "approve":
                    credit = (app.amount * Decimal("0.8")).quantize(Decimal("1"))
                    services.approve(
                        app,
                        credit_amount=max(credit, product.min_amount),
                        rate=product.min_rate,
                        term_months=app.term_months,
                    )
                elif step == "disburse":
                    app.refresh_from_db()
                    services.disburse(
                        app,
                        amount=app.credit_amount,
                        disbursed_on=today - dt.timedelta(days=rng.randint(0, 60)),
                        loan_kind=services.suggested_loan_kind(app) if n % 4 else LoanApplication.LoanKind.RENEWAL,
                    )
                elif step == "reject":
                    services.reject(app, reason="企业近期经营流水不足，暂不符合授信条件")
                elif step == "cancel":
                    services.cancel(app, reason="已通过其他渠道解决资金需求")
            app.refresh_from_db()
