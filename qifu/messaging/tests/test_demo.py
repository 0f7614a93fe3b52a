"""The messaging demo gives every console screen and the message centre content."""

from __future__ import annotations

from qifu.core import tenancy
from qifu.core.models import Tenant
from qifu.core.seeding import DEMO_PASSWORD, seed_all
from qifu.core.testing.client import ApiClient
from qifu.messaging.models import Delivery, Message, Send, Template


def test_demo_fills_templates_sends_and_inboxes(db):
    seed_all(seed=7, scale=0.05)
    seed_all(seed=7, scale=0.05)  # idempotent
    tenant = Tenant.objects.get(code="demo")
    with tenancy.tenant_scope(tenant):
        assert Template.objects.filter(code="policy_notice", is_current=True).count() == 3
        statuses = sorted(Send.objects.values_list("status", flat=True))
        assert statuses.count("completed") >= 1 and "scheduled" in statuses and "cancelled" in statuses
        assert Delivery.objects.filter(channel="sms", state="delivered").exists()
        assert Message.objects.filter(is_read=True).exists() and Message.objects.filter(is_read=False).exists()
    owner = ApiClient(host="127.0.0.1")
    assert owner.post("/api/v1/auth/login", {"username": "ent-owner", "password": DEMO_PASSWORD}).status_code == 200
    assert owner.get("/api/v1/messaging/inbox").json()["total"] >= 1
