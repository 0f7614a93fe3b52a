"""What rules and sends name must be usable: active templates in event rules (and no disabling of a
template a rule routes through), GB/T 4754 industry codes in bulk-send segments."""

from __future__ import annotations

import pytest

from qifu.core import tenancy
from qifu.core.audit_models import AuditEntry
from qifu.messaging import segments
from qifu.messaging.channels import console
from qifu.messaging.models import Delivery, EventRule, Send, Template
from qifu.messaging.services import notify
from qifu.messaging.tests.test_notify import TEST_EVENT

ACCEPTED_SMS = {
    "code": "accepted",
    "name": "受理通知",
    "channel": "sms",
    "category": "application",
    "body": "{product}已受理",
    "variables": ["product"],
    "provider_template_id": "SMS_900002",
    "provider_params": {"p": "{product}"},
}


@pytest.fixture(autouse=True)
def clean_console():
    console.SENT.clear()
    yield
    console.SENT.clear()


def _template(client, **changes) -> dict:
    response = client.post("messaging/templates", {**ACCEPTED_SMS, **changes})
    assert response.status_code == 201, response.json()
    return response.json()


def _counts(cast) -> tuple[int, int, int]:
    with tenancy.tenant_scope(cast.tenant):
        return EventRule.objects.count(), Send.objects.count(), AuditEntry.objects.count()


# --- event rules and templates ---------------------------------------------------------------------


def test_rule_refuses_a_disabled_template(cast, api):
    client = api(cast.tenant_admin)
    template = _template(client)
    assert client.post(f"messaging/templates/{template['id']}/active", {"is_active": False}).status_code == 200
    before = _counts(cast)
    body = {"event": TEST_EVENT, "channels": ["sms"], "templates": {"sms": "accepted"}}
    refused = client.put("messaging/rules", body)
    assert refused.status_code == 422, refused.json()
    assert refused.json()["code"] == "messaging.inactive_template"
    assert "「受理通知」（accepted）已停用" in refused.json()["message"]
    assert refused.json()["detail"] == {"channel": "sms", "template": "accepted"}
    assert _counts(cast) == before
    # enabled again, the same rule saves
    assert client.post(f"messaging/templates/{template['id']}/active", {"is_active": True}).status_code == 200
    assert client.put("messaging/rules", body).status_code == 200


def test_a_template_a_rule_routes_through_cannot_be_disabled(cast, api):
    client = api(cast.tenant_admin)
    template = _template(client)
    other = _template(client, code="accepted_v2", name="受理通知（新）")
    saved = client.put("messaging/rules", {"event": TEST_EVENT, "channels": ["sms"], "templates": {"sms": "accepted"}})
    assert saved.status_code == 200, saved.json()
    # a new version is still the template the rule names (rules name the code, sends use the current version)
    version = client.post(f"messaging/templates/{template['id']}/versions", {"body": "{product}已受理，请留意"})
    assert version.status_code == 201
    before = _counts(cast)
    refused = client.post(f"messaging/templates/{version.json()['id']}/active", {"is_active": False})
    assert refused.status_code == 422, refused.json()
    assert refused.json()["code"] == "messaging.template_in_use"
    assert "「测试申请已受理」" in refused.json()["message"]
    assert refused.json()["detail"] == {"events": [TEST_EVENT]}
    assert _counts(cast) == before
    with tenancy.tenant_scope(cast.tenant):
        assert Template.objects.get(code="accepted", is_current=True).is_active is True
    # a template of the same code on another channel is not the one the rule names
    email = _template(client, channel="email", provider_template_id="")
    assert client.post(f"messaging/templates/{email['id']}/active", {"is_active": False}).status_code == 200
    # once the rule points elsewhere, the old template can be disabled
    moved = client.put(
        "messaging/rules", {"event": TEST_EVENT, "channels": ["sms"], "templates": {"sms": other["code"]}}
    )
    assert moved.status_code == 200
    disabled = client.post(f"messaging/templates/{version.json()['id']}/active", {"is_active": False})
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False


def test_a_rule_saved_before_the_checks_skips_the_channel_with_a_reason(
    cast, in_tenant, django_capture_on_commit_callbacks
):
    """Older data may still route through a disabled template: that channel is skipped in the log,
    not sent with the event's default text."""
    Template.objects.create(
        **{**ACCEPTED_SMS, "is_active": False, "version": 1, "is_current": True},
    )
    EventRule.objects.create(event=TEST_EVENT, channels=["sms"], templates={"sms": "accepted"})
    with django_capture_on_commit_callbacks(execute=True):
        send = notify(TEST_EVENT, [cast.staff_a], {"product": "贴息贷款", "enterprise": "甲"})
    rows = {d.channel: d for d in send.deliveries.all()}
    assert rows["sms"].state == Delivery.State.SKIPPED
    assert "模板 accepted 已停用" in rows["sms"].reason
    assert rows["inapp"].state == Delivery.State.DELIVERED
    assert console.SENT == []
    send.refresh_from_db()
    assert send.status == Send.Status.COMPLETED


# --- industry segments -----------------------------------------------------------------------------


def _bulk(client, codes):
    return client.post(
        "messaging/sends",
        {"title": "行业通知", "channels": ["inapp"], "segment": {"kind": "industry", "codes": codes}, "text": "请关注"},
    )


def test_industry_segment_refuses_codes_outside_the_table(cast, api):
    client = api(cast.tenant_admin)
    before = _counts(cast)
    refused = _bulk(client, ["39", "C39", "zz"])
    assert refused.status_code == 422, refused.json()
    assert refused.json()["code"] == "messaging.unknown_industry"
    assert "“C39”、“ZZ”" in refused.json()["message"] and "GB/T 4754" in refused.json()["message"]
    assert refused.json()["detail"] == {"codes": ["C39", "ZZ"]}
    assert _counts(cast) == before
    # a finer code than the list offers is known when the shared table has it
    with tenancy.tenant_scope(cast.tenant):
        from qifu.orgs.models import Industry

        Industry.objects.create(code="391", name="计算机制造", level=3)
    accepted = _bulk(client, ["c", "391", "C"])
    assert accepted.status_code == 201, accepted.json()
    with tenancy.tenant_scope(cast.tenant):
        assert Send.objects.get(pk=accepted.json()["id"]).segment == {"kind": "industry", "codes": ["C", "391"]}


def test_a_section_reaches_enterprises_filed_under_its_divisions(cast, in_tenant):
    """GB/T 4754 大类 codes are numbers: "C" is no prefix of "34", yet 制造业 covers 通用设备制造业."""
    from qifu.orgs.models import Industry

    manufacturing = Industry.objects.create(code="C", name="制造业", level=1)
    machinery = Industry.objects.create(code="34", name="通用设备制造业", level=2, parent=manufacturing)
    pumps = Industry.objects.create(code="344", name="泵、阀门、压缩机及类似机械制造", level=3, parent=machinery)
    retail = Industry.objects.create(code="52", name="零售业", level=2)
    cast.enterprise_a.industry = pumps
    cast.enterprise_a.save()

    def reached(codes):
        send = Send.objects.create(title="t", channels=["inapp"], segment={"kind": "industry", "codes": codes})
        return [r.user_id for r in segments.resolve(send)]

    assert reached(["C"]) == [cast.enterprise_owner.pk]
    assert reached(["34"]) == [cast.enterprise_owner.pk]
    assert reached([retail.code]) == []
    assert reached(["F"]) == []  # 批发和零售业: 52 is listed under F, but enterprise A is not in it
    assert reached([]) == []
