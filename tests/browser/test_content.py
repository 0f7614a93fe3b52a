"""Content in a real browser: a slot created in the console shows on the portal home at once,
and an enterprise signs up for an activity that staff then see (phone masked) in the console.

Needs a built front end (``cd frontend && npm run build``) and Debian's Chromium.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

pytestmark = pytest.mark.browser

ANNOUNCEMENT = "浏览器测试公告：2026年惠企政策申报季开启"
ACTIVITY = "浏览器测试：专精特新申报辅导沙龙"


def _context(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    return context, page


def _sign_in(browser, live_server, user, password):
    from playwright.sync_api import expect

    context, page = _context(browser)
    page.goto(live_server.url + "/console/login")
    page.get_by_placeholder("用户名或手机号").fill(user.username)
    page.get_by_placeholder("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/console/$"), timeout=20_000)
    return context, page


def test_a_slot_created_in_the_console_shows_on_the_portal_home_at_once(live_server, cast, browser):
    from playwright.sync_api import expect

    # The public home is read (and its slots cached) before the change.
    visitor, home = _context(browser)
    home.goto(live_server.url + "/")
    expect(home.get_by_test_id("counters")).to_be_visible()
    expect(home.get_by_text(ANNOUNCEMENT)).to_have_count(0)

    context, page = _sign_in(browser, live_server, cast.staff_a, cast.password)
    page.goto(live_server.url + "/console/content/slots")
    page.get_by_role("tab", name="公告栏").click()
    page.get_by_test_id("new-slot").click()
    page.get_by_test_id("slot-title").fill(ANNOUNCEMENT)
    page.get_by_test_id("slot-link").fill("/policies")
    page.get_by_test_id("save-slot").click()
    expect(page.get_by_text("已保存，门户即时生效")).to_be_visible()
    expect(page.get_by_test_id("slot-table")).to_contain_text(ANNOUNCEMENT)
    context.close()

    home.reload()
    announcements = home.get_by_test_id("announcements")
    expect(announcements).to_contain_text(ANNOUNCEMENT)
    announcements.get_by_text(ANNOUNCEMENT).click()
    expect(home).to_have_url(re.compile(r"/policies$"))
    visitor.close()


def test_an_enterprise_signs_up_and_staff_see_the_sign_up_masked(live_server, cast, browser):
    from django.utils import timezone
    from playwright.sync_api import expect

    from qifu.content import services
    from qifu.content.models import Signup
    from qifu.core import tenancy

    with tenancy.tenant_scope(cast.tenant):
        article = services.create_article(
            {
                "kind": "activity",
                "title": ACTIVITY,
                "body": "<p>现场解读申报要点。</p>",
                "starts_at": timezone.now() + dt.timedelta(days=7),
                "location": "区政务服务中心三楼",
                "signup_enabled": True,
                "capacity": 30,
            }
        )
        services.publish_article(article)

    context, page = _sign_in(browser, live_server, cast.enterprise_owner, cast.password)
    page.goto(live_server.url + f"/content/{article.pk}")
    expect(page.get_by_role("heading", name=ACTIVITY)).to_be_visible()
    page.get_by_test_id("signup-name").fill("张三")
    page.get_by_test_id("signup-phone").fill("13800001111")
    page.get_by_test_id("signup-org").fill(cast.enterprise_a.name)
    page.get_by_test_id("signup-submit").click()
    expect(page.get_by_test_id("signup-done")).to_be_visible()
    context.close()
    with tenancy.tenant_scope(cast.tenant):
        assert Signup.objects.get(article=article).phone == "13800001111"

    context, page = _sign_in(browser, live_server, cast.staff_a, cast.password)
    page.goto(live_server.url + "/console/content/articles")
    row = page.locator(".el-table__body tr", has_text=ACTIVITY).first
    row.get_by_role("button", name="报名名单").click()
    signups = page.get_by_test_id("signup-table")
    expect(signups).to_contain_text("张三")
    expect(signups).to_contain_text("138****1111")
    expect(signups).not_to_contain_text("13800001111")
    expect(page.get_by_test_id("signup-export")).to_have_count(0)  # staff may not export full numbers
    context.close()


def test_an_article_body_written_with_the_editor_toolbar_shows_on_the_portal(live_server, cast, browser):
    from playwright.sync_api import expect

    from qifu.content.models import Article
    from qifu.core import tenancy

    title = "浏览器测试：申报材料清单"
    context, page = _sign_in(browser, live_server, cast.staff_a, cast.password)
    page.goto(live_server.url + "/console/content/articles")
    page.get_by_role("button", name="新建内容").click()
    dialog = page.get_by_role("dialog", name="新建内容")
    dialog.locator(".el-form-item", has_text="标题").locator("input").fill(title)
    editor = dialog.get_by_test_id("article-body-editor")
    text = editor.get_by_role("textbox", name="内容正文", exact=True)
    text.click()
    # Keyboard only: Alt+F10 reaches the toolbar, arrows move inside it, Enter presses, Escape returns.
    page.keyboard.press("Alt+F10")
    expect(editor.get_by_role("button", name=re.compile("^大标题"))).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # 中标题
    page.keyboard.type("需提交的材料")
    page.keyboard.press("Enter")
    editor.get_by_role("button", name=re.compile("^项目列表")).click()
    page.keyboard.type("营业执照复印件")
    page.keyboard.press("Enter")
    page.keyboard.type("上年度财务报表")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    editor.get_by_role("button", name=re.compile("^插入 3×3 表格")).click()
    for cell in ["材料", "份数", "备注", "申请表", "1", "加盖公章"]:
        page.keyboard.type(cell)
        page.keyboard.press("Tab")
    expect(text.locator("h3")).to_have_text("需提交的材料")
    expect(text.locator("ul > li")).to_have_count(2)
    expect(text.locator("th")).to_have_count(3)
    dialog.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存")).to_be_visible()
    row = page.locator(".el-table__body tr", has_text=title).first
    row.get_by_role("button", name="发布").click()
    expect(row).to_contain_text("已发布")
    context.close()

    with tenancy.tenant_scope(cast.tenant):
        article = Article.objects.get(title=title)
    assert article.body.startswith("<h3>需提交的材料</h3><ul><li><p>营业执照复印件</p></li>")
    assert "<th" in article.body and "<td" in article.body and "<p>加盖公章</p></td>" in article.body

    visitor, page = _context(browser)
    page.goto(live_server.url + f"/content/{article.pk}")
    body = page.locator(".body")
    expect(body.get_by_role("heading", level=3)).to_have_text("需提交的材料")
    expect(body.locator("ul > li")).to_have_text(["营业执照复印件", "上年度财务报表"])
    expect(body.get_by_role("columnheader")).to_have_text(["材料", "份数", "备注"])
    expect(body.get_by_role("cell", name="加盖公章")).to_be_visible()
    visitor.close()
