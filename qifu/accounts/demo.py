"""Identity demo data: review queues with content.

- an enterprise that registered and applied for certification (pending review, town A);
- one sent back for more material, one claiming an already certified code (a dispute);
- two institutions waiting for onboarding review.

The owner of the pending enterprise signs in as ``ent-new`` with the demo password.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from qifu.accounts import certification, institutions
from qifu.accounts.models import CertificationApplication, User
from qifu.core import permissions as P
from qifu.core import requestinfo
from qifu.orgs.codes import make_credit_code, make_id_number

# A real, minimal one-page PDF (what a scanned licence upload looks like to the sniffer).
LICENCE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8ffff3f0005fe02fea7d6a4e20000000049454e44ae426082"
)

APPLICANTS = [
    # (username, company, contact, legal rep, outcome)
    ("ent-new", "示范区云帆智能科技有限公司", "周敏", "周敏", "pending"),
    ("ent-more", "示范区启航新材料有限公司", "吴强", "吴建华", "more_info"),
    ("ent-dispute", "示范区恒瑞精密机械制造有限公司", "郑磊", "郑志强", "dispute"),
]
INSTITUTION_APPLICANTS = [
    ("示范区明理律师事务所", "legal", "孙律", "13720000001"),
    ("示范区普惠融资担保有限公司", "guarantor", "钱经理", "13720000002"),
]


def _ensure_base(ctx) -> None:
    # QIFU_APPS lists accounts before orgs (migration order), so this seeder runs first; the
    # review queues need the base demo's towns, staff and enterprises, and orgs' seeder is
    # idempotent, so run it now (its own turn later finds everything in place).
    from qifu.orgs.models import Organisation

    if not Organisation.objects.filter(kind=Organisation.Kind.TOWN).exists():
        from qifu.orgs import demo as orgs_demo

        orgs_demo.seed(ctx)


def seed(ctx) -> None:
    from qifu.access.services import assign_role, ensure_builtin_roles
    from qifu.orgs import services as org_services
    from qifu.orgs.models import Enterprise, Organisation

    _ensure_base(ctx)
    if CertificationApplication.objects.exists():
        return
    rng = ctx.rng
    prefix = "" if ctx.tenant.code == "demo" else f"{ctx.tenant.code}-"
    roles = ensure_builtin_roles()
    root = Organisation.objects.filter(kind=Organisation.Kind.ROOT).order_by("id").first()
    towns = list(Organisation.objects.filter(kind=Organisation.Kind.TOWN).order_by("sort", "id"))
    staff = User.objects.filter(username=f"{prefix}staff-a").first()
    held = Enterprise.objects.filter(certification="certified").exclude(credit_code="").order_by("id").first()

    for index, (username, company, contact, rep, outcome) in enumerate(APPLICANTS):
        phone = f"1381{ctx.tenant.id:03d}{index + 1:04d}"
        owner = User.objects.create_user(
            username=prefix + username, password=ctx.password, name=contact, phone=phone, tenant=ctx.tenant
        )
        body = "MA" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
        code = held.credit_code if outcome == "dispute" and held else make_credit_code("9", "1", "320505", body)
        # The demo's enterprises came from the district's directory with their (claimed,
        # not yet certified) credit code; one registered through the portal would start blank.
        enterprise = org_services.create_enterprise(
            name=company, parent=root, credit_code=code, contact_name=contact, contact_phone=phone
        )
        org_services.add_member(owner, enterprise.organisation, is_default=True, title="企业管理员")
        assign_role(owner, enterprise.organisation, roles[P.ENTERPRISE_OWNER])
        born = dt.date(1970 + rng.randint(0, 25), rng.randint(1, 12), rng.randint(1, 28))
        with requestinfo.acting(user=owner, organisation_id=enterprise.organisation_id, request_id="seed-demo"):
            app = certification.submit(
                user=owner,
                enterprise=enterprise,
                data={
                    "company_name": company,
                    "credit_code": code,
                    "legal_rep_name": rep,
                    "legal_rep_id_number": make_id_number("320505", born, rng.randint(1, 999)),
                    "town_id": towns[0].id,
                    "consent": True,
                    "consent_version": certification.CURRENT_CONSENT_VERSION,
                },
                licence_upload=SimpleUploadedFile("营业执照.pdf", LICENCE_PDF, content_type="application/pdf"),
            )
            certification.run_verification(app)
        if outcome == "more_info" and staff is not None:
            with requestinfo.acting(user=staff, organisation_id=towns[0].id, request_id="seed-demo"):
                certification.request_more(app, staff, "营业执照照片不清晰，请上传加盖公章的彩色扫描件")
        if index == 0:
            ctx.logins.append(("待认证企业", owner.username, ctx.password))

    for name, kind, contact, phone in INSTITUTION_APPLICANTS:
        body = "MA" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
        clean = institutions.validate_application(
            {
                "name": name,
                "kind": kind,
                "credit_code": make_credit_code("3" if kind == "legal" else "9", "1", "320505", body),
                "contact_name": contact,
                "introduction": f"{name}申请入驻示范区企业服务平台。",
            }
        )
        licence = SimpleUploadedFile("执业许可证.png", PNG_1PX, content_type="image/png")
        institutions.record_application(clean, phone=phone, licence_upload=licence)
