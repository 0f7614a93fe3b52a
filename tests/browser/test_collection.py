"""Policy collection in a real browser: staff configure a list-page source against a local web
server, run it, see the run's outcome, find the collected drafts and send one for review, where
a second person finds it in the review queue.

Needs a built front end (``cd frontend && npm run build``) and Debian's Chromium.
"""

from __future__ import annotations

import re
import threading
from http.server import ThreadingHTTPServer

import pytest

from qifu.policies.tests.test_collection import LISTED, Handler

pytestmark = pytest.mark.browser


@pytest.fixture
def site(settings):
    # Only the local test site is reachable; every other internal address stays refused.
    settings.QIFU_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


def _sign_in(browser, live_server, user, password):
    from playwright.sync_api import expect

    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(live_server.url + "/console/login")
    page.get_by_placeholder("用户名或手机号").fill(user.username)
    page.get_by_placeholder("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/console/$"), timeout=20_000)
    return context, page


def test_configure_run_and_review_a_collected_draft(live_server, cast, browser, site):
    from playwright.sync_api import expect

    from qifu.core import tenancy
    from qifu.policies.models import CollectionRun, Policy

    context, page = _sign_in(browser, live_server, cast.staff_a, cast.password)
    page.goto(live_server.url + "/console/policies/sources")
    page.get_by_test_id("new-source").click()
    page.get_by_test_id("source-name").fill("甲区政府网（测试站）")
    page.get_by_test_id("source-url").fill(site + "/list.html")
    page.get_by_test_id("source-pattern").fill(r"(a+)+$")  # refused: catastrophic backtracking
    page.get_by_test_id("save-source").click()
    expect(page.get_by_text("链接规则过于复杂")).to_be_visible()
    page.get_by_test_id("source-pattern").fill(r"/art/\d{4}/")
    page.get_by_test_id("save-source").click()
    row = page.get_by_test_id("source-table").locator(".el-table__body tr", has_text="甲区政府网（测试站）")
    expect(row).to_be_visible()

    row.get_by_role("button", name="立即归集").click()
    runs = page.get_by_test_id("run-table")
    expect(runs).to_contain_text("新建草稿 3 条")
    expect(runs).to_contain_text("成功")
    with tenancy.tenant_scope(cast.tenant):
        assert CollectionRun.objects.get().status == "success"

    page.goto(live_server.url + "/console/policies")
    table = page.get_by_test_id("policy-table")
    title = LISTED[1]
    draft_row = table.locator(".el-table__body tr", has_text=title)
    expect(draft_row).to_contain_text("归集")
    expect(draft_row).to_contain_text("草稿")
    draft_row.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/console/policies/\d+$"))
    policy_id = int(page.url.rsplit("/", 1)[-1])
    page.get_by_test_id("submit-review").click()
    expect(page.get_by_test_id("policy-status")).to_have_text("待审核")
    context.close()

    context, page = _sign_in(browser, live_server, cast.tenant_admin, cast.password)
    page.goto(live_server.url + "/console/policies/reviews")
    expect(page.get_by_test_id("review-table")).to_contain_text(title)
    context.close()
    with tenancy.tenant_scope(cast.tenant):
        policy = Policy.objects.get(pk=policy_id)
        assert (policy.origin, policy.status, policy.submitter_id_kept) == ("collected", "in_review", cast.staff_a.pk)
        assert "<script" not in policy.body
