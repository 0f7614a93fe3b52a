"""The institution workbench in a real browser: the admin creates an operator sub-account,
the operator signs in with the one-time password and is made to change it, then the admin
disables the account."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _console_login(page, url, username, password):
    page.goto(url + "/console/login")
    page.get_by_placeholder("用户名或手机号").fill(username)
    page.get_by_placeholder("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_sub_account_lifecycle(live_server, cast, browser, page):
    from playwright.sync_api import expect

    _console_login(page, live_server.url, cast.institution_admin.username, cast.password)
    expect(page).to_have_url(re.compile(r"/console/$"))
    page.goto(live_server.url + "/console/workbench/accounts")
    page.get_by_role("button", name="新建经办人").click()
    dialog = page.locator(".el-dialog", has_text="新建经办人")
    dialog.locator("input").nth(0).fill("钱七")
    dialog.locator("input").nth(1).fill("13677770001")
    dialog.get_by_role("button", name="创建").click()
    initial = page.locator(".el-alert b").inner_text()
    assert len(initial) >= 10
    expect(page.locator(".el-table")).to_contain_text("钱七")

    operator_context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    operator = operator_context.new_page()
    operator.goto(live_server.url + "/login")
    operator.get_by_placeholder("手机号或用户名").fill("13677770001")
    operator.locator("input[name=password]").fill(initial)
    operator.get_by_test_id("login-submit").click()
    # First sign-in of an admin-created account: straight to the password change.
    expect(operator).to_have_url(re.compile(r"/console/identity/change-password$"))
    expect(operator.get_by_text("请先修改初始密码")).to_be_visible()
    operator_context.close()

    row = page.locator(".el-table__row", has_text="钱七")
    row.get_by_role("button", name="停用").click()
    page.locator(".el-message-box").get_by_role("button", name="确定").click()
    expect(row).to_contain_text("已停用")
