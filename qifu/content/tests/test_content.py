"""Content and portal configuration through the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django.utils import timezone

from qifu.content import services
from qifu.content.models import ActivityItem, Article
from qifu.core import tenancy

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def fresh_cache():
    # Tenant ids repeat across tests on SQLite; cached slot lists must not leak between them.
    cache.clear()
    yield
    cache.clear()


def _image(api, user) -> int:
    upload = SimpleUploadedFile("banner.png", PNG, content_type="image/png")
    response = api(user).post("content/manage/images", {"file": upload}, content_type=MULTIPART_CONTENT)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_article_lifecycle_sanitises_and_publishes(api, cast):
    admin = api(cast.staff_a)
    created = admin.post(
        "content/manage/articles",
        {
            "kind": "news",
            "title": "区政府召开惠企政策宣讲会",
            "body": "<p>宣讲会<img src=x onerror=alert(1)></p><script>x()</script>",
        },
    )
    assert created.status_code == 201
    article = created.json()
    assert "onerror" not in article["body"] and "<script" not in article["body"]
    assert article["summary"] == "宣讲会"
    assert api(None).get(f"content/articles/{article['id']}").status_code == 404
    assert admin.post(f"content/manage/articles/{article['id']}/publish").json()["status"] == "published"
    assert api(None).get("content/articles", {"kind": "news"}).json()["total"] == 1
    assert admin.delete(f"content/manage/articles/{article['id']}").json()["code"] == "content.delete_published"
    assert admin.post(f"content/manage/articles/{article['id']}/archive").json()["status"] == "archived"
    assert api(None).get(f"content/articles/{article['id']}").status_code == 404
    assert api(cast.outsider).get(f"content/manage/articles/{article['id']}").status_code == 404
    assert api(cast.enterprise_owner).get("content/manage/articles").status_code == 403


def _activity(api, cast, **over) -> int:
    data = {
        "kind": "activity",
        "title": "专精特新企业申报辅导沙龙",
        "body": "<p>现场辅导</p>",
        "starts_at": (timezone.now() + dt.timedelta(days=7)).isoformat(),
        "location": "区政务服务中心三楼",
        "signup_enabled": True,
        "capacity": 1,
    }
    data.update(over)
    aid = api(cast.staff_a).post("content/manage/articles", data).json()["id"]
    api(cast.staff_a).post(f"content/manage/articles/{aid}/publish")
    return aid


def test_activity_signup_capacity_and_cancel(api, cast):
    aid = _activity(api, cast)
    owner = api(cast.enterprise_owner)
    body = {"name": "张三", "phone": "13800001111", "organisation_name": "甲区恒瑞精密机械有限公司"}
    assert (
        owner.post(f"content/articles/{aid}/signup", {**body, "phone": "1234567"}).json()["code"] == "content.bad_phone"
    )
    assert owner.post(f"content/articles/{aid}/signup", body).status_code == 201
    assert owner.post(f"content/articles/{aid}/signup", body).status_code == 409
    full = api(cast.staff_b).post(f"content/articles/{aid}/signup", {**body, "name": "李四"})
    assert full.json()["code"] == "content.full"
    assert owner.get(f"content/articles/{aid}").json()["my_signup"] is True
    assert owner.delete(f"content/articles/{aid}/signup").json()["status"] == "cancelled"
    assert api(cast.staff_b).post(f"content/articles/{aid}/signup", {**body, "name": "李四"}).status_code == 201
    names = [s["name"] for s in api(cast.staff_a).get(f"content/manage/articles/{aid}/signups").json()["items"]]
    assert names == ["张三", "李四"]
    assert api(None).post(f"content/articles/{aid}/signup", body).status_code == 401
    # the feed shows the sign-up without the enterprise's name
    texts = [item["text"] for item in api(None).get("content/feed").json()]
    assert "甲区**有限公司 报名了 专精特新企业申报辅导沙龙" in texts
    assert not any("恒瑞" in t for t in texts)


def test_signup_closed_after_deadline(api, cast):
    aid = _activity(api, cast, signup_deadline=(timezone.now() - dt.timedelta(hours=1)).isoformat())
    response = api(cast.enterprise_owner).post(
        f"content/articles/{aid}/signup", {"name": "张三", "phone": "13800001111"}
    )
    assert response.json()["code"] == "content.signup_closed"


def test_slots_respect_windows_order_and_take_effect_at_once(api, cast):
    admin = api(cast.staff_a)
    image = _image(api, cast.staff_a)
    now = timezone.now()
    assert (
        admin.post("content/manage/slots", {"placement": "banner", "title": "无图"}).json()["code"]
        == "content.image_required"
    )
    first = admin.post(
        "content/manage/slots", {"placement": "banner", "title": "政策直通车", "image_id": image, "sort": 2}
    ).json()
    admin.post("content/manage/slots", {"placement": "banner", "title": "首贷服务季", "image_id": image, "sort": 1})
    admin.post(
        "content/manage/slots",
        {
            "placement": "banner",
            "title": "将来",
            "image_id": image,
            "starts_at": (now + dt.timedelta(days=1)).isoformat(),
        },
    )
    admin.post(
        "content/manage/slots",
        {
            "placement": "banner",
            "title": "过去",
            "image_id": image,
            "ends_at": (now - dt.timedelta(days=1)).isoformat(),
        },
    )
    bad = admin.post("content/manage/slots", {"placement": "feed", "title": "x", "link_url": "javascript:alert(1)"})
    assert bad.json()["code"] == "content.bad_link"
    live = api(None).get("content/slots").json()["banner"]
    assert [s["title"] for s in live] == ["首贷服务季", "政策直通车"]
    assert live[0]["image_url"] == f"/api/v1/content/images/{image}"
    # a change shows on the very next read, although the list was cached
    admin.put(
        f"content/manage/slots/{first['id']}",
        {"placement": "banner", "title": "政策直通车（新）", "image_id": image, "sort": 0},
    )
    assert [s["title"] for s in api(None).get("content/slots").json()["banner"]] == ["政策直通车（新）", "首贷服务季"]
    admin.delete(f"content/manage/slots/{first['id']}")
    assert [s["title"] for s in api(None).get("content/slots").json()["banner"]] == ["首贷服务季"]
    # other tenants' portals do not see this tenant's slots
    assert api(None, host="beta.test").get("content/slots").json()["banner"] == []
    assert api(None).get(f"content/images/{image}").status_code == 200
    assert api(None, host="beta.test").get(f"content/images/{image}").status_code == 404


def test_reorder(api, cast):
    admin = api(cast.staff_a)
    ids = [admin.post("content/manage/slots", {"placement": "hot_product", "title": t}).json()["id"] for t in "ABC"]
    reordered = admin.post("content/manage/slots/reorder", {"placement": "hot_product", "ids": ids[::-1]})
    assert [s["title"] for s in reordered.json()] == ["C", "B", "A"]
    assert [s["title"] for s in api(None).get("content/slots").json()["hot_product"]] == ["C", "B", "A"]
    wrong = admin.post("content/manage/slots/reorder", {"placement": "banner", "ids": ids})
    assert wrong.json()["code"] == "content.unknown_slot"


def test_intro_counts_what_exists(api, cast):
    saved = api(cast.staff_a).put("content/manage/intro", {"title": "甲区企业服务平台", "body": "<p>一站式服务</p>"})
    assert saved.status_code == 200
    counters = {c["key"]: c["value"] for c in saved.json()["counters"]}
    assert counters["enterprises"] == 2 and counters["institutions"] == 1 and counters["policies"] == 0
    assert counters["users"] == 7  # the cast tenant has seven people
    assert "appeals" not in counters  # no appeals capability yet: nothing is shown for it
    home = api(None).get("content/home").json()
    assert home["intro"]["title"] == "甲区企业服务平台"
    assert set(home["slots"]) == {"banner", "feed", "announcement", "hot_product", "activity"}


def test_anonymise():
    assert services.anonymise("甲区恒瑞精密机械有限公司") == "甲区**有限公司"
    assert services.anonymise("华创科技股份有限公司") == "华创**股份有限公司"
    assert services.anonymise("") == "某企业"
    assert services.anonymise("张三") == "某企业"


def test_record_activity_is_scoped(in_tenant, cast):
    services.record_activity(ActivityItem.Category.FINANCE, "甲区恒瑞精密机械有限公司", "申请了", "首贷贴息贷款")
    with tenancy.tenant_scope(cast.other_tenant):
        assert ActivityItem.objects.count() == 0
    with pytest.raises(ValueError):
        services.record_activity("nope", "x", "y", "z")
    assert Article.objects.count() == 0


def test_signup_phone_is_encrypted_masked_in_the_console_and_full_only_in_the_export(api, cast):
    import io

    from django.db import connection
    from openpyxl import load_workbook

    from qifu.content.models import Signup
    from qifu.core import tenancy

    aid = _activity(api, cast, capacity=5)
    body = {"name": "张三", "phone": "13800001111", "organisation_name": "甲区恒瑞精密机械有限公司"}
    mine = api(cast.enterprise_owner).post(f"content/articles/{aid}/signup", body).json()
    assert mine["phone"] == "13800001111"  # the person who signed up sees their own number
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM content_signup WHERE id = %s", [mine["id"]])
        stored = cursor.fetchone()[0]
    assert "13800001111" not in stored and stored.startswith("gAAAA")  # a Fernet token at rest
    with tenancy.tenant_scope(cast.tenant):
        assert Signup.objects.get(pk=mine["id"]).phone == "13800001111"

    listed = api(cast.staff_a).get(f"content/manage/articles/{aid}/signups").json()["items"]
    assert listed[0]["phone"] == "138****1111"

    def sheet(response):
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        return dict(zip(rows[0], rows[1], strict=True))

    export = f"content/manage/articles/{aid}/signups/export"
    assert api(cast.staff_a).get(export).status_code == 403  # not granted to staff by default
    assert api(None).get(export).status_code == 401
    assert sheet(api(cast.tenant_admin).get(export))["联系电话"] == "13800001111"

    role = cast.roles["district_staff"]
    role.permissions = [*role.permissions, "content.signup.export"]
    role.field_rules = {"content.signup": {"phone": "masked"}}
    with tenancy.tenant_scope(cast.tenant):
        role.save()
    assert sheet(api(cast.staff_a).get(export))["联系电话"] == "138****1111"
    role.field_rules = {"content.signup": {"phone": "hidden"}}
    with tenancy.tenant_scope(cast.tenant):
        role.save()
    assert "联系电话" not in sheet(api(cast.staff_a).get(export))
    assert api(cast.staff_a).get(f"content/manage/articles/{aid}/signups").json()["items"][0]["phone"] == ""
    assert api(cast.outsider).get(export).status_code in (403, 404)


def test_migration_encrypts_phone_numbers_stored_in_plain_text(api, cast):
    import importlib
    from types import SimpleNamespace

    from django.db import connection

    from qifu.content.models import Signup
    from qifu.core import tenancy

    migration = importlib.import_module("qifu.content.migrations.0002_signup_phone_encrypted")
    aid = _activity(api, cast, capacity=5)
    sid = api(cast.enterprise_owner).post(f"content/articles/{aid}/signup", {"name": "张三", "phone": "13800002222"})
    sid = sid.json()["id"]
    with connection.cursor() as cursor:  # as a row written before the field was encrypted
        cursor.execute("UPDATE content_signup SET phone = %s WHERE id = %s", ["13800002222", sid])
    migration.encrypt_existing(None, SimpleNamespace(connection=connection))
    migration.encrypt_existing(None, SimpleNamespace(connection=connection))  # a re-run changes nothing
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM content_signup WHERE id = %s", [sid])
        assert cursor.fetchone()[0].startswith("gAAAA")
    with tenancy.tenant_scope(cast.tenant):
        assert Signup.objects.get(pk=sid).phone == "13800002222"
    migration.decrypt_existing(None, SimpleNamespace(connection=connection))
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM content_signup WHERE id = %s", [sid])
        assert cursor.fetchone()[0] == "13800002222"


def test_hot_product_slot_points_at_a_listed_marketplace_product(api, cast):
    from django.core.cache import cache

    from qifu.core import tenancy
    from qifu.marketplace.models import Category
    from qifu.marketplace.services import catalogue

    with tenancy.tenant_scope(cast.tenant):
        category = Category.objects.create(code="legal", name="法律服务")
        product = catalogue.create_product(
            cast.institution,
            {
                "name": "合同审查服务",
                "summary": "企业合同法律风险审查",
                "description": "<p>专业律师审查合同</p>",
                "is_free": True,
                "service_area": "全区",
                "delivery": "online",
                "category_id": category.pk,
            },
        )
        pending = product.pk  # not listed until its revision is approved
    admin = api(cast.staff_a)
    body = {"placement": "hot_product", "title": "合同审查 · 免费", "product_id": pending}
    assert admin.post("content/manage/slots", body).json()["code"] == "content.unknown_product"
    with tenancy.tenant_scope(cast.tenant):
        catalogue.approve_revision(product.revisions.get())
    created = admin.post("content/manage/slots", body)
    assert created.status_code == 201 and created.json()["product_id"] == product.pk
    wrong_place = admin.post("content/manage/slots", {**body, "placement": "feed"})
    assert wrong_place.json()["code"] == "content.product_only_hot"
    assert (
        admin.post("content/manage/slots", {**body, "product_id": 987654}).json()["code"] == "content.unknown_product"
    )
    hot = api(None).get("content/slots").json()["hot_product"]
    assert [(s["title"], s["link_url"]) for s in hot] == [("合同审查 · 免费", f"/marketplace/{product.pk}")]

    with tenancy.tenant_scope(cast.tenant):
        catalogue.unlist_product(product, reason="暂停服务")
    cache.clear()  # the public list is cached for at most a minute
    assert api(None).get("content/slots").json()["hot_product"] == []


def test_slots_link_only_published_articles_and_drop_one_archived_later(api, cast):
    """Linking a draft or archived article is refused (422 naming it, nothing written); a slot that
    linked an article before it was archived leaves the portal at once but stays editable."""
    from qifu.content.models import Slot
    from qifu.core.audit_models import AuditEntry

    admin = api(cast.staff_a)
    draft = admin.post("content/manage/articles", {"kind": "news", "title": "草稿快讯", "body": "<p>x</p>"}).json()
    gone = admin.post("content/manage/articles", {"kind": "news", "title": "旧闻回顾", "body": "<p>x</p>"}).json()
    live = admin.post("content/manage/articles", {"kind": "news", "title": "开园快讯", "body": "<p>x</p>"}).json()
    for article in (gone, live):
        assert admin.post(f"content/manage/articles/{article['id']}/publish").status_code == 200
    assert admin.post(f"content/manage/articles/{gone['id']}/archive").status_code == 200
    with tenancy.tenant_scope(cast.tenant):
        before = (Slot.objects.count(), AuditEntry.objects.count())
    for article, word in ((draft, "草稿快讯"), (gone, "旧闻回顾")):
        refused = admin.post(
            "content/manage/slots", {"placement": "feed", "title": "头条", "article_id": article["id"]}
        )
        assert refused.status_code == 422 and refused.json()["code"] == "content.article_unpublished"
        assert f"「{word}」" in refused.json()["message"]
    with tenancy.tenant_scope(cast.tenant):
        assert (Slot.objects.count(), AuditEntry.objects.count()) == before

    slot = admin.post("content/manage/slots", {"placement": "feed", "title": "头条", "article_id": live["id"]})
    assert slot.status_code == 201, slot.content
    other = admin.post("content/manage/slots", {"placement": "feed", "title": "次条", "link_url": "/policies"})
    moved = admin.put(
        f"content/manage/slots/{other.json()['id']}", {"placement": "feed", "title": "次条", "article_id": gone["id"]}
    )
    assert moved.status_code == 422 and "「旧闻回顾」" in moved.json()["message"]
    feed = api(None).get("content/slots").json()["feed"]  # cached now
    assert [(s["title"], s["link_url"]) for s in feed] == [("头条", f"/content/{live['id']}"), ("次条", "/policies")]
    admin.post(f"content/manage/articles/{live['id']}/archive")
    assert [s["title"] for s in api(None).get("content/slots").json()["feed"]] == ["次条"]
    assert [s["title"] for s in api(None).get("content/home").json()["slots"]["feed"]] == ["次条"]
    # the slot keeping its (now archived) article still saves, and shows again once it is republished
    kept = admin.put(
        f"content/manage/slots/{slot.json()['id']}",
        {"placement": "feed", "title": "头条（改）", "article_id": live["id"]},
    )
    assert kept.status_code == 200, kept.content
    admin.post(f"content/manage/articles/{live['id']}/publish")
    assert [s["title"] for s in api(None).get("content/slots").json()["feed"]] == ["头条（改）", "次条"]
