"""Identity end to end in a real browser: an enterprise registers on the portal (captcha +
SMS code), submits its real-name certification, a town's staff member approves it in the
console, and the enterprise sees itself certified.

Needs a built front end and Debian's Chromium (see tests/browser/conftest.py).
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from qifu.orgs.codes import make_credit_code

pytestmark = pytest.mark.browser

PHONE = "13612340001"
COMPANY = "甲区云帆智能科技有限公司"
CODE = make_credit_code("9", "1", "320505", "MA3RKT7P")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _captcha_answer(response) -> str:
    return cache.get("captcha:" + response.json()["id"])


def test_register_certify_approve(live_server, cast, browser, page):
    from playwright.sync_api import expect

    from qifu.messaging.channels import console

    console.SENT.clear()
    is_captcha = lambda r: "/api/v1/auth/captcha" in r.url  # noqa: E731

    # 1. Quick registration on the portal.
    with page.expect_response(is_captcha) as captcha:
        page.goto(live_server.url + "/register")
    page.get_by_placeholder("用于登录和接收通知").fill(PHONE)
    page.get_by_test_id("captcha-input").fill(_captcha_answer(captcha.value))
    page.get_by_test_id("send-sms").click()
    expect(page.get_by_test_id("send-sms")).to_contain_text("秒后重发")
    code = next(m for m in reversed(console.SENT) if m["to"] == PHONE)["variables"]["code"]
    page.get_by_test_id("sms-code-input").fill(code)
    page.get_by_placeholder("营业执照上的企业全称").fill(COMPANY)
    page.get_by_placeholder("联系人姓名").fill("周敏")
    page.get_by_test_id("register-submit").click()

    # 2. The certification wizard.
    expect(page).to_have_url(re.compile(r"/certification$"))
    expect(page.get_by_test_id("certification-status")).to_have_text("未认证")
    page.locator("input[name=credit_code]").fill(CODE)
    page.get_by_test_id("town-select").click()
    page.locator(".el-select-dropdown__item", has_text=cast.town_a.name).click()
    page.get_by_test_id("wizard-next").click()
    page.locator("input[name=legal_rep_name]").fill("周敏")
    page.locator("input[name=legal_rep_id_number]").fill("11010519491231002X")
    page.get_by_test_id("wizard-next").click()
    page.get_by_test_id("licence-input").set_input_files(
        {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_test_id("consent-check").click()
    page.get_by_test_id("wizard-submit").click()
    expect(page.get_by_test_id("certification-status")).to_have_text("认证审核中")
    expect(page.get_by_text("110***********002X")).to_be_visible()  # the ID number, masked

    # 3. Town A's staff member approves it in the console.
    staff_context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    staff = staff_context.new_page()
    staff.goto(live_server.url + "/console/login")
    staff.get_by_placeholder("用户名或手机号").fill(cast.staff_a.username)
    staff.get_by_placeholder("密码").fill(cast.password)
    staff.get_by_role("button", name="登录").click()
    expect(staff).to_have_url(re.compile(r"/console/$"))
    staff.goto(live_server.url + "/console/identity/certifications")
    table = staff.get_by_test_id("certification-table")
    expect(table).to_contain_text(COMPANY)
    table.locator(".el-table__row", has_text=COMPANY).get_by_test_id("approve").click()
    expect(staff.get_by_text("已通过认证")).to_be_visible()
    staff_context.close()

    # 4. The enterprise sees it certified, with the history.
    page.reload()
    expect(page.get_by_test_id("certification-status")).to_have_text("已认证")
    expect(page.get_by_text("审核通过")).to_be_visible()
