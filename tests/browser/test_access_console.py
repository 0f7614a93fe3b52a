"""Access administration in a real browser: the admin creates a role in the role editor, finds the
organisation tree, and the operation log shows the change; staff do not get the admin pages."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _login(page, live_server, username, password):
    page.goto(live_server.url + "/console/login")
    page.get_by_placeholder("用户名或手机号").fill(username)
    page.get_by_placeholder("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/console/$"))


def test_admin_creates_a_role_and_finds_it_in_the_log(live_server, cast, page):
    from playwright.sync_api import expect

    _login(page, live_server, cast.tenant_admin.username, cast.password)

    page.locator(".el-menu-item", has_text="角色管理").click()
    expect(page).to_have_url(re.compile(r"/console/access/roles$"))
    table = page.get_by_test_id("role-table")
    expect(table).to_contain_text("政府工作人员")

    page.get_by_test_id("role-new").click()
    page.get_by_test_id("role-code").fill("browser_reviewer")
    page.get_by_test_id("role-name").fill("浏览器审核员")
    dialog = page.locator(".el-dialog")
    dialog.locator(".el-tree-node__content", has_text="企业库").locator(".el-checkbox").first.click()
    page.get_by_test_id("role-save").click()
    expect(table).to_contain_text("浏览器审核员")
    from qifu.access.models import Role
    from qifu.core import tenancy

    with tenancy.tenant_scope(cast.tenant):
        role = Role.objects.get(code="browser_reviewer")
    # Ticking the page 企业库 grants its permission and its buttons (export).
    assert {"orgs.enterprise.view", "orgs.enterprise.export"} <= set(role.permissions)

    page.locator(".el-menu-item", has_text="组织机构").click()
    tree = page.get_by_test_id("org-tree")
    expect(tree).to_contain_text("A 街道")
    expect(tree).to_contain_text("B 镇")

    page.locator(".el-menu-item", has_text="操作日志").click()
    log = page.get_by_test_id("audit-table")
    expect(log).to_contain_text("access.role.create")
    expect(log).to_contain_text("浏览器审核员")


def test_staff_menu_has_no_admin_pages(live_server, cast, page):
    from playwright.sync_api import expect

    _login(page, live_server, cast.staff_a.username, cast.password)
    expect(page.locator(".el-menu-item", has_text="企业库")).to_be_visible()
    expect(page.locator(".el-menu-item", has_text="角色管理")).to_have_count(0)
    expect(page.locator(".el-menu-item", has_text="操作日志")).to_have_count(0)


def test_admin_creates_and_edits_a_ledger_with_its_currency(live_server, cast, page):
    from playwright.sync_api import expect

    from qifu.core import tenancy
    from qifu.orgs.models import Ledger

    _login(page, live_server, cast.tenant_admin.username, cast.password)
    page.locator(".el-menu-item", has_text="组织机构").click()
    page.get_by_test_id("ledger-add").click()
    page.get_by_test_id("ledger-name").fill("美元账簿")
    page.get_by_test_id("ledger-currency").click()
    page.locator(".el-select-dropdown__item:visible", has_text="USD").click()
    page.get_by_test_id("ledger-save").click()
    table = page.get_by_test_id("ledger-table")
    expect(table.locator("tr", has_text="美元账簿")).to_contain_text("USD")

    table.locator("tr", has_text="美元账簿").get_by_role("button", name="编辑").click()
    page.get_by_test_id("ledger-currency").click()
    page.locator(".el-select-dropdown__item:visible", has_text="EUR").click()
    page.get_by_test_id("ledger-save").click()
    expect(table.locator("tr", has_text="美元账簿")).to_contain_text("EUR")
    with tenancy.tenant_scope(cast.tenant):
        assert Ledger.objects.get(name="美元账簿").currency == "EUR"


def test_auditor_checks_the_chain_of_their_tenant(live_server, cast, page):
    from playwright.sync_api import expect

    from qifu.core.audit_models import AuditEntry

    _login(page, live_server, cast.tenant_admin.username, cast.password)
    page.locator(".el-menu-item", has_text="操作日志").click()
    page.get_by_test_id("audit-chain").click()
    result = page.get_by_test_id("audit-chain-result")
    ours = AuditEntry.objects.filter(tenant=cast.tenant).count()
    expect(result).to_contain_text(f"日志完整：本租户已校验 {ours} 条")
