"""Marketplace fixtures: categories, a listed product of the cast's institution, a second institution."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT

from qifu.access.services import assign_role
from qifu.accounts.models import User
from qifu.core import permissions as P
from qifu.core import tenancy
from qifu.marketplace.models import Category, Product
from qifu.marketplace.services import catalogue, subsidies
from qifu.orgs import services as org_services
from qifu.orgs.models import Institution

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "证明.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


PRODUCT = {
    "name": "合同审查服务",
    "summary": "企业合同法律风险审查",
    "description": "<p>专业律师<b>审查</b>合同</p><script>alert(1)</script>",
    "is_free": False,
    "price": "2000.00",
    "price_unit": "次",
    "service_area": "全区",
    "delivery": "both",
    "required_materials": ["营业执照"],
    "form_fields": [
        {"key": "contract_type", "label": "合同类型", "type": "select", "required": True, "options": ["买卖", "租赁"]},
        {"key": "pages", "label": "页数", "type": "number", "min": 1, "max": 500},
    ],
    "subsidy_eligible": True,
    "accept_days": 3,
}


@pytest.fixture
def market(cast):
    """Categories (法律服务 > 合同审查), a listed product, a subsidy programme and a second institution."""
    with tenancy.tenant_scope(cast.tenant):
        legal = Category.objects.create(
            code="legal",
            name="法律服务",
            rating_prompt="请评价律师的专业程度",
            positive_reasons=["专业", "及时"],
            negative_reasons=["响应慢", "不专业"],
        )
        contract = Category.objects.create(code="legal-contract", name="合同审查", parent=legal)
        product = catalogue.create_product(cast.institution, {**PRODUCT, "category_id": contract.pk})
        catalogue.approve_revision(product.revisions.get())
        product.refresh_from_db()
        programme = subsidies.save_programme(
            None,
            {
                "name": "2026 年中小企业服务补贴",
                "budget": Decimal("100000"),
                "starts_on": dt.date(2020, 1, 1),
                "ends_on": dt.date(2099, 12, 31),
                "category_ids": [legal.pk],
                "mode": "ratio",
                "ratio": Decimal("0.5"),
                "max_per_service": Decimal("800"),
                "per_enterprise_limit": 5,
            },
        )
        other = org_services.create_institution(
            name="乙律师事务所", kind="legal", parent=cast.root, status=Institution.Status.APPROVED
        )
        other_admin = User.objects.create_user(
            username="other-inst", password=cast.password, name="乙所管理员", phone="13900000011", tenant=cast.tenant
        )
        org_services.add_member(other_admin, other.organisation, is_default=True)
        assign_role(other_admin, other.organisation, cast.roles[P.INSTITUTION_ADMIN])
        owner_b = User.objects.create_user(
            username="ent-owner-b", password=cast.password, name="李四", phone="13900000012", tenant=cast.tenant
        )
        org_services.add_member(owner_b, cast.enterprise_b.organisation, is_default=True)
        assign_role(owner_b, cast.enterprise_b.organisation, cast.roles[P.ENTERPRISE_OWNER])
    return type(
        "Market",
        (),
        {
            "legal": legal,
            "contract": contract,
            "product": product,
            "programme": programme,
            "other_institution": other,
            "other_admin": other_admin,
            "owner_b": owner_b,
        },
    )


def upload_material(client, name: str = "营业执照.pdf") -> int:
    response = client.post("marketplace/uploads/material", {"file": pdf(name)}, content_type=MULTIPART_CONTENT)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def apply(client, product: Product, **extra) -> dict:
    body = {
        "product_id": product.pk,
        "contact_name": "张三",
        "contact_phone": "13800000000",
        "form_data": {"contract_type": "买卖", "pages": 12},
        "materials": [{"label": "营业执照", "file_id": upload_material(client)}],
        **extra,
    }
    response = client.post("marketplace/applications", body)
    assert response.status_code == 201, response.content
    return response.json()
