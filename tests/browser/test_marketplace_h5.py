"""The H5 (mobile) marketplace and financing pages an enterprise uses on the phone: product filters
and sort, product detail with the institution's rating and the ratings list, 我的收藏 (an unlisted
product shows as 已下架 with its approved name, never its unreviewed edit) and 我的融资申请 with
status and timeline.

Needs a built front end (``cd frontend && npm run build``) and Debian's Chromium.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qifu.access.services import assign_role
from qifu.accounts.models import User
from qifu.core import permissions as P
from qifu.core import requestinfo, tenancy
from qifu.finance import services as finance
from qifu.marketplace.models import Category
from qifu.marketplace.services import applications, catalogue, ratings
from qifu.orgs import services as org_services
from qifu.orgs.models import Institution

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FREE = "免费法律体检"
PAID = "线下合同审查"
GONE = "暂停的劳动仲裁代理"
EDITED = "未经审核的新名称"


def _product(cast, category, name, **extra):
    data = {
        "category_id": category.pk,
        "name": name,
        "summary": "",
        "description": "<p>服务说明</p>",
        "is_free": False,
        "price": "800.00",
        "delivery": "offline",
        "required_materials": [],
        "form_fields": [],
        **extra,
    }
    product = catalogue.create_product(cast.institution, data)
    catalogue.approve_revision(product.revisions.get())
    product.refresh_from_db()
    return product, data


def _rated_service(cast, product):
    owner, operator = cast.enterprise_owner, cast.institution_operator
    with requestinfo.acting(user=owner):
        app = applications.apply(
            enterprise=cast.enterprise_a,
            product=product,
            data={"contact_name": "张三", "contact_phone": "13800000000", "form_data": {}},
        )
    with requestinfo.acting(user=operator):
        applications.accept(app)
        applications.start(app)
        applications.upload_evidence(app, SimpleUploadedFile("报告.pdf", PDF, "application/pdf"), label="服务报告")
        applications.complete(app)
    with requestinfo.acting(user=owner):
        applications.confirm(app)
        ratings.rate(app, score=5, reasons=["专业"], comment="律师很专业，响应及时")


def _loan(cast):
    bank = org_services.create_institution(
        name="甲区农商银行", kind="bank", parent=cast.root, status=Institution.Status.APPROVED
    )
    officer = User.objects.create_user(
        username="bank-officer", password=cast.password, name="客户经理", phone="13900000031", tenant=cast.tenant
    )
    org_services.add_member(officer, bank.organisation, is_default=True)
    assign_role(officer, bank.organisation, cast.roles[P.INSTITUTION_OPERATOR])
    with requestinfo.acting(user=officer):
        product = finance.save_product(
            bank,
            None,
            {
                "name": "小微信用贷",
                "kind": "credit",
                "min_amount": "100000",
                "max_amount": "1000000",
                "min_rate": "3.5",
                "max_rate": "4.8",
                "min_term": 6,
                "max_term": 24,
            },
        )
    with requestinfo.acting(user=cast.enterprise_owner):
        loan = finance.apply(
            enterprise=cast.enterprise_a,
            product=product,
            data={
                "amount": "300000",
                "term_months": 12,
                "purpose": "采购原材料",
                "contact_name": "张三",
                "contact_phone": "13800000000",
            },
        )
    with requestinfo.acting(user=officer):
        finance.accept(loan, note="已安排客户经理")


def test_h5_market_filters_detail_favourites_and_loans(live_server, cast, browser):
    from playwright.sync_api import expect

    with tenancy.tenant_scope(cast.tenant):
        legal = Category.objects.create(code="legal", name="法律服务", positive_reasons=["专业"])
        contract = Category.objects.create(code="legal-contract", name="合同审查", parent=legal)
        free, _ = _product(cast, contract, FREE, is_free=True, price="0", delivery="online", subsidy_eligible=False)
        _product(cast, contract, PAID)
        gone, gone_data = _product(cast, contract, GONE)
        _rated_service(cast, free)
        catalogue.favourite(cast.enterprise_owner, free)
        catalogue.favourite(cast.enterprise_owner, gone)
        # The institution unlists one favourite and edits it: the edit is not reviewed.
        catalogue.unlist_product(gone, reason="暂停服务")
        catalogue.update_product(gone, {**gone_data, "name": EDITED})
        _loan(cast)

    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(live_server.url + "/h5/login?next=/marketplace")
    page.get_by_placeholder("手机号或用户名").fill(cast.enterprise_owner.username)
    page.locator('input[autocomplete="current-password"]').fill(cast.password)
    page.locator("form").get_by_role("button", name="登录").first.click()
    expect(page).to_have_url(re.compile(r"/h5/marketplace$"))

    # The list: the two listed products (the unlisted one is not in the market), then filtered.
    products = page.get_by_test_id("h5-product")
    menus = page.locator(".van-dropdown-menu__item")  # category, sort, filters
    sort_menu, filters_menu = menus.nth(1), menus.nth(2)
    expect(products).to_have_count(2)
    expect(page.get_by_text(GONE)).to_have_count(0)
    filters_menu.click()
    page.get_by_test_id("h5-filter-free").click()
    page.get_by_test_id("h5-filter-apply").click()
    expect(products).to_have_count(1)
    expect(products.first).to_contain_text(FREE)
    filters_menu.click()
    page.get_by_test_id("h5-filter-free").click()  # off again
    page.locator(".van-dropdown-item .van-radio", has_text="线下").click()
    page.get_by_test_id("h5-filter-apply").click()
    expect(products).to_have_count(1)
    expect(products.first).to_contain_text(PAID)  # the free one is online only
    filters_menu.click()
    page.get_by_role("button", name="重置").click()
    page.get_by_test_id("h5-filter-apply").click()
    expect(products).to_have_count(2)
    # Sorted by price, the free one comes first.
    sort_menu.click()
    page.locator(".van-dropdown-item__option", has_text="价格最低").click()
    expect(products.first).to_contain_text(FREE)

    # The detail: the institution's rating and the product's ratings.
    products.filter(has_text=FREE).click()
    expect(page.get_by_test_id("h5-institution-rating")).to_contain_text("机构评分 5.0（1 条）")
    expect(page.get_by_test_id("h5-ratings")).to_contain_text("服务评价（1）")
    expect(page.get_by_test_id("h5-rating")).to_have_count(1)
    expect(page.get_by_test_id("h5-rating").first).to_contain_text("律师很专业，响应及时")

    # 我的收藏: the unlisted product keeps its approved name and shows 已下架.
    page.goto(live_server.url + "/h5/marketplace")
    page.get_by_test_id("h5-go-favourites").click()
    expect(page).to_have_url(re.compile(r"/h5/marketplace/favourites$"))
    favourites = page.get_by_test_id("h5-favourite")
    expect(favourites).to_have_count(2)
    expect(favourites.filter(has_text=GONE).get_by_test_id("h5-favourite-unlisted")).to_have_text("已下架")
    expect(page.locator("body")).not_to_contain_text(EDITED)
    expect(favourites.filter(has_text=FREE).get_by_test_id("h5-favourite-unlisted")).to_have_count(0)

    # 我的融资申请: status, and the timeline in the detail.
    page.goto(live_server.url + "/h5/finance")
    page.get_by_test_id("h5-go-loans").click()
    expect(page).to_have_url(re.compile(r"/h5/finance/mine$"))
    loan = page.get_by_test_id("h5-loan").filter(has_text="小微信用贷")
    expect(loan).to_contain_text("审查中")
    loan.click()
    detail = page.get_by_test_id("h5-loan-detail")
    expect(detail.get_by_test_id("h5-loan-status")).to_have_text("审查中")
    timeline = detail.get_by_test_id("h5-loan-timeline")
    expect(timeline.locator(".van-step")).to_have_count(2)
    expect(timeline).to_contain_text("提交申请")
    expect(timeline).to_contain_text("受理（已安排客户经理）")

    # 我的 links to each of the enterprise's own lists.
    for testid, path in [
        ("h5-mine-favourites", r"/h5/marketplace/favourites$"),
        ("h5-mine-loans", r"/h5/finance/mine$"),
        ("h5-mine-market", r"/h5/marketplace/mine$"),
        ("h5-mine-subscription", r"/h5/policies/subscription$"),
    ]:
        page.goto(live_server.url + "/h5/mine")
        page.get_by_test_id(testid).click()
        expect(page).to_have_url(re.compile(path))
    context.close()
