"""The portal and the H5 app load from the built front end, show server data and their own 404s."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_portal_home_shows_site_and_login_link(live_server, cast, page):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/")
    expect(page.get_by_test_id("site-name")).to_have_text(cast.tenant.name)
    expect(page.locator(".portal-account a", has_text="登录")).to_have_attribute("href", "/login")
    expect(page.locator(".portal-account a", has_text="企业注册")).to_have_attribute("href", "/register")


def test_unknown_paths_get_each_apps_404(live_server, cast, page):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/no-such-page")
    expect(page.get_by_text("页面不存在").first).to_be_visible()
    page.goto(live_server.url + "/h5/no-such-page")
    expect(page.get_by_text("页面不存在").first).to_be_visible()


def test_console_sends_anonymous_users_to_login(live_server, cast, page):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/console/enterprises")
    expect(page).to_have_url(re.compile(r"/console/login\?next=(%2F|/)enterprises$"))
    expect(page.get_by_role("button", name="登录")).to_be_visible()


def test_h5_mine_tab_signs_in(live_server, cast, page):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(live_server.url + "/h5/")
    expect(page.get_by_test_id("site-name")).to_have_text(cast.tenant.name)
    page.locator(".van-tabbar-item", has_text="我的").click()
    page.get_by_test_id("go-login").click()
    page.get_by_placeholder("手机号或用户名").fill(cast.enterprise_owner.username)
    page.locator('input[autocomplete="current-password"]').fill(cast.password)
    page.locator("form").get_by_role("button", name="登录").first.click()
    expect(page.get_by_test_id("user-name")).to_contain_text(cast.enterprise_owner.display_name)
