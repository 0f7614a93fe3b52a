"""The whole service-marketplace journey in a real browser, across the three sides:
the institution publishes, the reviewer approves, the enterprise applies with a material,
the institution accepts, serves and completes with evidence, the enterprise confirms and
rates, and government staff verify the subsidy.

Needs a built front end (``cd frontend && npm run build``) and Debian's Chromium.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from qifu.core import tenancy
from qifu.marketplace.models import Application, Category, SubsidyProgramme
from qifu.marketplace.services import subsidies

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PRODUCT_NAME = "浏览器测试合同审查"


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


def _open_first_row(page, table_testid: str, text: str):
    from playwright.sync_api import expect

    row = page.get_by_test_id(table_testid).locator(".el-table__body tr", has_text=text).first
    expect(row).to_be_visible()
    row.get_by_role("button").first.click()


def test_marketplace_journey_across_three_sides(live_server, cast, browser, tmp_path):
    from playwright.sync_api import expect

    with tenancy.tenant_scope(cast.tenant):
        legal = Category.objects.create(
            code="legal",
            name="法律服务",
            rating_prompt="请评价律师的专业程度",
            positive_reasons=["专业", "及时"],
            negative_reasons=["响应慢"],
        )
        contract = Category.objects.create(code="legal-contract", name="合同审查", parent=legal)
        subsidies.save_programme(
            None,
            {
                "name": "中小企业服务补贴",
                "budget": Decimal("10000"),
                "starts_on": dt.date(2020, 1, 1),
                "ends_on": dt.date(2099, 12, 31),
                "category_ids": [legal.pk],
                "mode": "ratio",
                "ratio": Decimal("0.5"),
            },
        )
    pdf = tmp_path / "材料.pdf"
    pdf.write_bytes(PDF)

    # 1. The institution publishes a product.
    context, page = _sign_in(browser, live_server, cast.institution_admin, cast.password)
    page.goto(live_server.url + "/console/workbench-market/products")
    page.get_by_test_id("new-product").click()
    form = page.get_by_test_id("product-form")
    form.get_by_test_id("product-name").fill(PRODUCT_NAME)
    form.locator(".el-form-item", has_text="服务类别").locator(".el-cascader").click()
    page.locator(".el-cascader-node", has_text="法律服务").click()
    page.locator(".el-cascader-node", has_text="合同审查").click()
    form.get_by_test_id("product-price").fill("1000")
    form.locator(".el-form-item", has_text="所需材料").locator(".el-select").click()
    page.keyboard.type("营业执照")
    page.keyboard.press("Enter")
    expect(form.locator(".el-form-item", has_text="所需材料").locator(".el-tag")).to_contain_text("营业执照")
    page.get_by_test_id("product-submit").click()
    expect(page.get_by_test_id("own-products")).to_contain_text("待审核")
    context.close()

    # 2. The reviewer approves it.
    context, page = _sign_in(browser, live_server, cast.staff_a, cast.password)
    page.goto(live_server.url + "/console/marketplace/reviews")
    _open_first_row(page, "review-table", PRODUCT_NAME)
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("review-table")).not_to_contain_text(PRODUCT_NAME)
    context.close()

    # 3. The enterprise finds it in the portal and applies with the required material.
    context, page = _sign_in(browser, live_server, cast.enterprise_owner, cast.password)
    page.goto(live_server.url + "/marketplace")
    page.get_by_test_id("product-card").filter(has_text=PRODUCT_NAME).get_by_role("link", name=PRODUCT_NAME).click()
    expect(page.get_by_test_id("product-title")).to_have_text(PRODUCT_NAME)
    page.get_by_test_id("apply-button").click()
    apply_form = page.get_by_test_id("apply-form")
    apply_form.get_by_test_id("apply-contact").fill("张三")
    apply_form.get_by_test_id("apply-phone").fill("13800000000")
    apply_form.locator("input[type=file]").set_input_files(str(pdf))
    expect(apply_form).to_contain_text("材料.pdf")
    page.get_by_test_id("apply-submit").click()
    expect(page).to_have_url(re.compile(r"/marketplace/mine$"))
    expect(page.get_by_test_id("my-applications")).to_contain_text("待受理")
    enterprise_context = context

    # 4. The institution accepts, serves, uploads evidence and completes.
    context, page = _sign_in(browser, live_server, cast.institution_operator, cast.password)
    page.goto(live_server.url + "/console/workbench-market/applications")
    _open_first_row(page, "application-table", PRODUCT_NAME)
    panel = page.get_by_test_id("application-panel")
    panel.get_by_test_id("action-accept").click()
    expect(panel.get_by_test_id("application-status")).to_have_text("已受理")
    expect(panel).to_contain_text("已预留")
    panel.get_by_test_id("action-start").click()
    expect(panel.get_by_test_id("application-status")).to_have_text("服务中")
    panel.get_by_test_id("evidence-upload").locator("input[type=file]").set_input_files(str(pdf))
    expect(panel).to_contain_text("材料.pdf")
    panel.get_by_test_id("action-complete").click()
    expect(panel.get_by_test_id("application-status")).to_have_text("待企业确认")
    context.close()

    # 5. The enterprise confirms and rates.
    page = enterprise_context.pages[0]
    page.reload()
    _open_first_row(page, "my-applications", PRODUCT_NAME)
    panel = page.get_by_test_id("application-panel")
    panel.get_by_test_id("action-confirm").click()
    expect(panel.get_by_test_id("application-status")).to_have_text("待评价")
    rating = panel.get_by_test_id("rating-form")
    rating.get_by_text("专业").click()
    rating.get_by_role("button", name="提交评价").click()
    expect(panel.get_by_test_id("application-status")).to_have_text("已评价")
    enterprise_context.close()

    # 6. Government staff verify the subsidy.
    context, page = _sign_in(browser, live_server, cast.staff_a, cast.password)
    page.goto(live_server.url + "/console/marketplace/subsidies")
    _open_first_row(page, "application-table", PRODUCT_NAME)
    panel = page.get_by_test_id("application-panel")
    panel.get_by_test_id("action-verify_subsidy").click()
    expect(panel.get_by_test_id("application-status")).to_have_text("补贴已核销")
    expect(panel.get_by_test_id("timeline")).to_contain_text("核销补贴")
    context.close()

    with tenancy.tenant_scope(cast.tenant):
        app = Application.objects.get(product_name=PRODUCT_NAME)
        assert app.status == "subsidy_verified" and app.subsidy_status == "consumed"
        assert app.product.category_id == contract.pk and app.rating.score == 5
        assert SubsidyProgramme.objects.get().consumed == Decimal("500.00")
