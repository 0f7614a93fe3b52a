"""The console in a real browser: sign in, see the shell and the menu, open 企业库.

Needs a built front end (``cd frontend && npm ci && npm run build``) and Debian's Chromium at
/usr/bin/chromium; Playwright never downloads a browser here.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

# The `browser` and `page` fixtures (Debian's Chromium, skipped with a reason when it or the
# front-end build is missing) are in tests/browser/conftest.py.


def test_console_login_menu_and_enterprises(live_server, cast, page):
    from playwright.sync_api import expect

    user = cast.tenant_admin
    page.goto(live_server.url + "/console/login")

    page.get_by_placeholder("用户名或手机号").fill(user.username)
    page.get_by_placeholder("密码").fill(cast.password)
    page.get_by_role("button", name="登录").click()

    # The layout: the signed-in user's name in the header and the server-built menu.
    expect(page).to_have_url(re.compile(r"/console/$"))
    expect(page.get_by_test_id("user-name")).to_contain_text(user.display_name)
    menu_item = page.locator(".el-menu-item", has_text="企业库")
    expect(menu_item).to_be_visible()

    menu_item.click()
    expect(page).to_have_url(re.compile(r"/console/enterprises$"))
    table = page.get_by_test_id("enterprise-table")
    expect(table).to_be_visible()
    expect(table.locator(".el-table__body tr").first).to_be_visible()
    expect(table).to_contain_text(cast.enterprise_a.name)
