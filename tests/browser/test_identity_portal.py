"""The portal's account area and its sign-in redirect in a real browser: a visitor sees 企业注册 /
登录; a signed-in enterprise owner sees their name, 消息, 企业认证 and 退出登录, and switches
organisation when they belong to two; ``next`` never leads off the site; the H5 我的 page switches
organisation too."""

from __future__ import annotations

import re
from urllib.parse import quote, urlparse

import pytest

pytestmark = pytest.mark.browser


def _portal_login(page, url, username, password, next_path=None):
    target = url + "/login" + (f"?next={quote(next_path, safe='')}" if next_path is not None else "")
    page.goto(target)
    page.get_by_placeholder("手机号或用户名").fill(username)
    page.locator("input[name=password]").fill(password)
    page.get_by_test_id("login-submit").click()


@pytest.mark.parametrize("evil", ["/\\evil.example", "//evil.example", "/\t/evil.example", "https://evil.example/"])
def test_next_never_leaves_the_site(live_server, cast, page, evil):
    from playwright.sync_api import expect

    _portal_login(page, live_server.url, cast.enterprise_owner.username, cast.password, next_path=evil)
    expect(page).to_have_url(re.compile(r"/certification$"))  # the enterprise's usual landing page
    assert urlparse(page.url).netloc == urlparse(live_server.url).netloc


def test_next_within_the_site_is_kept(live_server, cast, page):
    from playwright.sync_api import expect

    _portal_login(page, live_server.url, cast.enterprise_owner.username, cast.password, next_path="/messages?x=1")
    expect(page).to_have_url(re.compile(r"/messages\?x=1$"))


def test_header_shows_who_is_signed_in_and_switches_organisation(live_server, cast, page):
    from playwright.sync_api import expect

    from qifu.core import tenancy
    from qifu.orgs.services import add_member

    with tenancy.tenant_scope(cast.tenant):
        add_member(cast.enterprise_owner, cast.institution.organisation)  # one person, two organisations

    page.goto(live_server.url + "/")
    account = page.get_by_test_id("portal-account")
    expect(account.get_by_role("button", name="登录", exact=True)).to_be_visible()
    expect(account.get_by_role("button", name="企业注册")).to_be_visible()

    _portal_login(page, live_server.url, cast.enterprise_owner.username, cast.password)
    expect(page).to_have_url(re.compile(r"/certification$"))
    expect(account.get_by_test_id("portal-user-name")).to_have_text(cast.enterprise_owner.name)
    expect(account.get_by_test_id("portal-messages")).to_contain_text("消息")
    expect(account.get_by_test_id("portal-certification")).to_be_visible()
    expect(account.get_by_role("button", name="登录", exact=True)).to_have_count(0)

    switcher = account.get_by_test_id("portal-org-switcher")
    expect(switcher).to_contain_text(cast.enterprise_a.name)
    switcher.click()
    page.locator(".el-select-dropdown__item", has_text=cast.institution.name).click()
    expect(switcher).to_contain_text(cast.institution.name)
    expect(account.get_by_test_id("portal-certification")).to_have_count(0)  # an institution has no 企业认证

    account.get_by_test_id("portal-logout").click()
    expect(account.get_by_role("button", name="登录", exact=True)).to_be_visible()
    expect(account.get_by_test_id("portal-user-name")).to_have_count(0)


def test_h5_mine_page_switches_organisation(live_server, cast, page):
    from playwright.sync_api import expect

    from qifu.core import tenancy
    from qifu.orgs.services import add_member

    with tenancy.tenant_scope(cast.tenant):
        add_member(cast.enterprise_owner, cast.institution.organisation)

    page.goto(live_server.url + "/h5/login?next=/mine")
    page.get_by_placeholder("手机号或用户名").fill(cast.enterprise_owner.username)
    page.locator("input[type=password]").first.fill(cast.password)
    page.get_by_role("button", name="登录", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/h5/mine$"))
    switcher = page.get_by_test_id("h5-org-switcher")
    expect(switcher).to_contain_text(cast.enterprise_a.name)
    switcher.click()
    page.locator(".van-action-sheet__item", has_text=cast.institution.name).click()
    expect(switcher).to_contain_text(cast.institution.name)
    page.reload()
    expect(page.get_by_test_id("h5-org-switcher")).to_contain_text(cast.institution.name)
