"""Categories, publishing and review (with the live version kept during an edit), browsing, favourites."""

from __future__ import annotations

from qifu.core import tenancy
from qifu.marketplace.models import Product, ProductRevision
from qifu.marketplace.tests.conftest import PRODUCT


def _body(market, **changes):
    return {**PRODUCT, "category_id": market.contract.pk, **changes}


def test_publish_review_and_list(cast, api, market):
    inst, staff, public = api(cast.institution_admin), api(cast.staff_a), api(None)
    r = inst.post("marketplace/institution/products", _body(market, name="劳动合同专项审查"))
    assert r.status_code == 201, r.content
    product = r.json()
    assert product["status"] == "pending" and product["pending_revision"]["number"] == 1
    assert "<script>" not in product["description"]  # rich text sanitised on input
    assert public.get(f"marketplace/products/{product['id']}").status_code == 404  # not listed yet

    queue = staff.get("marketplace/reviews").json()
    item = next(i for i in queue["items"] if i["product_id"] == product["id"])
    assert item["is_edit"] is False
    r = staff.post(f"marketplace/reviews/{item['id']}", {"decision": "reject", "reason": ""})
    assert r.status_code == 422 and r.json()["code"] == "marketplace.reason_required"
    r = staff.post(f"marketplace/reviews/{item['id']}", {"decision": "approve"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert public.get(f"marketplace/products/{product['id']}").json()["name"] == "劳动合同专项审查"
    # The same version cannot be reviewed twice.
    assert staff.post(f"marketplace/reviews/{item['id']}", {"decision": "reject", "reason": "x"}).status_code == 422


def test_edit_of_listed_product_keeps_live_version_until_approved(cast, api, market):
    inst, staff, public = api(cast.institution_admin), api(cast.staff_a), api(None)
    pk = market.product.pk
    r = inst.put(
        f"marketplace/institution/products/{pk}", _body(market, name="合同审查服务（升级版）", price="2500.00")
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "listed" and r.json()["pending_revision"]["data"]["name"] == "合同审查服务（升级版）"
    live = public.get(f"marketplace/products/{pk}").json()
    assert live["name"] == "合同审查服务" and live["price"] == "2000.00"

    revision = next(i for i in staff.get("marketplace/reviews").json()["items"] if i["product_id"] == pk)
    assert revision["is_edit"] is True and revision["live"]["name"] == "合同审查服务"
    r = staff.post(f"marketplace/reviews/{revision['id']}", {"decision": "reject", "reason": "价格说明不清"})
    assert r.status_code == 200
    assert public.get(f"marketplace/products/{pk}").json()["name"] == "合同审查服务"  # still listed, unchanged

    inst.put(f"marketplace/institution/products/{pk}", _body(market, name="合同审查服务（升级版）", price="2500.00"))
    revision = next(i for i in staff.get("marketplace/reviews").json()["items"] if i["product_id"] == pk)
    staff.post(f"marketplace/reviews/{revision['id']}", {"decision": "approve"})
    live = public.get(f"marketplace/products/{pk}").json()
    assert live["name"] == "合同审查服务（升级版）" and live["price"] == "2500.00"


def test_a_newer_edit_supersedes_the_pending_one(cast, api, market):
    inst = api(cast.institution_admin)
    pk = market.product.pk
    inst.put(f"marketplace/institution/products/{pk}", _body(market, name="版本二"))
    inst.put(f"marketplace/institution/products/{pk}", _body(market, name="版本三"))
    with tenancy.tenant_scope(cast.tenant):
        statuses = list(
            ProductRevision.objects.filter(product_id=pk).order_by("number").values_list("status", flat=True)
        )
    assert statuses == ["approved", "superseded", "pending"]


def test_unlist_and_relist(cast, api, market):
    inst, public = api(cast.institution_admin), api(None)
    pk = market.product.pk
    r = inst.post(f"marketplace/institution/products/{pk}/unlist", {"reason": "暂停服务"})
    assert r.status_code == 200 and r.json()["status"] == "unlisted"
    assert public.get(f"marketplace/products/{pk}").status_code == 404
    assert inst.post(f"marketplace/institution/products/{pk}/unlist", {}).status_code == 422
    r = inst.post(f"marketplace/institution/products/{pk}/relist")
    assert r.status_code == 200 and r.json()["status"] == "pending"


def test_other_institution_cannot_touch_the_product(cast, api, market):
    other = api(market.other_admin)
    pk = market.product.pk
    assert other.get(f"marketplace/institution/products/{pk}").status_code == 404
    assert other.put(f"marketplace/institution/products/{pk}", _body(market, name="篡改")).status_code == 404
    assert other.post(f"marketplace/institution/products/{pk}/unlist", {}).status_code == 404
    assert other.get("marketplace/institution/products").json()["total"] == 0
    # Enterprises and staff cannot publish.
    assert api(cast.enterprise_owner).post("marketplace/institution/products", _body(market)).status_code == 403


def test_product_validation(cast, api, market):
    inst = api(cast.institution_admin)
    with tenancy.tenant_scope(cast.tenant):
        before = Product.objects.count()
    bad_form = _body(market, form_fields=[{"key": "Bad Key", "label": "x", "type": "text"}])
    assert inst.post("marketplace/institution/products", bad_form).json()["code"] == "marketplace.form_invalid"
    no_price = _body(market, is_free=False, price="0")
    assert inst.post("marketplace/institution/products", no_price).json()["code"] == "marketplace.price_invalid"
    top = _body(market, category_id=market.legal.pk)  # has sub-categories: pick a leaf
    assert inst.post("marketplace/institution/products", top).json()["code"] == "marketplace.category_leaf"
    with tenancy.tenant_scope(cast.tenant):
        assert Product.objects.count() == before


def test_browse_filter_search_and_favourite(cast, api, market):
    public, owner = api(None), api(cast.enterprise_owner)
    assert public.get("marketplace/products").json()["total"] == 1
    assert public.get("marketplace/products", {"category_id": market.legal.pk}).json()["total"] == 1
    assert public.get("marketplace/products", {"free": True}).json()["total"] == 0
    assert public.get("marketplace/products", {"q": "合同"}).json()["total"] == 1
    assert public.get("marketplace/products", {"q": "专利"}).json()["total"] == 0
    tree = public.get("marketplace/categories").json()
    assert tree[0]["name"] == "法律服务" and tree[0]["children"][0]["name"] == "合同审查"

    pk = market.product.pk
    assert public.post(f"marketplace/products/{pk}/favourite").status_code == 401
    assert owner.post(f"marketplace/products/{pk}/favourite").json() == {"favourited": True, "favourite_count": 1}
    assert owner.post(f"marketplace/products/{pk}/favourite").json()["favourite_count"] == 1  # idempotent
    assert owner.get("marketplace/products").json()["items"][0]["favourited"] is True
    assert owner.get("marketplace/favourites").json()["total"] == 1
    assert owner.delete(f"marketplace/products/{pk}/favourite").json() == {"favourited": False, "favourite_count": 0}


def test_categories_are_managed_by_the_operator(cast, api, market):
    admin = api(cast.tenant_admin)
    r = admin.post("marketplace/categories", {"code": "ip", "name": "知识产权", "positive_reasons": ["快"]})
    assert r.status_code == 201
    r = admin.post("marketplace/categories", {"code": "ip-patent", "name": "专利", "parent_id": market.contract.pk})
    assert r.status_code == 422 and r.json()["code"] == "marketplace.category_depth"
    assert admin.post("marketplace/categories", {"code": "ip", "name": "重复"}).status_code == 409
    assert admin.delete(f"marketplace/categories/{market.contract.pk}").status_code == 422  # in use
    assert api(cast.staff_a).post("marketplace/categories", {"code": "x", "name": "x"}).status_code == 403
    survey = api(None).get(f"marketplace/categories/{market.contract.pk}/survey").json()
    assert survey["prompt"] == "请评价律师的专业程度" and survey["negative_reasons"] == ["响应慢", "不专业"]


def test_rating_rules_and_single_reply(cast, api, market):
    from django.test.client import MULTIPART_CONTENT

    from qifu.marketplace.tests.conftest import apply, pdf

    owner, operator, admin = api(cast.enterprise_owner), api(cast.institution_operator), api(cast.institution_admin)
    pk = apply(owner, market.product)["id"]
    for step in ("accept", "start"):
        operator.post(f"marketplace/institution/applications/{pk}/{step}", {})
    operator.post(
        f"marketplace/institution/applications/{pk}/evidence", {"file": pdf()}, content_type=MULTIPART_CONTENT
    )
    operator.post(f"marketplace/institution/applications/{pk}/complete", {})
    assert owner.post(f"marketplace/my/applications/{pk}/rate", {"score": 5}).status_code == 422  # not confirmed
    owner.post(f"marketplace/my/applications/{pk}/confirm", {})
    r = owner.post(f"marketplace/my/applications/{pk}/rate", {"score": 5, "reasons": ["响应慢"]})
    assert r.status_code == 422 and r.json()["code"] == "marketplace.reason_unknown"  # a negative reason for 5 stars
    assert owner.post(f"marketplace/my/applications/{pk}/rate", {"score": 6}).status_code == 422
    assert owner.post(f"marketplace/my/applications/{pk}/rate", {"score": 4, "reasons": ["及时"]}).status_code == 200
    assert owner.post(f"marketplace/my/applications/{pk}/rate", {"score": 4}).status_code == 409

    rating = admin.get("marketplace/institution/ratings").json()["items"][0]
    assert (
        api(market.other_admin).post(f"marketplace/institution/ratings/{rating['id']}/reply", {"text": "x"}).status_code
        == 404
    )
    assert operator.post(f"marketplace/institution/ratings/{rating['id']}/reply", {"text": "谢谢"}).status_code == 403
    assert admin.post(f"marketplace/institution/ratings/{rating['id']}/reply", {"text": "感谢评价"}).status_code == 200
    r = admin.post(f"marketplace/institution/ratings/{rating['id']}/reply", {"text": "再次感谢"})
    assert r.status_code == 422 and r.json()["code"] == "marketplace.already_replied"
    public = api(None).get(f"marketplace/products/{market.product.pk}/ratings").json()["items"][0]
    assert public["reply"] == "感谢评价" and "＊＊" in public["enterprise_name"]


def test_apply_rules(cast, api, market):
    from qifu.marketplace.tests.conftest import apply, upload_material

    owner = api(cast.enterprise_owner)
    base = {"product_id": market.product.pk, "contact_name": "张三", "contact_phone": "13800000000"}
    r = owner.post("marketplace/applications", {**base, "form_data": {"contract_type": "买卖"}})
    assert r.status_code == 422 and r.json()["code"] == "marketplace.material_required"
    material = {"label": "营业执照", "file_id": upload_material(owner)}
    r = owner.post(
        "marketplace/applications", {**base, "form_data": {"contract_type": "其他"}, "materials": [material]}
    )
    assert r.status_code == 422 and "form_data.contract_type" in r.json()["detail"]["fields"]
    r = owner.post("marketplace/applications", {**base, "form_data": {"pages": 3}, "materials": [material]})
    assert r.status_code == 422  # required select missing
    # Someone else's upload cannot be attached.
    foreign = {"label": "营业执照", "file_id": upload_material(api(market.owner_b))}
    r = owner.post("marketplace/applications", {**base, "form_data": {"contract_type": "买卖"}, "materials": [foreign]})
    assert r.status_code == 422 and r.json()["code"] == "marketplace.material_missing"
    apply(owner, market.product)
    r = owner.post(
        "marketplace/applications", {**base, "form_data": {"contract_type": "买卖"}, "materials": [material]}
    )
    assert r.status_code == 409 and r.json()["code"] == "marketplace.application_duplicate"
    # Institutions and staff cannot apply; an uncertified enterprise cannot either.
    assert api(cast.institution_admin).post("marketplace/applications", base).status_code == 403
    with tenancy.tenant_scope(cast.tenant):
        from qifu.orgs.models import Enterprise

        Enterprise.objects.filter(pk=cast.enterprise_b.pk).update(certification="pending")
    r = api(market.owner_b).post(
        "marketplace/applications", {**base, "form_data": {"contract_type": "买卖"}, "materials": [foreign]}
    )
    assert r.status_code == 422 and r.json()["code"] == "marketplace.enterprise_not_certified"


def test_export_obeys_scope_and_escapes(cast, api, market):
    from io import BytesIO

    from openpyxl import load_workbook

    from qifu.marketplace.tests.conftest import apply

    apply(api(cast.enterprise_owner), market.product, contact_name='=HYPERLINK("x")')

    def rows(client, path):
        r = client.get(path)
        assert r.status_code == 200, r.content
        return list(load_workbook(BytesIO(r.content)).active.iter_rows(values_only=True))

    staff_rows = rows(api(cast.staff_a), "marketplace/applications/export")
    assert len(staff_rows) == 2 and staff_rows[1][5].startswith("'=")
    assert len(rows(api(cast.staff_b), "marketplace/applications/export")) == 1  # other town: header only
    assert len(rows(api(cast.institution_admin), "marketplace/institution/applications/export")) == 2
    assert len(rows(api(market.other_admin), "marketplace/institution/applications/export")) == 1
    assert api(cast.enterprise_owner).get("marketplace/applications/export").status_code == 403


def test_a_disabled_institution_disappears_from_the_market(cast, api, market):
    from qifu.orgs.models import Institution

    with tenancy.tenant_scope(cast.tenant):
        Institution.objects.filter(pk=cast.institution.pk).update(status="disabled")
    public = api(None)
    assert public.get("marketplace/products").json()["total"] == 0
    assert public.get(f"marketplace/products/{market.product.pk}").status_code == 404
    r = api(cast.enterprise_owner).post(
        "marketplace/applications",
        {"product_id": market.product.pk, "contact_name": "张三", "contact_phone": "13800000000"},
    )
    assert r.status_code == 404


def test_scheduled_jobs_are_registered_and_run(cast, api, market):
    import datetime as dt

    from django.utils import timezone

    from qifu.core import jobs
    from qifu.core.jobs_models import JobRun
    from qifu.marketplace.models import Application
    from qifu.marketplace.tests.conftest import apply

    pk = apply(api(cast.enterprise_owner), market.product)["id"]
    with tenancy.tenant_scope(cast.tenant):
        Application.objects.filter(pk=pk).update(accept_deadline=timezone.now() - dt.timedelta(minutes=1))
    assert jobs.REGISTRY["marketplace.expire_unaccepted"].schedule is not None
    assert jobs.run_now("marketplace.expire_unaccepted", cast.tenant) == "expired 1"
    with tenancy.tenant_scope(cast.tenant):
        assert Application.objects.get(pk=pk).status == "expired"
    assert JobRun.objects.filter(job="marketplace.expire_unaccepted", status="success").exists()


def test_favourites_show_only_the_approved_version(cast, api, market):
    """An unlisted product edited by its institution must not leak its unreviewed edit to those who favourited it."""
    owner, inst = api(cast.enterprise_owner), api(cast.institution_admin)
    pk = market.product.pk
    owner.post(f"marketplace/products/{pk}/favourite")
    assert inst.post(f"marketplace/institution/products/{pk}/unlist", {"reason": "暂停服务"}).status_code == 200
    edited = _body(market, name="未审核的新名称", summary="未审核的简介", price="9999.00", is_free=False)
    r = inst.put(f"marketplace/institution/products/{pk}", edited)
    assert r.status_code == 200 and r.json()["status"] == "pending"  # the working copy is the edit now

    favourites = owner.get("marketplace/favourites").json()
    assert favourites["total"] == 1
    item = favourites["items"][0]
    assert (item["name"], item["summary"], item["price"]) == ("合同审查服务", "企业合同法律风险审查", "2000.00")
    assert item["status"] == "unlisted" and item["favourited"] is True
    assert "未审核" not in str(favourites)
    # The public detail stays closed while the edit waits for review.
    assert api(None).get(f"marketplace/products/{pk}").status_code == 404

    # Once the edit is approved and listed, the favourite shows it.
    revision = next(i for i in api(cast.staff_a).get("marketplace/reviews").json()["items"] if i["product_id"] == pk)
    api(cast.staff_a).post(f"marketplace/reviews/{revision['id']}", {"decision": "approve"})
    item = owner.get("marketplace/favourites").json()["items"][0]
    assert (item["name"], item["status"]) == ("未审核的新名称", "listed")


def test_favourites_of_a_disabled_institution_show_as_unlisted(cast, api, market):
    from qifu.orgs.models import Institution

    owner = api(cast.enterprise_owner)
    owner.post(f"marketplace/products/{market.product.pk}/favourite")
    with tenancy.tenant_scope(cast.tenant):
        Institution.objects.filter(pk=cast.institution.pk).update(status="disabled")
    item = owner.get("marketplace/favourites").json()["items"][0]
    assert (item["name"], item["status"]) == ("合同审查服务", "unlisted")


def test_disabled_categories_take_no_new_entries_but_keep_their_own(cast, api, market):
    """A disabled top category hides its branch: nothing new goes under or into it (422 naming it,
    nothing written), while what was there before stays editable."""
    from qifu.core.audit_models import AuditEntry
    from qifu.marketplace.models import Category

    admin, inst = api(cast.tenant_admin), api(cast.institution_admin)
    pk = market.product.pk
    with tenancy.tenant_scope(cast.tenant):
        Category.objects.filter(pk=market.legal.pk).update(is_active=False)
        before = (Category.objects.count(), Product.objects.count(), ProductRevision.objects.count())
        audits = AuditEntry.objects.count()
    under = admin.post(
        "marketplace/categories", {"code": "legal-labour", "name": "劳动争议", "parent_id": market.legal.pk}
    )
    assert under.status_code == 422 and under.json()["code"] == "marketplace.category_parent_inactive"
    assert "「法律服务」已停用" in under.json()["message"]
    new = inst.post("marketplace/institution/products", _body(market, name="劳动合同审查"))
    assert new.status_code == 422 and "「法律服务」已停用" in new.json()["message"]
    with tenancy.tenant_scope(cast.tenant):
        ip = Category.objects.create(code="ip", name="知识产权", is_active=False)
        before = (before[0] + 1, *before[1:])
    moved = inst.put(f"marketplace/institution/products/{pk}", _body(market, category_id=ip.pk))
    assert moved.status_code == 422 and "「知识产权」已停用" in moved.json()["message"]
    with tenancy.tenant_scope(cast.tenant):
        assert (Category.objects.count(), Product.objects.count(), ProductRevision.objects.count()) == before
        assert AuditEntry.objects.count() == audits
    # the sub-category already under the disabled top, and the product already in it, still save
    renamed = admin.put(
        f"marketplace/categories/{market.contract.pk}",
        {"code": "legal-contract", "name": "合同审查与起草", "parent_id": market.legal.pk},
    )
    assert renamed.status_code == 200, renamed.json()
    edited = inst.put(f"marketplace/institution/products/{pk}", _body(market, name="合同审查服务（升级版）"))
    assert edited.status_code == 200, edited.json()


def test_approval_rechecks_the_category_the_revision_waited_in(cast, api, market):
    """A category (or its top category) disabled while a revision waited refuses the approval (422
    naming it); the revision stays in review and nothing is written. A listed product keeping its
    live category is approved as before (its edits stay possible)."""
    from qifu.core.audit_models import AuditEntry
    from qifu.marketplace.models import Category

    inst, staff = api(cast.institution_admin), api(cast.staff_a)
    new = inst.post("marketplace/institution/products", _body(market, name="劳动合同专项审查")).json()
    with tenancy.tenant_scope(cast.tenant):
        ip = Category.objects.create(code="ip", name="知识产权")
    moved = inst.put(f"marketplace/institution/products/{market.product.pk}", _body(market, category_id=ip.pk))
    assert moved.status_code == 200, moved.content
    queue = {i["product_id"]: i["id"] for i in staff.get("marketplace/reviews").json()["items"]}
    with tenancy.tenant_scope(cast.tenant):
        Category.objects.filter(pk__in=[market.legal.pk, ip.pk]).update(is_active=False)
        audits = AuditEntry.objects.count()
    first = staff.post(f"marketplace/reviews/{queue[new['id']]}", {"decision": "approve"})
    assert first.status_code == 422, first.content
    assert first.json()["code"] == "marketplace.revision_category_inactive"
    assert "「法律服务」已停用" in first.json()["message"]  # the top category, disabled above the leaf
    edit = staff.post(f"marketplace/reviews/{queue[market.product.pk]}", {"decision": "approve"})
    assert edit.status_code == 422 and "「知识产权」已停用" in edit.json()["message"]
    with tenancy.tenant_scope(cast.tenant):
        assert AuditEntry.objects.count() == audits
        assert set(ProductRevision.objects.filter(pk__in=queue.values()).values_list("status", flat=True)) == {
            "pending"
        }
        assert Product.objects.get(pk=new["id"]).status == "pending"
        live = Product.objects.get(pk=market.product.pk)
        assert (live.status, live.category_id) == ("listed", market.contract.pk)
    assert api(None).get(f"marketplace/products/{new['id']}").status_code == 404
    # An edit keeping the listed product in its (now disabled) category is still approved.
    kept = inst.put(f"marketplace/institution/products/{market.product.pk}", _body(market, name="合同审查（新版）"))
    assert kept.status_code == 200, kept.content
    revision = next(
        i["id"] for i in staff.get("marketplace/reviews").json()["items"] if i["product_id"] == market.product.pk
    )
    assert staff.post(f"marketplace/reviews/{revision}", {"decision": "approve"}).status_code == 200
    # Once the top category is enabled again, the new product can be approved.
    with tenancy.tenant_scope(cast.tenant):
        Category.objects.filter(pk=market.legal.pk).update(is_active=True)
    assert staff.post(f"marketplace/reviews/{queue[new['id']]}", {"decision": "approve"}).status_code == 200


def test_approval_of_a_revision_whose_category_was_deleted_is_refused(cast, api, market):
    from qifu.marketplace.models import Category

    inst, staff = api(cast.institution_admin), api(cast.staff_a)
    with tenancy.tenant_scope(cast.tenant):
        ip = Category.objects.create(code="ip", name="知识产权")
    inst.put(f"marketplace/institution/products/{market.product.pk}", _body(market, category_id=ip.pk))
    revision = next(
        i["id"] for i in staff.get("marketplace/reviews").json()["items"] if i["product_id"] == market.product.pk
    )
    assert api(cast.tenant_admin).delete(f"marketplace/categories/{ip.pk}").status_code == 204
    refused = staff.post(f"marketplace/reviews/{revision}", {"decision": "approve"})
    assert refused.status_code == 422 and refused.json()["code"] == "marketplace.revision_category_missing"
    with tenancy.tenant_scope(cast.tenant):
        assert ProductRevision.objects.get(pk=revision).status == "pending"
