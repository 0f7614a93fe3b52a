"""Articles and the activity feed obey field rules although they are built as dicts by hand: the
public list, the detail and the console read through the rules (hidden empty, masked masked, a
withheld choice without its label), and the public list's search on a withheld field matches
nothing. Anonymous visitors, roles without the rule and platform admins see everything."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from qifu.core.testing.views import set_field_rules

SUMMARY = "面向科技型中小企业的融资对接"
BODY = "<p>报名截止前提交材料。</p>"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # the feed is cached per tenant id, and ids repeat across tests on SQLite
    yield
    cache.clear()


@pytest.fixture
def article(cast, api) -> int:
    staff = api(cast.staff_a)
    created = staff.post(
        "content/manage/articles",
        {"kind": "news", "title": "甲区融资路演回顾", "summary": SUMMARY, "body": BODY, "category": "路演活动"},
    )
    assert created.status_code == 201, created.content
    aid = created.json()["id"]
    assert staff.post(f"content/manage/articles/{aid}/publish").status_code == 200
    return aid


def test_the_public_list_and_detail_withhold_what_the_role_may_not_see(cast, api, article):
    set_field_rules(
        cast, "enterprise_owner", {"content.article": {"summary": "hidden", "body": "hidden", "kind": "hidden"}}
    )
    owner = api(cast.enterprise_owner)
    listed = owner.get("content/articles").json()["items"]
    assert [a["id"] for a in listed] == [article]
    assert listed[0]["summary"] == "" and listed[0]["kind"] == "" and listed[0]["kind_label"] == ""
    assert listed[0]["title"] == "甲区融资路演回顾"
    detail = owner.get(f"content/articles/{article}").json()
    assert (detail["summary"], detail["body"]) == ("", "")
    # A search word only in the hidden summary finds nothing; one in the title still does.
    assert owner.get("content/articles", {"q": "融资对接"}).json()["total"] == 0
    assert owner.get("content/articles", {"q": "路演回顾"}).json()["total"] == 1
    for who in (None, cast.tenant_admin, cast.platform_admin):
        client = api(who)
        assert client.get("content/articles", {"q": "融资对接"}).json()["total"] == 1
        assert client.get(f"content/articles/{article}").json()["body"] == BODY


def test_the_console_reads_through_the_rules(cast, api, article):
    set_field_rules(cast, "district_staff", {"content.article": {"summary": "masked", "category": "hidden"}})
    staff = api(cast.staff_a)
    for item in (
        staff.get("content/manage/articles").json()["items"][0],
        staff.get(f"content/manage/articles/{article}").json(),
    ):
        assert item["summary"] != SUMMARY and "*" in item["summary"]
        assert item["category"] == ""


def test_the_feed_obeys_rules_on_activity_items(cast, api, in_tenant):
    from qifu.content.models import ActivityItem

    ActivityItem.objects.create(category="finance", actor="甲区**有限公司", action="申请了", subject="科创信用贷")
    assert "科创信用贷" in api(None).get("content/feed").json()[0]["text"]  # cached for everyone now
    set_field_rules(cast, "enterprise_owner", {"content.activityitem": {"subject": "hidden"}})
    for path in ("content/feed", "content/home"):
        data = api(cast.enterprise_owner).get(path).json()
        text = (data if path.endswith("feed") else data["feed"])[0]["text"]
        assert "科创信用贷" not in text and "申请了" in text
    assert "科创信用贷" in api(None).get("content/feed").json()[0]["text"]


def test_slots_obey_rules_without_sharing_a_ruled_view_through_the_cache(cast, api, in_tenant):
    from qifu.content import services

    services.save_slot(None, {"placement": "announcement", "title": "甲区融资路演报名", "link_url": "/"})
    set_field_rules(cast, "enterprise_owner", {"content.slot": {"title": "hidden"}})
    assert api(None).get("content/slots").json()["announcement"][0]["title"] == "甲区融资路演报名"  # cached
    for path in ("content/slots", "content/home"):
        data = api(cast.enterprise_owner).get(path).json()
        slots = data if path.endswith("slots") else data["slots"]
        assert slots["announcement"][0]["title"] == ""
    assert api(None).get("content/slots").json()["announcement"][0]["title"] == "甲区融资路演报名"
    set_field_rules(cast, "tenant_admin", {"content.slot": {"title": "masked"}})
    console = api(cast.tenant_admin).get("content/manage/slots").json()
    assert console[0]["title"] != "甲区融资路演报名" and "*" in console[0]["title"]


def test_the_console_live_flag_is_withheld_with_the_window(cast, api, in_tenant):
    """``is_live`` is computed from the display window: with either end hidden or masked it would tell
    where the window lies, so it reads false (unknown) like the withheld times themselves."""
    import datetime as dt

    from django.utils import timezone

    from qifu.content import services

    now = timezone.now()
    services.save_slot(
        None,
        {
            "placement": "announcement",
            "title": "限时公告",
            "link_url": "/",
            "starts_at": now - dt.timedelta(days=1),
            "ends_at": now + dt.timedelta(days=1),
        },
    )
    admin = api(cast.tenant_admin)
    assert admin.get("content/manage/slots").json()[0]["is_live"] is True
    for rules in ({"ends_at": "hidden"}, {"starts_at": "masked"}):
        set_field_rules(cast, "tenant_admin", {"content.slot": rules})
        row = admin.get("content/manage/slots").json()[0]
        assert row["is_live"] is False and row["is_active"] is True
        assert row[next(iter(rules))] is None
    set_field_rules(cast, "tenant_admin", {"content.slot": {"title": "hidden"}})
    assert admin.get("content/manage/slots").json()[0]["is_live"] is True
