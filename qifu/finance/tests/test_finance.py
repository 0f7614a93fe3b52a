"""Financing: products with eligibility rule trees, the loan application flow, sides, first loan vs renewal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from openpyxl import load_workbook

from qifu.access.services import assign_role
from qifu.accounts.models import User
from qifu.core import permissions as P
from qifu.core import tenancy
from qifu.finance.models import LoanApplication
from qifu.messaging.models import Message
from qifu.orgs import services as org_services
from qifu.orgs.models import Enterprise, Institution

RULE = {
    "type": "all",
    "children": [
        {"type": "compare", "fact": "is_certified", "op": "eq", "value": True},
        {"type": "range", "fact": "registered_capital", "min": 100},
    ],
}
PRODUCT = {
    "name": "科创信用贷",
    "kind": "credit",
    "summary": "纯信用、随借随还",
    "min_amount": "100000.00",
    "max_amount": "3000000.00",
    "min_rate": "3.200",
    "max_rate": "4.500",
    "min_term": 6,
    "max_term": 36,
    "guarantee_method": "信用",
    "repayment_method": "按月付息到期还本",
    "eligibility": RULE,
    "required_materials": ["近两年财务报表"],
}


@pytest.fixture
def bank(cast):
    with tenancy.tenant_scope(cast.tenant):
        institution = org_services.create_institution(
            name="甲区农商银行", kind="bank", parent=cast.root, status=Institution.Status.APPROVED
        )
        people = {}
        for username, role in (("bank-admin", P.INSTITUTION_ADMIN), ("bank-operator", P.INSTITUTION_OPERATOR)):
            user = User.objects.create_user(
                username=username,
                password=cast.password,
                name=username,
                phone=f"1390000{len(people) + 20:04d}",
                tenant=cast.tenant,
            )
            org_services.add_member(user, institution.organisation, is_default=True)
            assign_role(user, institution.organisation, cast.roles[role])
            people[username] = user
        Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(registered_capital=Decimal("500"))
        Enterprise.objects.filter(pk=cast.enterprise_b.pk).update(registered_capital=Decimal("50"))
        owner_b = User.objects.create_user(
            username="ent-owner-b", password=cast.password, name="李四", phone="13900000012", tenant=cast.tenant
        )
        org_services.add_member(owner_b, cast.enterprise_b.organisation, is_default=True)
        assign_role(owner_b, cast.enterprise_b.organisation, cast.roles[P.ENTERPRISE_OWNER])
    return type(
        "Bank",
        (),
        {
            "institution": institution,
            "admin": people["bank-admin"],
            "operator": people["bank-operator"],
            "owner_b": owner_b,
        },
    )


@pytest.fixture
def product(api, bank):
    r = api(bank.admin).post("finance/institution/products", PRODUCT)
    assert r.status_code == 201, r.content
    return r.json()


def _apply(client, product, **extra):
    body = {
        "product_id": product["id"],
        "amount": "500000.00",
        "term_months": 12,
        "purpose": "采购原材料",
        "contact_name": "张三",
        "contact_phone": "13800000000",
        **extra,
    }
    return client.post("finance/applications", body)


def test_only_financial_institutions_publish_and_rules_are_validated(cast, api, bank):
    assert (
        api(cast.institution_admin).post("finance/institution/products", PRODUCT).json()["code"]
        == "finance.institution_kind"
    )
    bad = {**PRODUCT, "eligibility": {"type": "compare", "fact": "no_such_fact", "op": "gt", "value": 1}}
    r = api(bank.admin).post("finance/institution/products", bad)
    assert r.status_code == 422 and r.json()["code"] == "policies.rule_invalid"
    # the same reference check as policies: an industry code outside the GB/T 4754 table is refused
    unknown = {**PRODUCT, "eligibility": {"type": "in", "fact": "industry_code", "values": ["99"]}}
    r = api(bank.admin).post("finance/institution/products", unknown)
    assert r.status_code == 422 and r.json()["code"] == "policies.rule_invalid"
    assert "“99”" in r.json()["message"]
    r = api(bank.admin).post("finance/institution/products", {**PRODUCT, "min_amount": "5000000.00"})
    assert r.status_code == 422 and r.json()["code"] == "finance.amount_range"
    assert api(cast.enterprise_owner).post("finance/institution/products", PRODUCT).status_code == 403


def test_loan_flow_first_loan_then_renewal(cast, api, bank, product):
    owner, operator, staff = api(cast.enterprise_owner), api(bank.operator), api(cast.staff_a)
    assert api(None).get("finance/products", {"kind": "credit", "amount": "200000"}).json()["total"] == 1
    assert api(None).get("finance/products", {"amount": "9000000"}).json()["total"] == 0
    assert owner.get(f"finance/products/{product['id']}/eligibility").json()["status"] == "eligible"

    r = _apply(owner, product)
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    assert r.json()["eligibility_status"] == "eligible"
    assert _apply(owner, product).status_code == 409  # one open application per product

    assert (
        operator.post(
            f"finance/institution/applications/{pk}/approve", {"credit_amount": "1", "rate": "3.5", "term_months": 12}
        ).status_code
        == 422
    )
    assert operator.post(f"finance/institution/applications/{pk}/accept", {}).status_code == 200
    r = operator.post(f"finance/institution/applications/{pk}/request-materials", {"note": "请补充近两年财务报表"})
    assert r.json()["status"] == "materials_requested"
    upload = owner.post(
        "finance/uploads/material",
        {"file": SimpleUploadedFile("报表.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")},
        content_type=MULTIPART_CONTENT,
    ).json()
    r = owner.post(
        f"finance/my/applications/{pk}/materials", {"materials": [{"label": "财务报表", "file_id": upload["id"]}]}
    )
    assert r.status_code == 200 and r.json()["status"] == "accepted" and len(r.json()["files"]) == 1

    r = operator.post(
        f"finance/institution/applications/{pk}/approve", {"credit_amount": "9000000", "rate": "3.5", "term_months": 12}
    )
    assert r.json()["code"] == "finance.credit_out_of_range"
    r = operator.post(
        f"finance/institution/applications/{pk}/approve", {"credit_amount": "400000", "rate": "3.5", "term_months": 12}
    )
    assert r.status_code == 200 and r.json()["status"] == "approved"
    detail = operator.get(f"finance/institution/applications/{pk}").json()
    assert detail["suggested_loan_kind"] == "first"
    r = operator.post(
        f"finance/institution/applications/{pk}/disburse",
        {"amount": "500000", "disbursed_on": dt.date.today().isoformat(), "loan_kind": "first"},
    )
    assert r.json()["code"] == "finance.disbursement_out_of_range"  # more than the credit
    r = operator.post(
        f"finance/institution/applications/{pk}/disburse",
        {"amount": "400000", "disbursed_on": dt.date.today().isoformat(), "loan_kind": "first"},
    )
    assert r.status_code == 200 and r.json()["loan_kind"] == "first"
    with tenancy.tenant_scope(cast.tenant):
        assert Message.objects.filter(user=bank.operator, event="finance.application.submitted").exists()
        progress = Message.objects.filter(user=cast.enterprise_owner, event="finance.application.progress")
        assert any("已放款" in m.body for m in progress)
    events = [e["action"] for e in owner.get(f"finance/my/applications/{pk}").json()["events"]]
    assert events == ["submit", "accept", "request_materials", "supply_materials", "approve", "disburse"]

    # A second loan of the same enterprise is suggested as a renewal.
    pk2 = _apply(owner, product).json()["id"]
    operator.post(f"finance/institution/applications/{pk2}/accept", {})
    assert operator.get(f"finance/institution/applications/{pk2}").json()["suggested_loan_kind"] == "renewal"

    stats = staff.get("finance/applications/stats").json()
    assert stats["first_loans"] == 1 and Decimal(stats["first_loan_amount"]) == Decimal("400000.00")
    assert api(cast.staff_b).get("finance/applications/stats").json()["applications"] == 0
    rows = list(
        load_workbook(BytesIO(staff.get("finance/applications/export").content)).active.iter_rows(values_only=True)
    )
    assert len(rows) == 3 and "首贷" in rows[2]  # newest first: the disbursed first loan is the older row


def test_ineligible_enterprise_is_told_why(cast, api, bank, product):
    r = _apply(api(bank.owner_b), product)
    assert r.status_code == 422 and r.json()["code"] == "finance.not_eligible"
    assert "注册资本" in r.json()["message"]
    with tenancy.tenant_scope(cast.tenant):
        assert not LoanApplication.objects.exists()


def test_sides_are_enforced(cast, api, bank, product):
    owner = api(cast.enterprise_owner)
    pk = _apply(owner, product).json()["id"]
    # The legal institution of the cast is not this bank: not found.
    assert api(cast.institution_admin).post(f"finance/institution/applications/{pk}/accept", {}).status_code == 404
    assert owner.post(f"finance/institution/applications/{pk}/accept", {}).status_code == 403
    assert api(bank.owner_b).get(f"finance/my/applications/{pk}").status_code == 404
    assert api(cast.staff_b).get(f"finance/applications/{pk}").status_code == 404
    assert api(cast.staff_a).get(f"finance/applications/{pk}").status_code == 200
    assert api(bank.operator).post(f"finance/my/applications/{pk}/cancel", {"reason": "x"}).status_code == 403
    r = owner.post(f"finance/my/applications/{pk}/cancel", {"reason": "已从别处获得资金"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = api(bank.operator).post(f"finance/institution/applications/{pk}/accept", {})
    assert r.status_code == 422 and r.json()["code"] == "finance.application_state"


def test_amount_and_term_must_fit_the_product(cast, api, bank, product):
    owner = api(cast.enterprise_owner)
    assert _apply(owner, product, amount="50000").json()["code"] == "finance.amount_out_of_range"
    assert _apply(owner, product, term_months=48).json()["code"] == "finance.term_out_of_range"
    api(bank.admin).post(f"finance/institution/products/{product['id']}/unlist")
    assert _apply(owner, product).status_code == 404  # unlisted products are not found for applying


def test_application_appears_anonymised_in_the_activity_feed(cast, api, bank, product):
    from qifu.content.models import ActivityItem
    from qifu.core import tenancy

    response = _apply(api(cast.enterprise_owner), product)
    assert response.status_code == 201, response.content
    with tenancy.tenant_scope(cast.tenant):
        item = ActivityItem.objects.get(category="finance")
    assert item.subject == product["name"] and item.action == "申请了"
    assert item.actor != cast.enterprise_a.name and "*" in item.actor
    feed = api(None).get("content/home").json()["feed"]
    assert any(product["name"] in line["text"] and cast.enterprise_a.name not in line["text"] for line in feed)


def _upload(client) -> int:
    r = client.post(
        "finance/uploads/material",
        {"file": SimpleUploadedFile("报表.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")},
        content_type=MULTIPART_CONTENT,
    )
    assert r.status_code == 201, r.content
    return r.json()["id"]


def test_another_enterprises_upload_cannot_be_attached_nor_reached_through_my_application(cast, api, bank, product):
    """Enterprise B's uploaded file id, named as my material when applying or supplying: refused as an
    id naming nothing, nothing written — so it never becomes downloadable through my application
    (by me or by the bank)."""
    from qifu.core.audit_models import AuditEntry
    from qifu.finance.models import LoanFile

    owner = api(cast.enterprise_owner)
    foreign = _upload(api(bank.owner_b))
    with tenancy.tenant_scope(cast.tenant):
        entries = AuditEntry.objects.count()
    r = _apply(owner, product, materials=[{"label": "财务报表", "file_id": foreign}])
    missing = _apply(owner, product, materials=[{"label": "财务报表", "file_id": foreign + 1000}])
    assert r.status_code == 422 and r.json()["code"] == "finance.material_missing"
    assert r.json() == missing.json()
    with tenancy.tenant_scope(cast.tenant):
        assert not LoanApplication.objects.exists() and AuditEntry.objects.count() == entries

    pk = _apply(owner, product).json()["id"]
    assert api(bank.operator).post(f"finance/institution/applications/{pk}/accept", {}).status_code == 200
    assert (
        api(bank.operator)
        .post(f"finance/institution/applications/{pk}/request-materials", {"note": "请补充财务报表"})
        .status_code
        == 200
    )
    with tenancy.tenant_scope(cast.tenant):
        entries = AuditEntry.objects.count()
    r = owner.post(f"finance/my/applications/{pk}/materials", {"materials": [{"label": "报表", "file_id": foreign}]})
    assert r.status_code == 422 and r.json()["code"] == "finance.material_missing"
    with tenancy.tenant_scope(cast.tenant):
        assert not LoanFile.objects.exists() and AuditEntry.objects.count() == entries
        assert LoanApplication.objects.get(pk=pk).status == "materials_requested"
    assert owner.get(f"finance/my/applications/{pk}").json()["files"] == []
    # The uploader's own file goes through.
    mine = owner.post(
        f"finance/my/applications/{pk}/materials", {"materials": [{"label": "报表", "file_id": _upload(owner)}]}
    )
    assert mine.status_code == 200 and len(mine.json()["files"]) == 1
