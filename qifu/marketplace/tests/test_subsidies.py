"""Subsidies: reserve on acceptance, consume on verification, release on cancellation;
the budget and the five-per-enterprise cap, sequentially and under parallel requests."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from qifu.core import requestinfo, tenancy
from qifu.marketplace.models import Application, SubsidyProgramme
from qifu.marketplace.services import applications, catalogue, subsidies
from qifu.marketplace.tests.conftest import PRODUCT, apply
from qifu.orgs import services as org_services
from qifu.orgs.codes import make_credit_code
from qifu.orgs.models import Enterprise


def _products(cast, market, n):
    """n listed products without required materials (so applications can be made directly)."""
    products = []
    with tenancy.tenant_scope(cast.tenant):
        for i in range(n):
            data = {**PRODUCT, "name": f"法律咨询套餐{i}", "category_id": market.contract.pk, "required_materials": []}
            product = catalogue.create_product(cast.institution, data)
            catalogue.approve_revision(product.revisions.get())
            products.append(product)
    return products


def _apply_direct(cast, enterprise, product):
    with tenancy.tenant_scope(cast.tenant), requestinfo.acting(user=cast.enterprise_owner):
        return applications.apply(
            enterprise=enterprise,
            product=product,
            data={"contact_name": "张三", "contact_phone": "13800000000", "form_data": {"contract_type": "买卖"}},
        )


def _programme(cast, pk):
    with tenancy.tenant_scope(cast.tenant):
        return SubsidyProgramme.objects.get(pk=pk)


def _enterprises(cast, n):
    with tenancy.tenant_scope(cast.tenant):
        return [
            org_services.create_enterprise(
                name=f"并发测试企业{i}",
                parent=cast.root,
                town=cast.town_a,
                credit_code=make_credit_code("9", "1", "320505", f"MA{700000 + i:06d}"),
                certification=Enterprise.Certification.CERTIFIED,
            )
            for i in range(n)
        ]


def test_amount_rules(in_tenant, market):
    programme = market.programme
    assert subsidies.amount_for(programme, Decimal("2000.00")) == Decimal("800.00")  # 50 % capped at 800
    assert subsidies.amount_for(programme, Decimal("999.99")) == Decimal("500.00")  # rounded half up
    programme.mode, programme.amount, programme.max_per_service = "amount", Decimal("300"), None
    assert subsidies.amount_for(programme, Decimal("200.00")) == Decimal("200.00")  # never more than the price


def test_sixth_service_of_an_enterprise_gets_no_subsidy(cast, api, market):
    operator = api(cast.institution_operator)
    ids = [_apply_direct(cast, cast.enterprise_a, p).pk for p in _products(cast, market, 6)]
    results = [operator.post(f"marketplace/institution/applications/{pk}/accept", {}).json() for pk in ids]
    assert [r["subsidy_status"] for r in results] == ["reserved"] * 5 + ["none"]
    with tenancy.tenant_scope(cast.tenant):
        assert "达到上限" in Application.objects.get(pk=ids[-1]).subsidy_note
    assert _programme(cast, market.programme.pk).reserved == Decimal("4000.00")


def test_cancellation_releases_and_refusal_releases(cast, api, market):
    owner, operator, staff = api(cast.enterprise_owner), api(cast.institution_operator), api(cast.staff_a)
    pk = apply(owner, market.product)["id"]
    operator.post(f"marketplace/institution/applications/{pk}/accept", {})
    assert _programme(cast, market.programme.pk).reserved == Decimal("800.00")
    r = owner.post(f"marketplace/my/applications/{pk}/cancel", {"reason": "计划有变"})
    assert r.status_code == 200 and r.json()["subsidy_status"] == "released"
    assert _programme(cast, market.programme.pk).reserved == Decimal("0.00")

    # A second application runs to rating, and the government refuses the subsidy.
    pk = apply(owner, market.product)["id"]
    for step in ("accept", "start"):
        operator.post(f"marketplace/institution/applications/{pk}/{step}", {})
    with tenancy.tenant_scope(cast.tenant):
        app = Application.objects.get(pk=pk)
        from qifu.marketplace.tests.conftest import pdf

        applications.upload_evidence(app, pdf(), label="报告")
    operator.post(f"marketplace/institution/applications/{pk}/complete", {})
    owner.post(f"marketplace/my/applications/{pk}/confirm", {})
    owner.post(f"marketplace/my/applications/{pk}/rate", {"score": 2, "reasons": ["响应慢"]})
    assert staff.post(f"marketplace/subsidies/{pk}/refuse", {"reason": ""}).status_code == 422
    r = staff.post(f"marketplace/subsidies/{pk}/refuse", {"reason": "服务证明不完整"})
    assert r.status_code == 200 and r.json()["subsidy_status"] == "refused"
    programme = _programme(cast, market.programme.pk)
    assert (programme.reserved, programme.consumed) == (Decimal("0.00"), Decimal("0.00"))
    # A refused subsidy cannot then be verified.
    assert staff.post(f"marketplace/subsidies/{pk}/verify", {}).status_code == 422


def test_cancellation_rules_per_state(cast, api, market):
    owner, operator = api(cast.enterprise_owner), api(cast.institution_operator)
    pk = apply(owner, market.product)["id"]
    # The institution cannot cancel a submitted application (it declines instead).
    r = operator.post(f"marketplace/institution/applications/{pk}/cancel", {"reason": "忙"})
    assert r.status_code == 422 and r.json()["code"] == "marketplace.cancel_not_allowed"
    operator.post(f"marketplace/institution/applications/{pk}/accept", {})
    operator.post(f"marketplace/institution/applications/{pk}/start", {})
    # Once the service runs, the enterprise can no longer cancel; the institution can.
    r = owner.post(f"marketplace/my/applications/{pk}/cancel", {"reason": "不要了"})
    assert r.status_code == 422
    r = operator.post(f"marketplace/institution/applications/{pk}/cancel", {"reason": "律师无法到场"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled" and r.json()["subsidy_status"] == "released"


def test_programme_validation_and_budget_floor(cast, api, market):
    admin = api(cast.tenant_admin)
    body = {
        "name": "测试计划",
        "budget": "1000.00",
        "starts_on": "2026-01-01",
        "ends_on": "2025-01-01",
        "category_ids": [market.legal.pk],
        "mode": "ratio",
        "ratio": "0.5",
    }
    assert admin.post("marketplace/programmes", body).json()["code"] == "marketplace.programme_period"
    body["ends_on"] = "2026-12-31"
    assert admin.post("marketplace/programmes", {**body, "per_enterprise_limit": 6}).status_code == 422
    r = admin.post("marketplace/programmes", body)
    assert r.status_code == 201, r.content
    # Staff may see programmes but not create them.
    assert api(cast.staff_a).get("marketplace/programmes").json()["total"] == 2
    assert api(cast.staff_a).post("marketplace/programmes", body).status_code == 403
    # The budget cannot drop below what is already reserved.
    owner, operator = api(cast.enterprise_owner), api(cast.institution_operator)
    pk = apply(owner, market.product)["id"]
    operator.post(f"marketplace/institution/applications/{pk}/accept", {})
    update = {**body, "budget": "100.00", "category_ids": [market.legal.pk], "starts_on": "2020-01-01"}
    r = admin.put(f"marketplace/programmes/{market.programme.pk}", {**update, "ends_on": "2099-12-31"})
    assert r.status_code == 422 and r.json()["code"] == "marketplace.programme_budget"


def test_programme_refuses_disabled_categories_but_keeps_its_own(cast, api, market):
    """A disabled category cannot join a programme (422 naming it, nothing written); one the programme
    already covers, disabled later, does not stop the programme from being edited."""
    from qifu.core.audit_models import AuditEntry
    from qifu.marketplace.models import Category

    admin = api(cast.tenant_admin)
    with tenancy.tenant_scope(cast.tenant):
        tax = Category.objects.create(code="tax", name="税务服务", is_active=False)
        before = (SubsidyProgramme.objects.count(), AuditEntry.objects.count())
    body = {
        "name": "测试计划",
        "budget": "1000.00",
        "starts_on": "2020-01-01",
        "ends_on": "2099-12-31",
        "category_ids": [market.legal.pk, tax.pk],
        "mode": "ratio",
        "ratio": "0.5",
    }
    r = admin.post("marketplace/programmes", body)
    assert r.status_code == 422, r.content
    assert r.json()["code"] == "marketplace.programme_category_inactive"
    assert "「税务服务」" in r.json()["message"] and r.json()["detail"] == {"category_ids": [tax.pk]}
    unknown = admin.post("marketplace/programmes", {**body, "category_ids": [market.legal.pk, 999999]})
    assert unknown.status_code == 422 and unknown.json()["detail"] == {"category_ids": [999999]}
    url = f"marketplace/programmes/{market.programme.pk}"
    added = admin.put(url, {**body, "name": "改名", "budget": "100000.00"})
    assert added.status_code == 422 and added.json()["code"] == "marketplace.programme_category_inactive"
    with tenancy.tenant_scope(cast.tenant):
        assert (SubsidyProgramme.objects.count(), AuditEntry.objects.count()) == before
        programme = SubsidyProgramme.objects.get(pk=market.programme.pk)
        assert programme.name == "2026 年中小企业服务补贴"
        assert list(programme.categories.values_list("pk", flat=True)) == [market.legal.pk]
        # the programme's own top category (it covers 合同审查 below it) is disabled afterwards
        Category.objects.filter(pk=market.legal.pk).update(is_active=False)
    kept = admin.put(url, {**body, "name": "改名", "budget": "100000.00", "category_ids": [market.legal.pk]})
    assert kept.status_code == 200, kept.content
    assert kept.json()["name"] == "改名"
    # ... but once removed it cannot come back while disabled
    admin.put(url, {**body, "budget": "100000.00", "category_ids": [market.contract.pk]})
    back = admin.put(url, {**body, "budget": "100000.00", "category_ids": [market.legal.pk]})
    assert back.status_code == 422 and "「法律服务」" in back.json()["message"]


# -- concurrency (PostgreSQL: real row locks between real connections) -----------------------
def _accept_in_parallel(cast, api, ids):
    barrier = threading.Barrier(len(ids))
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(pk):
        try:
            client = api(cast.institution_operator)
            barrier.wait()
            status = client.post(f"marketplace/institution/applications/{pk}/accept", {}).status_code
            with lock:
                statuses.append(status)
        except BaseException:
            barrier.abort()  # the others stop waiting; the missing status fails the test instead of hanging it
            raise
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(pk,)) for pk in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_per_enterprise_cap_holds_under_parallel_accepts(cast, api, market):
    ids = [_apply_direct(cast, cast.enterprise_a, p).pk for p in _products(cast, market, 8)]
    statuses = _accept_in_parallel(cast, api, ids)
    assert statuses == [200] * 8
    with tenancy.tenant_scope(cast.tenant):
        reserved = Application.objects.filter(pk__in=ids, subsidy_status="reserved").count()
        assert Application.objects.filter(pk__in=ids, status="accepted").count() == 8
    assert reserved == 5
    assert _programme(cast, market.programme.pk).reserved == Decimal("4000.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_budget_holds_under_parallel_accepts(cast, api, market):
    with tenancy.tenant_scope(cast.tenant):
        SubsidyProgramme.objects.filter(pk=market.programme.pk).update(budget=Decimal("2400.00"))  # three services
    products = _products(cast, market, 1)
    ids = [_apply_direct(cast, enterprise, products[0]).pk for enterprise in _enterprises(cast, 7)]
    statuses = _accept_in_parallel(cast, api, ids)
    assert statuses == [200] * 7
    with tenancy.tenant_scope(cast.tenant):
        assert Application.objects.filter(pk__in=ids, subsidy_status="reserved").count() == 3
    programme = _programme(cast, market.programme.pk)
    assert programme.reserved == Decimal("2400.00") and programme.available == Decimal("0.00")


def test_deadline_reminder_and_expiry(cast, api, market):
    owner = api(cast.enterprise_owner)
    pk = apply(owner, market.product)["id"]
    with tenancy.tenant_scope(cast.tenant):
        deadline = Application.objects.get(pk=pk).accept_deadline
        assert applications.remind_due(now=deadline - dt.timedelta(days=2)) == 0  # not yet due
        assert applications.remind_due(now=deadline - dt.timedelta(hours=5)) == 1
        assert applications.remind_due(now=deadline - dt.timedelta(hours=4)) == 0  # reminded once
        assert applications.expire_overdue(now=deadline + dt.timedelta(minutes=1)) == 1
        assert Application.objects.get(pk=pk).status == "expired"
    events = [e["action"] for e in owner.get(f"marketplace/my/applications/{pk}").json()["events"]]
    assert events == ["submit", "remind", "expire"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cap_holds_when_services_race(cast, market):
    """Service calls overlap more tightly than HTTP requests; without the programme lock this finds 6–8."""
    ids = [_apply_direct(cast, cast.enterprise_a, p).pk for p in _products(cast, market, 8)]
    barrier = threading.Barrier(len(ids))

    def worker(pk):
        try:
            with tenancy.tenant_scope(cast.tenant), requestinfo.acting(user=cast.institution_operator):
                app = Application.objects.get(pk=pk)
                barrier.wait()
                applications.accept(app)
        except BaseException:
            barrier.abort()  # never leave the other threads waiting; the counts below then fail
            raise
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(pk,)) for pk in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with tenancy.tenant_scope(cast.tenant):
        assert Application.objects.filter(pk__in=ids, status="accepted").count() == 8
        assert Application.objects.filter(pk__in=ids, subsidy_status="reserved").count() == 5
    assert _programme(cast, market.programme.pk).reserved == Decimal("4000.00")
