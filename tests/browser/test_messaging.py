"""Messaging in a real browser: an admin sends a notice from the console, an enterprise user
sees the unread count in the console header and on the H5 消息 tab, and reads it in 我的消息
(unread badge, open marks read, the header bell follows).

Needs a built front end (``cd frontend && npm run build``) and Debian's Chromium.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _login(page, base, user, password):
    page.goto(base + "/console/login")
    page.get_by_placeholder("用户名或手机号").fill(user.username)
    page.get_by_placeholder("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/console/$"))


def test_send_from_console_and_read_in_my_messages(live_server, cast, browser):
    from playwright.sync_api import expect

    admin = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = admin.new_page()
    _login(page, live_server.url, cast.tenant_admin, cast.password)
    page.goto(live_server.url + "/console/messaging/sends")
    page.get_by_test_id("new-send").click()
    dialog = page.get_by_test_id("send-dialog")
    dialog.get_by_placeholder("例如：2026 年度高企认定申报通知").fill("年报提醒")
    dialog.get_by_text("自定义内容（站内信、微信、邮件）").click()
    dialog.get_by_placeholder("可用 {recipient_name} 等变量").fill("{recipient_name}您好，请在6月30日前完成年报。")
    page.get_by_test_id("submit-send").click()
    table = page.get_by_test_id("send-table")
    expect(table).to_contain_text("年报提醒")
    expect(table).to_contain_text("已完成")
    admin.close()

    owner = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = owner.new_page()
    _login(page, live_server.url, cast.enterprise_owner, cast.password)
    expect(page.get_by_test_id("header-unread")).to_contain_text("1")
    # the H5 app shares the session: its 消息 tab carries the count too
    page.goto(live_server.url + "/h5/messages")
    expect(page.get_by_test_id("tab-messages")).to_contain_text("1")
    page.goto(live_server.url + "/console/messaging/inbox")
    expect(page.get_by_test_id("unread-badge")).to_contain_text("1")
    inbox = page.get_by_test_id("inbox-table")
    inbox.get_by_text("年报提醒").click()
    expect(page.get_by_role("dialog")).to_contain_text("张三您好，请在6月30日前完成年报。")
    page.get_by_role("button", name="关闭", exact=True).click()
    expect(page.get_by_test_id("unread-badge").locator("sup")).to_be_hidden()
    expect(page.get_by_test_id("header-unread").locator("sup")).to_be_hidden()
    owner.close()


def test_an_industry_segment_is_picked_from_the_gbt_4754_list(live_server, cast, browser):
    """The industry segment offers the table the server checks against (门类 → 大类), searchable by
    name; no free text that the server would refuse."""
    from playwright.sync_api import expect

    from qifu.core import tenancy
    from qifu.messaging.models import Send

    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    _login(page, live_server.url, cast.tenant_admin, cast.password)
    page.goto(live_server.url + "/console/messaging/sends")
    page.get_by_test_id("new-send").click()
    dialog = page.get_by_test_id("send-dialog")
    dialog.get_by_placeholder("例如：2026 年度高企认定申报通知").fill("制造业企业座谈会通知")
    dialog.locator(".el-select").filter(has_text="全部企业").click()
    page.locator(".el-select-dropdown__item:visible").get_by_text("按行业", exact=True).click()
    picker = dialog.get_by_test_id("segment-industry-picker")
    picker.click()
    page.keyboard.type("计算机")
    page.locator(".el-select-dropdown__item:visible", has_text="39 计算机、通信和其他电子设备制造业").click()
    dialog.get_by_placeholder("例如：2026 年度高企认定申报通知").click()  # closes the list (it stays open for more)
    expect(picker).to_contain_text("39 计算机、通信和其他电子设备制造业")
    dialog.get_by_text("自定义内容（站内信、微信、邮件）").click()
    dialog.get_by_placeholder("可用 {recipient_name} 等变量").fill("{recipient_name}您好，座谈会定于下周三召开。")
    page.get_by_test_id("submit-send").click()
    expect(page.get_by_test_id("send-table")).to_contain_text("制造业企业座谈会通知")
    context.close()
    with tenancy.tenant_scope(cast.tenant):
        send = Send.objects.get(title="制造业企业座谈会通知")
    assert send.segment["kind"] == "industry" and send.segment["codes"] == ["39"]
