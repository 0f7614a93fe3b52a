"""Financing in a real browser: an enterprise checks and applies for a loan in the portal, the
bank's officer accepts, approves with a credit amount and records the disbursement as a first
loan, and district staff see it in the 首贷/续贷 figures."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from qifu.access.services import assign_role
from qifu.accounts.models import User
from qifu.core import permissions as P
from qifu.core import requestinfo, tenancy
from qifu.finance import services
from qifu.finance.models import LoanApplication
from qifu.orgs import services as org_services
from qifu.orgs.models import Enterprise, Institution

pytestmark = pytest.mark.browser


def _sign_in(browser, live_server, user, password):
    from playwright.sync_api import expect

    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url + "/console/login")
    page.get_by_placeholder("用户名或手机号").fill(user.username)
    page.get_by_placeholder("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/console/$"))
    return context, page


def _field(scope, label: str):
    return scope.locator(".el-form-item", has_text=label).locator("input").first


def test_loan_from_portal_to_disbursement(live_server, cast, browser):
    from playwright.sync_api import expect

    with tenancy.tenant_scope(cast.tenant):
        bank = org_services.create_institution(
            name="甲区农商银行", kind="bank", parent=cast.root, status=Institution.Status.APPROVED
        )
        officer = User.objects.create_user(
            username="bank-officer", password=cast.password, name="客户经理", phone="13900000031", tenant=cast.tenant
        )
        org_services.add_member(officer, bank.organisation, is_default=True)
        assign_role(officer, bank.organisation, cast.roles[P.INSTITUTION_OPERATOR])
        Enterprise.objects.filter(pk=cast.enterprise_a.pk).update(registered_capital=Decimal("500"))
        with requestinfo.acting(user=officer):
            services.save_product(
                bank,
                None,
                {
                    "name": "科创信用贷",
                    "kind": "credit",
                    "min_amount": "100000",
                    "max_amount": "3000000",
                    "min_rate": "3.2",
                    "max_rate": "4.5",
                    "min_term": 6,
                    "max_term": 36,
                    "eligibility": {"type": "range", "fact": "registered_capital", "min": 100},
                },
            )

    # The enterprise checks its eligibility and applies in the portal.
    context, page = _sign_in(browser, live_server, cast.enterprise_owner, cast.password)
    page.goto(live_server.url + "/finance")
    page.get_by_role("link", name="科创信用贷").click()
    page.get_by_role("button", name="匹配自查").click()
    expect(page.locator(".el-alert")).to_contain_text("符合条件")
    page.get_by_role("button", name="申请融资").click()
    dialog = page.locator(".el-dialog")
    _field(dialog, "申请金额").fill("500000")
    _field(dialog, "资金用途").fill("采购原材料")
    _field(dialog, "联系人").fill("张三")
    _field(dialog, "联系电话").fill("13800000000")
    dialog.get_by_role("button", name="提交").click()
    expect(page).to_have_url(re.compile(r"/finance/mine$"))
    expect(page.locator(".el-table")).to_contain_text("待受理")
    context.close()

    # The bank officer accepts, approves with a credit amount and records the disbursement.
    context, page = _sign_in(browser, live_server, officer, cast.password)
    page.goto(live_server.url + "/console/workbench-finance/applications")
    page.get_by_test_id("loan-table").locator(".el-table__body tr", has_text="科创信用贷").get_by_role("button").click()
    panel = page.get_by_test_id("loan-panel")
    panel.get_by_test_id("loan-accept").click()
    expect(panel.get_by_test_id("loan-status")).to_have_text("审查中")
    panel.get_by_test_id("loan-approve").click()
    approve = page.locator(".el-dialog", has_text="审批通过并授信")
    _field(approve, "授信金额").fill("400000")
    _field(approve, "年化利率").fill("3.5")
    approve.get_by_role("button", name="确定").click()
    expect(panel.get_by_test_id("loan-status")).to_have_text("已授信")
    panel.get_by_test_id("loan-disburse").click()
    disburse = page.locator(".el-dialog", has_text="登记放款")
    expect(disburse.locator(".el-radio.is-checked")).to_contain_text("首贷")  # suggested: no earlier loan
    disburse.get_by_role("button", name="确定").click()
    expect(panel.get_by_test_id("loan-status")).to_have_text("已放款")
    context.close()

    # District staff of the enterprise's town see the first loan in the figures.
    context, page = _sign_in(browser, live_server, cast.staff_a, cast.password)
    page.goto(live_server.url + "/console/finance/applications")
    expect(page.get_by_test_id("loan-table")).to_contain_text("首贷")
    context.close()

    with tenancy.tenant_scope(cast.tenant):
        loan = LoanApplication.objects.get()
        assert (loan.status, loan.loan_kind, loan.credit_amount, loan.disbursed_amount) == (
            "disbursed",
            "first",
            Decimal("400000.00"),
            Decimal("400000.00"),
        )
