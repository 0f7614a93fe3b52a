"""One registry of message categories: templates, sends and events may only name registered ones."""

from __future__ import annotations

import pytest

from qifu.core import tenancy
from qifu.messaging import categories, events
from qifu.messaging.channels import console
from qifu.messaging.models import Delivery, EventRule, OptOut, Send, Template
from qifu.messaging.services import notify
from qifu.messaging.tests.test_api import SMS_TEMPLATE


@pytest.fixture(autouse=True)
def clean_console():
    console.SENT.clear()
    yield
    console.SENT.clear()


def test_a_made_up_category_cannot_reach_people_who_opted_out(cast, api, django_capture_on_commit_callbacks):
    with tenancy.tenant_scope(cast.tenant):
        OptOut.objects.create(user=cast.enterprise_owner, category="activity", channel="")
    client = api(cast.tenant_admin)
    body = {
        "title": "促销",
        "channels": ["inapp", "email"],
        "segment": {"kind": "users", "user_ids": [cast.enterprise_owner.pk]},
        "text": "限时优惠",
        "category": "promotion-2026",
    }
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post("messaging/sends", body)
    assert refused.status_code == 422 and refused.json()["code"] == "messaging.unknown_category"
    assert "活动推广" in refused.json()["message"]
    with tenancy.tenant_scope(cast.tenant):
        assert not Send.objects.exists()


def test_manual_sends_cannot_use_an_essential_category(cast, api):
    response = api(cast.tenant_admin).post(
        "messaging/sends",
        {
            "title": "t",
            "channels": ["inapp"],
            "segment": {"kind": "all_enterprises"},
            "text": "x",
            "category": "review",
        },
    )
    assert response.status_code == 422 and response.json()["code"] == "messaging.essential_send"


def test_templates_refuse_unknown_categories(cast, api):
    client = api(cast.tenant_admin)
    response = client.post("messaging/templates", {**SMS_TEMPLATE, "category": "whatever"})
    assert response.status_code == 422 and response.json()["code"] == "messaging.unknown_category"
    created = client.post("messaging/templates", SMS_TEMPLATE).json()
    version = client.post(f"messaging/templates/{created['id']}/versions", {"category": "whatever"})
    assert version.status_code == 422 and version.json()["code"] == "messaging.unknown_category"
    with tenancy.tenant_scope(cast.tenant):
        assert Template.objects.count() == 1


def test_events_must_name_a_registered_category():
    with pytest.raises(ValueError, match="not registered"):
        events.define("messaging.test.badcategory", "x", category="made-up")
    # an event without one is filed under its capability, registered for it
    code = events.define("messaging.test.nocategory", "x")
    assert events.get(code).category == "messaging" and categories.is_known("messaging")


def test_review_results_are_essential_and_ignore_opt_outs(cast, in_tenant, django_capture_on_commit_callbacks):
    reviewed = events.get("policies.policy.reviewed")
    assert reviewed.category == "review" and reviewed.essential
    OptOut.objects.create(user=cast.staff_a, category="policy", channel="")
    EventRule.objects.create(event=reviewed.code, channels=["sms"])
    with django_capture_on_commit_callbacks(execute=True):
        send = notify(reviewed.code, [cast.staff_a], {"title": "稳岗补贴", "result": "通过", "comment": ""})
    assert send.essential
    assert send.deliveries.get(channel="sms").state == Delivery.State.DELIVERED
    assert [m["to"] for m in console.SENT] == [cast.staff_a.phone]


def test_categories_endpoint_lists_the_registry(cast, api):
    listed = {c["code"]: c for c in api(cast.enterprise_owner).get("messaging/categories").json()}
    assert listed["verification"]["essential"] and listed["review"]["essential"]
    assert listed["notice"] == {"code": "notice", "label": "通知公告", "essential": False}
    # identity's events are all essential, so its category is too
    assert listed["identity"]["essential"]
