"""WeChat's delivery reports of template messages (TEMPLATESENDJOBFINISH) through our server URL.

The template messages go out through the real adapter to the fake WeChat API; the fake then
builds the push WeChat makes (signed with the account's token), which the test posts to the
endpoint as an anonymous client that enforces CSRF, as WeChat's servers are.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from django.contrib.sessions.models import Session

from qifu.core import jobs, tenancy
from qifu.core.routers import QifuRouter
from qifu.core.testing import sweep
from qifu.core.testing.client import ApiClient
from qifu.messaging import delivery as engine
from qifu.messaging import segments, services, wechat_events
from qifu.messaging.models import Delivery, EarlyReceipt, Send, Template
from qifu.messaging.tests.test_channels import wechat  # noqa: F401  (fixture)

URL = "messaging/wechat/events"


@pytest.fixture
def server(wechat, monkeypatch):  # noqa: F811
    monkeypatch.setenv("QIFU_MSG_WECHAT_TOKEN", wechat.token)
    return wechat


def _client(host: str = "alpha.test") -> ApiClient:
    return ApiClient(None, host=host, enforce_csrf_checks=True)


def push(query: dict, body: bytes, host: str = "alpha.test"):
    return _client(host).post(f"{URL}?{urlencode(query)}", body, content_type="text/xml")


def _running_wechat_send(user, openid: str) -> Send:
    """A running send of the ``review`` WeChat template to ``user`` (in the current tenant scope),
    its delivery row materialised and not yet claimed."""
    services.set_address(user, "wechat", openid)
    template = Template.objects.filter(code="review", channel="wechat").first() or Template.objects.create(
        code="review",
        name="审核结果",
        channel="wechat",
        body="{result}",
        variables=["result"],
        provider_template_id="TPL-REVIEW",
        provider_params={"thing1": "{result}"},
    )
    send = Send.objects.create(
        title="审核结果",
        channels=["wechat"],
        templates={"wechat": template.pk},
        variables={"result": "通过"},
        status=Send.Status.RUNNING,
    )
    segments.materialise(send, [segments.Recipient(user.pk)])
    return send


def _wechat_send(tenant, user, openid: str) -> Delivery:
    """A template message to ``user`` sent through the adapter: the row is 'sent' with WeChat's msgid."""
    with tenancy.tenant_scope(tenant):
        send = _running_wechat_send(user, openid)
        engine.pump(send)
        row = Delivery.objects.get(send=send)
    assert row.state == Delivery.State.SENT and row.provider == "wechat_mp" and row.provider_id
    return row


def _state(row: Delivery) -> Delivery:
    with tenancy.all_tenants():  # reading back rows of either tenant in the assertions
        return Delivery.objects.get(pk=row.pk)


def test_handshake_echoes_only_a_signed_call(server, cast):
    answer = _client().get(URL, {**server.signed(), "echostr": "4736200523"})
    assert answer.status_code == 200 and answer.content == b"4736200523"
    assert answer["Content-Type"].startswith("text/plain")
    for query in (
        server.signed(token="not-our-token"),
        {**server.signed(), "signature": "0" * 40},
        server.signed(timestamp=int(time.time()) - 3600),  # a leaked signature of an hour ago
        {"echostr": "x"},
    ):
        refused = _client().get(URL, {**query, "echostr": "4736200523"})
        assert refused.status_code == 403, query
        assert b"4736200523" not in refused.content


def test_without_a_configured_token_every_push_is_refused(wechat, cast, monkeypatch):  # noqa: F811
    monkeypatch.delenv("QIFU_MSG_WECHAT_TOKEN", raising=False)
    answer = _client().get(URL, {**wechat.signed(), "echostr": "1"})
    assert answer.status_code == 403 and answer.json()["code"] == "messaging.wechat_not_configured"


def test_a_delivered_report_settles_the_row_and_answers_success(server, cast):
    row = _wechat_send(cast.tenant, cast.staff_a, "oStaffA")
    answer = push(*server.job_finished(int(row.provider_id)))
    assert answer.status_code == 200 and answer.content == b"success"
    settled = _state(row)
    assert settled.state == Delivery.State.DELIVERED
    assert settled.provider_code == "success" and settled.delivered_at is not None


def test_failed_reports_carry_wechats_reason_and_restate_the_finished_send(server, cast):
    with tenancy.tenant_scope(cast.tenant):
        services.set_address(cast.staff_a, "wechat", "oStaffA")
        services.set_address(cast.staff_b, "wechat", "oStaffB")
        Template.objects.create(
            code="review",
            name="审核结果",
            channel="wechat",
            body="{result}",
            variables=["result"],
            provider_template_id="TPL-REVIEW",
            provider_params={"thing1": "{result}"},
        )
        from qifu.messaging.sending import create_send

        send = create_send(
            title="审核结果",
            channels=["wechat"],
            template_code="review",
            variables={"result": "通过"},
            segment={"kind": "users", "user_ids": [cast.staff_a.pk, cast.staff_b.pk]},
        )
        jobs.run_now("messaging.run_send", cast.tenant, send_id=send.pk)
        send.refresh_from_db()
        assert send.status == Send.Status.COMPLETED  # both accepted by WeChat
        rows = {d.address: d for d in Delivery.objects.filter(send=send)}
    blocked = push(*server.job_finished(int(rows["oStaffA"].provider_id), "failed:user block"))
    broken = push(*server.job_finished(int(rows["oStaffB"].provider_id), "failed: system failed"))
    assert blocked.content == broken.content == b"success"
    a, b = _state(rows["oStaffA"]), _state(rows["oStaffB"])
    assert (a.state, a.provider_code, a.reason) == ("failed", "failed:user block", "用户设置了拒收公众号消息")
    assert (b.state, b.provider_code, b.reason) == ("failed", "failed: system failed", "微信系统原因未能送达")
    with tenancy.tenant_scope(cast.tenant):
        send.refresh_from_db()
    assert send.status == Send.Status.FAILED and "全部 2 条投递失败" in send.error


def test_a_repeated_report_changes_nothing(server, cast):
    row = _wechat_send(cast.tenant, cast.staff_a, "oStaffA")
    query, body = server.job_finished(int(row.provider_id))
    assert push(query, body).content == b"success"
    first = _state(row)
    # WeChat retries with the same query and body; a later push repeats it with a new signature
    assert push(query, body).content == b"success"
    assert push(*server.job_finished(int(row.provider_id))).content == b"success"
    # a contradicting report after the final answer does not reopen the row
    assert push(*server.job_finished(int(row.provider_id), "failed: system failed")).content == b"success"
    again = _state(row)
    assert (again.state, again.delivered_at, again.updated_at) == (first.state, first.delivered_at, first.updated_at)


def test_an_unknown_msgid_is_acknowledged_and_changes_nothing(server, cast):
    row = _wechat_send(cast.tenant, cast.staff_a, "oStaffA")
    answer = push(*server.job_finished(987654321, openid="oStaffA"))
    assert answer.status_code == 200 and answer.content == b"success"
    # the right msgid for another openid is not this row's report either
    assert push(*server.job_finished(int(row.provider_id), openid="oSomeoneElse")).content == b"success"
    assert _state(row).state == Delivery.State.SENT
    with tenancy.all_tenants():
        assert not EarlyReceipt.objects.exists()


def test_one_tenants_server_url_never_settles_another_tenants_rows(server, cast):
    theirs = _wechat_send(cast.other_tenant, cast.outsider, "oOutsider")
    report = server.job_finished(int(theirs.provider_id))
    # pushed to alpha's address (alpha.test): alpha has no such row, beta's is not looked at
    assert push(*report, host="alpha.test").content == b"success"
    assert _state(theirs).state == Delivery.State.SENT
    # the control: the same report at beta's own address settles it
    assert push(*server.job_finished(int(theirs.provider_id)), host="beta.test").content == b"success"
    assert _state(theirs).state == Delivery.State.DELIVERED


def test_refusals_write_nothing(server, cast):
    row = _wechat_send(cast.tenant, cast.staff_a, "oStaffA")
    query, body = server.job_finished(int(row.provider_id))
    # the first request of an anonymous client writes nothing either, but keep the snapshot strict
    before = sweep.database_snapshot({Session._meta.db_table: None})
    forged = server.job_finished(int(row.provider_id), token="guessed-token")
    assert push(*forged).status_code == 403
    assert push({}, body).status_code == 403
    signature = query["signature"].upper()
    altered = signature[:-1] + ("1" if signature[-1] == "0" else "0")  # one hex digit off, always
    assert push({**query, "signature": altered}, body).status_code == 403
    stale = server.job_finished(int(row.provider_id), timestamp=int(time.time()) - 600)
    assert push(*stale).json()["code"] == "messaging.wechat_stale"
    assert push(server.signed(), b"<xml>" + b"x" * (wechat_events.MAX_BODY + 1) + b"</xml>").status_code == 413
    assert push(query, b'{"junk": true}').status_code == 400 and push(query, b"").status_code == 403
    assert _client().post(URL, {"junk": True}).status_code == 403  # JSON junk without a signature
    after = sweep.database_snapshot({Session._meta.db_table: None})
    assert not sweep.snapshot_changes(before, after)
    assert _state(row).state == Delivery.State.SENT


def test_a_signature_is_bound_to_the_body_it_first_came_with(server, cast):
    mine = _wechat_send(cast.tenant, cast.staff_a, "oStaffA")
    other = _wechat_send(cast.tenant, cast.staff_b, "oStaffB")
    query, body = server.job_finished(int(mine.provider_id), "failed:user block")
    assert push(query, body).content == b"success"
    # someone who saw the query string replays it with a body of their own choosing
    _, forged = server.job_finished(int(other.provider_id), "failed:user block")
    replay = push(query, forged)
    assert replay.status_code == 403 and replay.json()["code"] == "messaging.wechat_replay"
    assert _state(other).state == Delivery.State.SENT


def test_unsafe_xml_and_safe_mode_are_refused(server, cast):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b"<xml><MsgType>&lol2;</MsgType></xml>"
    )
    answer = push(server.signed(), bomb)
    assert answer.status_code == 400 and answer.json()["code"] == "messaging.wechat_bad_xml"
    assert push(server.signed(), b"<xml><unclosed></xml>").status_code == 400
    encrypted = b"<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><Encrypt><![CDATA[abc=]]></Encrypt></xml>"
    answer = push(server.signed(), encrypted)
    assert answer.status_code == 400 and answer.json()["code"] == "messaging.wechat_encrypted"
    # other pushes to the same address (a user's text message) are acknowledged and ignored
    text = (
        b"<xml><ToUserName>gh_7f083739789a</ToUserName><FromUserName>oStaffA</FromUserName>"
        b"<MsgType>text</MsgType><Content>hello</Content></xml>"
    )
    assert push(server.signed(), text).content == b"success"


def test_a_report_that_overtakes_our_record_is_applied_when_the_row_is_recorded(
    server, cast, django_capture_on_commit_callbacks
):
    with tenancy.tenant_scope(cast.tenant):
        send = _running_wechat_send(cast.staff_a, "oStaffA")
        # the worker has claimed the row and WeChat accepted the message; the result is not recorded yet
        [row] = engine.claim(send, 10)
        result, duration = engine.call_channel(engine.channels.get("wechat"), engine.Renderer(send).outgoing(row))
        assert result.ok
    assert push(*server.job_finished(int(result.provider_id), "failed:user block")).content == b"success"
    with tenancy.tenant_scope(cast.tenant):
        assert EarlyReceipt.objects.filter(provider_id=result.provider_id).exists()
        with django_capture_on_commit_callbacks(execute=True):
            engine.record([(row, result, duration)], send)
        assert not EarlyReceipt.objects.exists()
    settled = _state(row)
    assert (settled.state, settled.reason) == ("failed", "用户设置了拒收公众号消息")


def test_only_public_operations_may_skip_the_csrf_check():
    router = QifuRouter(tag="messaging")
    with pytest.raises(ValueError, match="only public operations"):
        router.post("/x", permission="authenticated", csrf=False, summary="测试")
