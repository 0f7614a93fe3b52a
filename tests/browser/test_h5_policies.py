"""The H5 policy library in a phone-sized browser: search with suggestions while typing, the
department filter, and subscribing to a tag and a department after signing in.

Needs a built front end (``cd frontend && npm run build``) and Debian's Chromium.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

SPECIAL = "甲区专精特新中小企业培育奖励办法"
JOBS = "甲区稳岗补贴申领指南"


def _publish(cast, title: str, department: str, tag_ids: list[int]) -> int:
    from qifu.core import tenancy
    from qifu.policies import services

    with tenancy.tenant_scope(cast.tenant):
        policy = services.create_policy(
            {"title": title, "level": "district", "department": department, "summary": f"{title}的摘要。"},
            tag_ids=tag_ids,
        )
        services.submit_policy(policy, cast.staff_a)
        services.approve_policy(policy, cast.tenant_admin, "同意")
        return policy.pk


def test_h5_search_suggestions_filters_and_subscription(live_server, cast, browser):
    from playwright.sync_api import expect

    from qifu.core import tenancy
    from qifu.policies.models import PolicyTag, Subscription

    with tenancy.tenant_scope(cast.tenant):
        tag = PolicyTag.objects.create(name="专精特新")
    _publish(cast, SPECIAL, "区工业和信息化局", [tag.pk])
    _publish(cast, JOBS, "区人力资源和社会保障局", [])

    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url + "/h5/policies")
    items = page.get_by_test_id("h5-policy-item")
    expect(items).to_have_count(2)

    # Suggestions while typing; picking one searches for it, the hit highlighted.
    page.get_by_test_id("h5-policy-search").locator("input").fill("专精")
    suggestions = page.get_by_test_id("h5-policy-suggestions")
    expect(suggestions).to_contain_text(SPECIAL)
    suggestions.get_by_text(SPECIAL).click()
    expect(items).to_have_count(1)
    expect(items.first.locator("mark").first).to_be_visible()
    expect(items.first).to_contain_text(SPECIAL)

    # Clear the search, then filter by department.
    page.get_by_test_id("h5-policy-search").locator("input").fill("")
    page.get_by_test_id("h5-policy-search").locator("input").press("Enter")
    expect(items).to_have_count(2)
    page.locator(".van-dropdown-menu__item").nth(1).click()
    page.locator(".van-dropdown-item__option", has_text="区人力资源和社会保障局").click()
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text(JOBS)

    # Subscribe: asks to sign in, comes back, saves a tag and a department.
    page.get_by_test_id("h5-policy-subscribe").click()
    page.get_by_test_id("h5-sub-login").click()
    page.get_by_placeholder("手机号或用户名").fill(cast.enterprise_owner.username)
    page.locator('input[autocomplete="current-password"]').fill(cast.password)
    page.locator("form").get_by_role("button", name="登录").first.click()
    expect(page).to_have_url(re.compile(r"/h5/policies/subscription$"))
    page.get_by_test_id("h5-sub-tags").get_by_text("专精特新").click()
    page.get_by_test_id("h5-sub-departments").get_by_text("区工业和信息化局").click()
    page.get_by_test_id("h5-sub-save").click()
    expect(page.get_by_text("订阅已保存")).to_be_visible()
    context.close()

    with tenancy.tenant_scope(cast.tenant):
        sub = Subscription.objects.get(user=cast.enterprise_owner)
        assert [t.name for t in sub.tags.all()] == ["专精特新"]
        assert sub.departments == ["区工业和信息化局"]
