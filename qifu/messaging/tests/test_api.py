"""The message centre and console operations through the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT
from django.utils import timezone

from qifu.core import tenancy
from qifu.core.audit_models import AuditEntry
from qifu.messaging.channels import console
from qifu.messaging.models import Delivery, Message, OptOut, PushAttempt, Send, Template
from qifu.messaging.services import notify
from qifu.messaging.tests.test_notify import TEST_EVENT


@pytest.fixture(autouse=True)
def clean_console():
    console.SENT.clear()
    yield
    console.SENT.clear()


def _messages(cast, user, n=3, category="application"):
    with tenancy.tenant_scope(cast.tenant):
        return [
            Message.objects.create(user=user, title=f"标题{i}", body=f"内容{i}", category=category) for i in range(n)
        ]


# --- message centre -------------------------------------------------------------------------------


def test_inbox_lists_only_my_messages_with_filters(cast, api):
    mine = _messages(cast, cast.enterprise_owner, 3)
    _messages(cast, cast.staff_a, 2)
    _messages(cast, cast.enterprise_owner, 1, category="policy")
    client = api(cast.enterprise_owner)
    body = client.get("messaging/inbox").json()
    assert body["total"] == 4
    assert client.get("messaging/inbox", {"category": "policy"}).json()["total"] == 1
    assert client.get("messaging/inbox", {"q": "内容1"}).json()["total"] == 1
    assert client.get("messaging/inbox/unread").json() == {"unread": 4, "by_category": {"application": 3, "policy": 1}}
    assert client.post(f"messaging/inbox/{mine[0].pk}/read").json()["is_read"] is True
    assert client.get("messaging/inbox", {"is_read": "false"}).json()["total"] == 3
    assert client.get("messaging/inbox/unread").json()["unread"] == 3


def test_read_all_by_category_and_delete(cast, api):
    mine = _messages(cast, cast.enterprise_owner, 2)
    _messages(cast, cast.enterprise_owner, 2, category="policy")
    client = api(cast.enterprise_owner)
    assert client.post("messaging/inbox/read-all", {"category": "policy"}).json() == {"count": 2}
    assert client.get("messaging/inbox/unread").json()["unread"] == 2
    assert client.post("messaging/inbox/read-all", {}).json() == {"count": 2}
    assert client.delete(f"messaging/inbox/{mine[0].pk}").status_code == 204
    assert client.get("messaging/inbox").json()["total"] == 3
    with tenancy.tenant_scope(cast.tenant):
        assert AuditEntry.objects.filter(action="messaging.message.delete").count() == 1


def test_someone_elses_message_is_404_and_unchanged(cast, api):
    other = _messages(cast, cast.staff_a, 1)[0]
    client = api(cast.enterprise_owner)
    assert client.get(f"messaging/inbox/{other.pk}").status_code == 404
    assert client.post(f"messaging/inbox/{other.pk}/read").status_code == 404
    assert client.delete(f"messaging/inbox/{other.pk}").status_code == 404
    with tenancy.tenant_scope(cast.tenant):
        other.refresh_from_db()
    assert other.is_read is False


def test_preferences_opt_out_and_essential_refused(cast, api):
    client = api(cast.enterprise_owner)
    prefs = {p["category"]: p for p in client.get("messaging/preferences").json()}
    assert prefs["verification"]["essential"] is True
    assert prefs["policy"]["channels"]["sms"] is False
    response = client.put(
        "messaging/preferences", {"changes": [{"category": "policy", "channel": "sms", "opted_out": True}]}
    )
    assert response.status_code == 200
    assert {p["category"]: p for p in response.json()}["policy"]["channels"]["sms"] is True
    refused = client.put(
        "messaging/preferences", {"changes": [{"category": "review", "channel": "sms", "opted_out": True}]}
    )
    assert refused.status_code == 422 and refused.json()["code"] == "messaging.essential_category"
    with tenancy.tenant_scope(cast.tenant):
        assert list(OptOut.objects.values_list("category", "channel")) == [("policy", "sms")]


def test_inbox_requires_login(api):
    assert api(None).get("messaging/inbox").status_code == 401


# --- templates ------------------------------------------------------------------------------------

SMS_TEMPLATE = {
    "code": "loan_result",
    "name": "贷款审批结果",
    "channel": "sms",
    "category": "review",
    "body": "您申请的{product}已{result}。",
    "variables": ["product", "result"],
    "provider_template_id": "SMS_900001",
    "provider_params": {"product": "{product}", "result": "{result}"},
}


def test_template_create_version_and_history(cast, api):
    client = api(cast.tenant_admin)
    created = client.post("messaging/templates", SMS_TEMPLATE)
    assert created.status_code == 201, created.json()
    template_id = created.json()["id"]
    again = client.post("messaging/templates", SMS_TEMPLATE)
    assert again.status_code == 409
    v2 = client.post(f"messaging/templates/{template_id}/versions", {"body": "您的{product}申请{result}，详询窗口。"})
    assert v2.status_code == 201 and v2.json()["version"] == 2
    versions = client.get(f"messaging/templates/{template_id}/versions").json()
    assert [v["version"] for v in versions] == [2, 1]
    listed = client.get("messaging/templates").json()
    assert [(t["code"], t["version"]) for t in listed["items"]] == [("loan_result", 2)]
    assert client.get("messaging/templates", {"include_history": True}).json()["total"] == 2


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"body": "您好{name}"}, "messaging.undeclared_variable"),
        ({"provider_template_id": ""}, "messaging.provider_template_required"),
        ({"body": "{product.__class__}"}, "messaging.bad_placeholder"),
        ({"variables": ["1bad"]}, "messaging.bad_variable"),
    ],
)
def test_template_validation(cast, api, change, code):
    response = api(cast.tenant_admin).post("messaging/templates", {**SMS_TEMPLATE, **change})
    assert response.status_code == 422 and response.json()["code"] == code
    with tenancy.tenant_scope(cast.tenant):
        assert not Template.objects.exists()


def test_staff_can_view_but_not_manage_templates(cast, api):
    assert api(cast.staff_a).get("messaging/templates").status_code == 200
    assert api(cast.staff_a).post("messaging/templates", SMS_TEMPLATE).status_code == 403


# --- rules ----------------------------------------------------------------------------------------


def test_rules_route_events(cast, api, django_capture_on_commit_callbacks):
    client = api(cast.tenant_admin)
    events = {e["code"]: e for e in client.get("messaging/events").json()}
    assert events["messaging.verification.code"]["essential"] is True
    client.post(
        "messaging/templates",
        {
            **SMS_TEMPLATE,
            "code": "accepted",
            "variables": ["product"],
            "body": "{product}已受理",
            "provider_params": {"p": "{product}"},
        },
    )
    bad = client.put("messaging/rules", {"event": TEST_EVENT, "channels": ["sms"], "templates": {}})
    assert bad.status_code == 422 and bad.json()["code"] == "messaging.template_required"
    saved = client.put("messaging/rules", {"event": TEST_EVENT, "channels": ["sms"], "templates": {"sms": "accepted"}})
    assert saved.status_code == 200, saved.json()
    assert saved.json()["rule_channels"] == ["sms"]
    essential = client.put("messaging/rules", {"event": "messaging.verification.code", "is_enabled": False})
    assert essential.status_code == 422
    with tenancy.tenant_scope(cast.tenant), django_capture_on_commit_callbacks(execute=True):
        notify(TEST_EVENT, [cast.staff_a], {"product": "贴息贷款", "enterprise": "甲"})
    assert console.SENT[-1]["template"] == "SMS_900001"
    assert console.SENT[-1]["variables"] == {"p": "贴息贷款"}
    assert console.SENT[-1]["text"] == "贴息贷款已受理"


# --- sends ----------------------------------------------------------------------------------------


def test_immediate_send_to_a_town(cast, api, django_capture_on_commit_callbacks):
    client = api(cast.tenant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "messaging/sends",
            {
                "title": "A 街道通知",
                "channels": ["inapp", "email"],
                "segment": {"kind": "town", "town_ids": [cast.town_a.pk]},
                "text": "{recipient_name}您好，请于周五前提交年报。",
            },
        )
    assert response.status_code == 201, response.json()
    send_id = response.json()["id"]
    detail = client.get(f"messaging/sends/{send_id}").json()
    assert detail["status"] == "completed"
    # enterprise_a's only member is its owner; the cast has no e-mail addresses
    assert detail["counts"] == {"delivered": 1, "skipped": 1}
    with tenancy.tenant_scope(cast.tenant):
        message = Message.objects.get(send_id=send_id)
    assert message.user_id == cast.enterprise_owner.pk
    assert message.body == "张三您好，请于周五前提交年报。"
    log = client.get("messaging/deliveries", {"send_id": send_id}).json()
    assert {d["state"] for d in log["items"]} == {"delivered", "skipped"}


def test_send_refuses_missing_and_extra_variables(cast, api):
    client = api(cast.tenant_admin)
    client.post("messaging/templates", SMS_TEMPLATE)
    base = {"title": "t", "channels": ["sms"], "segment": {"kind": "users", "user_ids": [cast.staff_a.pk]}}
    missing = client.post("messaging/sends", {**base, "template_code": "loan_result", "variables": {"product": "a"}})
    assert missing.status_code == 422 and missing.json()["detail"]["missing"] == ["result"]
    extra = client.post(
        "messaging/sends",
        {**base, "template_code": "loan_result", "variables": {"product": "a", "result": "b", "x": "c"}},
    )
    assert extra.status_code == 422 and extra.json()["detail"]["extra"] == ["x"]
    free_sms = client.post("messaging/sends", {**base, "text": "hello"})
    assert free_sms.status_code == 422 and free_sms.json()["code"] == "messaging.template_required"
    with tenancy.tenant_scope(cast.tenant):
        assert not Send.objects.exists()


def test_scheduled_send_can_be_cancelled_until_it_starts(cast, api, django_capture_on_commit_callbacks):
    client = api(cast.tenant_admin)
    at = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "messaging/sends",
            {
                "title": "定时",
                "channels": ["inapp"],
                "segment": {"kind": "all_enterprises"},
                "text": "明天停电",
                "scheduled_at": at,
            },
        )
    assert created.status_code == 201
    send_id = created.json()["id"]
    assert created.json()["status"] == "scheduled"
    assert client.get("messaging/sends").json()["total"] == 1
    # the district's send (sent from the root organisation) is not a town staff member's to see
    assert api(cast.staff_a).get("messaging/sends").json()["total"] == 0
    cancelled = client.post(f"messaging/sends/{send_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = client.post(f"messaging/sends/{send_id}/cancel")
    assert again.status_code == 422 or again.status_code == 409
    # the scheduled task firing later finds a cancelled send and does nothing
    from qifu.core import jobs

    jobs.run_now("messaging.run_send", cast.tenant, send_id=send_id)
    with tenancy.tenant_scope(cast.tenant):
        assert not Delivery.objects.filter(send_id=send_id).exists()


def test_completed_send_cannot_be_cancelled(cast, api, django_capture_on_commit_callbacks):
    client = api(cast.tenant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        send_id = client.post(
            "messaging/sends",
            {"title": "t", "channels": ["inapp"], "segment": {"kind": "role", "role": "district_staff"}, "text": "x"},
        ).json()["id"]
    response = client.post(f"messaging/sends/{send_id}/cancel")
    assert response.status_code in (409, 422)
    assert response.json()["code"] == "messaging.cannot_cancel"
    with tenancy.tenant_scope(cast.tenant):
        assert set(Message.objects.values_list("user_id", flat=True)) == {cast.staff_a.pk, cast.staff_b.pk}


def test_schedule_in_the_past_is_refused(cast, api):
    response = api(cast.tenant_admin).post(
        "messaging/sends",
        {
            "title": "t",
            "channels": ["inapp"],
            "segment": {"kind": "all_enterprises"},
            "text": "x",
            "scheduled_at": "2020-01-01T08:00:00+08:00",
        },
    )
    assert response.status_code == 422 and response.json()["code"] == "messaging.schedule_past"


def test_bulk_send_to_an_uploaded_phone_list(cast, api, django_capture_on_commit_callbacks):
    client = api(cast.tenant_admin)
    client.post("messaging/templates", SMS_TEMPLATE)
    inapp = {
        **SMS_TEMPLATE,
        "channel": "inapp",
        "title": "{product}",
        "provider_template_id": "",
        "provider_params": {},
    }
    assert client.post("messaging/templates", inapp).status_code == 201
    rows = "手机号\n13700000001\n13700000002\n13700000001\nnot-a-phone\n" + cast.staff_a.phone + "\n"
    upload = client.post(
        "messaging/sends/lists",
        {"kind": "phones", "file": SimpleUploadedFile("名单.csv", rows.encode(), content_type="text/csv")},
        content_type=MULTIPART_CONTENT,
    )
    assert upload.status_code == 201, upload.content
    assert upload.json()["valid"] == 3 and upload.json()["invalid_samples"] == ["not-a-phone"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "messaging/sends",
            {
                "title": "名单群发",
                "channels": ["sms", "inapp"],
                "segment": {"kind": "phones"},
                "upload_id": upload.json()["upload_id"],
                "template_code": "loan_result",
                "variables": {"product": "创业贷", "result": "开放申请"},
            },
        )
    assert response.status_code == 201, response.json()
    detail = client.get(f"messaging/sends/{response.json()['id']}").json()
    # three SMS; the in-site message only for the number that belongs to a user
    assert detail["counts"] == {"delivered": 4}
    assert sorted(m["to"] for m in console.SENT) == sorted(["13700000001", "13700000002", cast.staff_a.phone])
    pushes = client.get("messaging/pushes", {"send_id": response.json()["id"]}).json()
    assert pushes["total"] == 3 and all(p["ok"] for p in pushes["items"])
    masked = client.get("messaging/deliveries", {"channel": "sms"}).json()["items"]
    assert all("****" in d["address"] for d in masked)


def test_upload_list_refuses_other_file_types(cast, api):
    response = api(cast.tenant_admin).post(
        "messaging/sends/lists",
        {
            "kind": "phones",
            "file": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", content_type="image/png"),
        },
        content_type=MULTIPART_CONTENT,
    )
    assert response.status_code == 415


def test_retryable_failures_back_off_then_fail_with_provider_reason(cast, in_tenant, monkeypatch):
    from qifu.messaging import delivery as engine
    from qifu.messaging import segments
    from qifu.messaging.channels.base import Result

    class Flaky:
        name, provider, default_rate = "sms", "flaky", 0

        def send(self, message):
            return Result(ok=False, provider="flaky", code="isp.SYSTEM_ERROR", reason="服务商系统错误", retryable=True)

    monkeypatch.setattr("qifu.messaging.channels.get", lambda name: Flaky())
    send = Send.objects.create(title="t", channels=["sms"], texts={"sms": "x"}, status=Send.Status.RUNNING)
    segments.materialise(send, [segments.Recipient(cast.staff_a.pk)])
    engine.pump(send)
    row = Delivery.objects.get(send=send)
    assert row.state == Delivery.State.QUEUED and row.attempts == 1 and row.next_attempt_at > timezone.now()
    first_gap = row.next_attempt_at - timezone.now()
    for _attempt in range(2, engine.MAX_ATTEMPTS + 1):
        Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        engine.pump(send)
        row.refresh_from_db()
    assert row.state == Delivery.State.FAILED and row.attempts == engine.MAX_ATTEMPTS
    assert row.reason == "服务商系统错误" and row.provider_code == "isp.SYSTEM_ERROR"
    assert PushAttempt.objects.filter(delivery=row).count() == engine.MAX_ATTEMPTS
    assert engine.backoff(3) == 4 * engine.backoff(1) and first_gap <= engine.backoff(1)


def test_two_workers_never_claim_the_same_row(cast, in_tenant):
    from qifu.messaging import delivery as engine
    from qifu.messaging import segments

    send = Send.objects.create(title="t", channels=["inapp"], texts={"inapp": "x"}, status=Send.Status.RUNNING)
    segments.materialise(send, [segments.Recipient(u.pk) for u in [cast.staff_a, cast.staff_b, cast.no_role_user]])
    first = engine.claim(send, 2)
    second = engine.claim(send, 2)
    assert len(first) == 2 and len(second) == 1
    assert not {d.pk for d in first} & {d.pk for d in second}
    assert engine.claim(send, 2) == []


@pytest.mark.parametrize("link", ["javascript:alert(1)", "//evil.example/x", "data:text/html,x"])
def test_send_refuses_unsafe_links(cast, api, link):
    response = api(cast.tenant_admin).post(
        "messaging/sends",
        {"title": "t", "channels": ["inapp"], "segment": {"kind": "all_enterprises"}, "text": "x", "link": link},
    )
    assert response.status_code == 422 and response.json()["code"] == "messaging.bad_link"


def test_template_refuses_format_specs(cast, api):
    response = api(cast.tenant_admin).post(
        "messaging/templates", {**SMS_TEMPLATE, "body": "{product:>999999999}{result}"}
    )
    assert response.status_code == 422 and response.json()["code"] == "messaging.bad_placeholder"
    unbalanced = api(cast.tenant_admin).post("messaging/templates", {**SMS_TEMPLATE, "body": "{product"})
    assert unbalanced.status_code == 422
