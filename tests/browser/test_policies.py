"""The policy library in a real browser: a district clerk drafts a policy with a structured
condition, a second person publishes it, the public finds it by a Chinese keyword, and an
enterprise asks "我是否符合？".

Needs a built front end (``cd frontend && npm run build``) and Debian's Chromium.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

TITLE = "甲区专精特新中小企业培育奖励办法"


def _context(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return context, page, dialogs


def _sign_in(page, live_server, user, password):
    from playwright.sync_api import expect

    page.goto(live_server.url + "/console/login")
    page.get_by_placeholder("用户名或手机号").fill(user.username)
    page.get_by_placeholder("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/console/$"), timeout=20_000)


def test_draft_review_publish_search_and_self_check(live_server, cast, browser):
    from playwright.sync_api import expect

    from qifu.core import tenancy
    from qifu.policies.models import Policy

    # 1. A district clerk drafts the policy: the body through the editor's toolbar (a heading, a
    #    numbered list, a link), a condition picked from the industry list, and submits it.
    context, page, dialogs = _context(browser)
    _sign_in(page, live_server, cast.staff_a, cast.password)
    page.goto(live_server.url + "/console/policies/new")
    page.get_by_test_id("policy-title-input").fill(TITLE)
    page.get_by_test_id("policy-department-input").fill("区工业和信息化局")
    page.get_by_test_id("policy-summary-input").fill("对新认定的专精特新中小企业给予奖励。")

    editor = page.get_by_test_id("policy-body-editor")
    text = editor.get_by_role("textbox", name="政策正文", exact=True)
    text.click()
    editor.get_by_role("button", name=re.compile("^大标题")).click()
    page.keyboard.type("一、奖励标准")
    page.keyboard.press("Enter")
    editor.get_by_role("button", name=re.compile("^编号列表")).click()
    page.keyboard.type("新认定的专精特新中小企业奖励 20 万元")
    page.keyboard.press("Enter")
    page.keyboard.type("新认定的“小巨人”企业奖励 50 万元")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # an empty item leaves the list
    page.keyboard.type("详见区工信局网站")
    page.keyboard.press("Shift+Home")
    editor.get_by_role("button", name=re.compile("^插入或编辑链接")).click()
    link = editor.get_by_test_id("rte-link-input")
    link.fill("javascript:alert(1)")
    link.press("Enter")
    expect(editor.get_by_role("alert")).to_contain_text("须以 http://、https:// 或 mailto: 开头")
    link.fill("https://gxj.example.gov.cn/art/2026/3/1/art_1.html")
    link.press("Enter")
    expect(text.locator("h2")).to_have_text("一、奖励标准")
    expect(text.locator("ol > li")).to_have_count(2)
    expect(text.locator("a")).to_have_attribute("href", "https://gxj.example.gov.cn/art/2026/3/1/art_1.html")
    # The HTML source view shows the same body; what is added there still goes through the sanitiser.
    editor.get_by_role("button", name="HTML 源码").click()
    source = editor.get_by_role("textbox", name="政策正文（HTML 源码）")
    expect(source).to_have_value(re.compile(r"^<h2>一、奖励标准</h2><ol[^>]*><li><p>新认定的专精特新"))
    source.fill(source.input_value() + "<img src=x onerror=\"alert('xss')\"><script>alert('xss')</script>")

    page.get_by_test_id("rule-switch").click()  # 设置结构化条件: starts with 从业人数 ≥ 1
    rule_editor = page.get_by_test_id("rule-editor")
    expect(rule_editor).to_be_visible()
    rule_editor.get_by_role("button", name="+ 添加条件").click()
    second = page.get_by_test_id("rule-node-条件 2")
    second.locator(".el-select").first.click()
    page.locator(".el-select-dropdown__item:visible").get_by_text("属于", exact=True).click()
    picker = second.get_by_test_id("industry-picker")
    picker.click()
    page.keyboard.type("计算机")
    page.locator(".el-select-dropdown__item:visible", has_text="39 计算机、通信和其他电子设备制造业").click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="校验条件").click()
    expect(page.get_by_text("从业人数 ≥ 1人")).to_be_visible()
    expect(page.get_by_text("所属行业属于：计算机、通信和其他电子设备制造业（39）")).to_be_visible()
    page.get_by_test_id("save-policy").click()
    expect(page).to_have_url(re.compile(r"/console/policies/\d+$"))
    policy_id = int(page.url.rsplit("/", 1)[-1])
    with tenancy.tenant_scope(cast.tenant):
        saved = Policy.objects.get(pk=policy_id)
    assert re.match(r"<h2>一、奖励标准</h2><ol[^>]*><li><p>新认定的专精特新中小企业奖励 20 万元</p></li>", saved.body)
    assert 'href="https://gxj.example.gov.cn/art/2026/3/1/art_1.html"' in saved.body
    assert "<script" not in saved.body and "onerror" not in saved.body and "<p></p>" not in saved.body
    assert saved.conditions["children"][1] == {"type": "in", "fact": "industry_code", "values": ["39"]}
    # Reopened, a body holding an image (which the visual editor cannot show) opens as HTML source.
    page.reload()
    expect(editor.get_by_role("note")).to_contain_text("已以 HTML 源码方式打开")
    expect(source).to_have_value(re.compile(r'<img src="x">$'))
    page.get_by_test_id("submit-review").click()
    expect(page.get_by_test_id("policy-status")).to_have_text("待审核")
    expect(source).to_have_attribute("readonly", "")  # only drafts are editable
    expect(page.get_by_test_id("approve")).to_be_disabled()  # the submitter may not approve
    context.close()

    # 2. A second person approves it from the review queue.
    context, page, dialogs = _context(browser)
    _sign_in(page, live_server, cast.tenant_admin, cast.password)
    page.goto(live_server.url + "/console/policies/reviews")
    page.get_by_test_id("review-table").get_by_role("link", name=TITLE).click()
    page.get_by_test_id("approve").click()
    page.locator(".el-message-box").get_by_role("button", name="确定").click()
    expect(page.get_by_test_id("policy-status")).to_have_text("已发布")
    context.close()
    with tenancy.tenant_scope(cast.tenant):
        policy = Policy.objects.get(pk=policy_id)
        assert policy.status == "published" and policy.reviewed_by_id == cast.tenant_admin.pk

    # 3. The public finds it by keyword, with the hit highlighted; the body's script never runs.
    context, page, dialogs = _context(browser)
    page.goto(live_server.url + "/policies")
    page.get_by_test_id("policy-search").fill("专精特新")
    page.get_by_test_id("policy-search-button").click()
    results = page.get_by_test_id("policy-results")
    expect(results.locator("mark").first).to_have_text("专精特新")
    results.get_by_test_id("policy-title").first.click()
    expect(page.get_by_test_id("policy-heading")).to_have_text(TITLE)
    body = page.locator(".el-card", has_text="政策原文").locator(".body")
    expect(body.get_by_role("heading", level=2)).to_have_text("一、奖励标准")
    expect(body.locator("ol > li")).to_have_text(
        ["新认定的专精特新中小企业奖励 20 万元", "新认定的“小巨人”企业奖励 50 万元"]
    )
    expect(page.get_by_text("所属行业属于：计算机、通信和其他电子设备制造业（39）")).to_be_visible()
    page.get_by_test_id("eligibility-button").click()
    expect(page.get_by_text("请先以企业账号登录后再自检")).to_be_visible()
    assert dialogs == []
    context.close()

    # 4. A signed-in enterprise checks itself: the platform lacks its staff count.
    context, page, dialogs = _context(browser)
    _sign_in(page, live_server, cast.enterprise_owner, cast.password)
    page.goto(live_server.url + f"/policies/{policy_id}")
    page.get_by_test_id("eligibility-button").click()
    result = page.get_by_test_id("eligibility-result")
    expect(result).to_contain_text("可能符合")
    expect(result).to_contain_text("从业人数")
    assert dialogs == []
    context.close()
