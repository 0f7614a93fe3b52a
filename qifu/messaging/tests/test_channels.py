"""The real provider adapters against local servers that answer as the providers document."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from qifu.messaging import channels
from qifu.messaging.channels.aliyun_sms import canonical, sign
from qifu.messaging.channels.base import ChannelError, Outgoing
from qifu.messaging.tests.fakes import FakeAliyunSms, FakeWechat


@pytest.fixture
def aliyun(monkeypatch):
    with FakeAliyunSms() as server:
        monkeypatch.setenv("QIFU_MSG_SMS_BACKEND", "aliyun")
        monkeypatch.setenv("QIFU_MSG_ALIYUN_ACCESS_KEY_ID", server.access_key_id)
        monkeypatch.setenv("QIFU_MSG_ALIYUN_ACCESS_KEY_SECRET", server.secret)
        monkeypatch.setenv("QIFU_MSG_ALIYUN_SIGN_NAME", server.sign_name)
        monkeypatch.setenv("QIFU_MSG_ALIYUN_ENDPOINT", server.url + "/")
        yield server


@pytest.fixture
def wechat(monkeypatch):
    with FakeWechat() as server:
        monkeypatch.setenv("QIFU_MSG_WECHAT_BACKEND", "mp")
        monkeypatch.setenv("QIFU_MSG_WECHAT_APPID", server.appid)
        monkeypatch.setenv("QIFU_MSG_WECHAT_SECRET", server.secret)
        monkeypatch.setenv("QIFU_MSG_WECHAT_API_BASE", server.url)
        yield server


def sms(to="13800138000", template="SMS_1001", reference=""):
    return Outgoing(channel="sms", to=to, text="t", template=template, variables={"code": "1234"}, reference=reference)


def test_aliyun_signature_matches_the_documented_example():
    # The worked example of Alibaba Cloud's RPC signature documentation (signature v1.0).
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert canonical(params).startswith("AccessKeyId=testid&Action=DescribeRegions&Format=XML")
    assert sign(params, "testsecret", "GET") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_aliyun_send_ok(aliyun):
    result = channels.get("sms").send(sms(reference="42"))
    assert result.ok and result.provider == "aliyun" and result.provider_id.endswith("^0")
    sent = aliyun.sent[0]
    assert sent["PhoneNumbers"] == "13800138000" and sent["TemplateCode"] == "SMS_1001"
    assert sent["OutId"] == "42" and sent["SignName"] == "企服平台"


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", True),
        ("isp.SYSTEM_ERROR", True),
        ("isv.MOBILE_NUMBER_ILLEGAL", False),
        ("isv.AMOUNT_NOT_ENOUGH", False),
    ],
)
def test_aliyun_error_codes(aliyun, code, retryable):
    aliyun.errors["13800138000"] = [code]
    result = channels.get("sms").send(sms())
    assert not result.ok and result.code == code and result.retryable is retryable
    assert result.reason


def test_aliyun_wrong_secret_is_signature_mismatch(aliyun, monkeypatch):
    monkeypatch.setenv("QIFU_MSG_ALIYUN_ACCESS_KEY_SECRET", "wrong")
    result = channels.get("sms").send(sms())
    assert not result.ok and result.code == "SignatureDoesNotMatch" and not result.retryable
    assert aliyun.sent == []


def test_aliyun_lookup_by_out_id(aliyun):
    from django.utils import timezone

    channel = channels.get("sms")
    since = timezone.now() - dt.timedelta(minutes=1)  # the claim was taken before the send
    channel.send(sms(reference="7"))
    found = channel.lookup(sms(reference="7"), since)
    assert found is not None and found.ok and found.delivered
    assert channel.lookup(sms(reference="8"), since) is None


def test_aliyun_lookup_asks_for_the_beijing_date(aliyun):
    from datetime import UTC, datetime, timedelta

    from qifu.messaging.tests.fakes import SHANGHAI

    # accepted at 02:00 on 1 May in Beijing, which is still 30 April in UTC
    aliyun.clock = lambda: datetime(2024, 5, 1, 2, 0, tzinfo=SHANGHAI)
    channel = channels.get("sms")
    assert channel.send(sms(reference="31")).ok
    claimed = datetime(2024, 4, 30, 17, 59, 30, tzinfo=UTC)
    found = channel.lookup(sms(reference="31"), claimed, claimed + timedelta(minutes=2))
    assert found is not None and found.ok
    # the provider filters by that date: a window on another Beijing day finds nothing
    assert channel.lookup(sms(reference="31"), claimed.replace(day=29), claimed.replace(day=29, hour=20)) is None


def test_aliyun_network_failure_is_retryable(monkeypatch):
    monkeypatch.setenv("QIFU_MSG_SMS_BACKEND", "aliyun")
    monkeypatch.setenv("QIFU_MSG_ALIYUN_ACCESS_KEY_ID", "a")
    monkeypatch.setenv("QIFU_MSG_ALIYUN_ACCESS_KEY_SECRET", "b")
    monkeypatch.setenv("QIFU_MSG_ALIYUN_SIGN_NAME", "c")
    monkeypatch.setenv("QIFU_MSG_ALIYUN_ENDPOINT", "http://127.0.0.1:9/")
    result = channels.get("sms").send(sms())
    assert not result.ok and result.retryable and result.code == "network"


def test_aliyun_without_credentials_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("QIFU_MSG_SMS_BACKEND", "aliyun")
    monkeypatch.delenv("QIFU_MSG_ALIYUN_ACCESS_KEY_ID", raising=False)
    with pytest.raises(ChannelError, match="QIFU_MSG_ALIYUN_ACCESS_KEY_ID"):
        channels.get("sms")


def wx(to="oUser1", template="TPL-REVIEW", reference="1"):
    return Outgoing(
        channel="wechat", to=to, text="t", template=template, variables={"thing1": "审核通过"}, reference=reference
    )


def test_wechat_template_send_ok_and_token_cached(wechat):
    channel = channels.get("wechat")
    assert channel.send(wx()).ok
    assert channel.send(wx(reference="2")).ok
    assert wechat.token_requests == 1
    assert wechat.sent[0]["data"] == {"thing1": {"value": "审核通过"}}
    assert wechat.sent[0]["client_msg_id"] == "qifu-1"


def test_wechat_refreshes_an_expired_token_once(wechat):
    channel = channels.get("wechat")
    assert channel.send(wx()).ok
    wechat.expire_tokens()
    assert channel.send(wx(reference="2")).ok
    assert wechat.token_requests == 2


@pytest.mark.parametrize(
    ("to", "template", "code", "retryable"),
    [
        ("oUser1", "TPL-NOPE", "40037", False),
        ("bad-openid", "TPL-REVIEW", "40003", False),
    ],
)
def test_wechat_error_codes(wechat, to, template, code, retryable):
    result = channels.get("wechat").send(wx(to=to, template=template))
    assert not result.ok and result.code == code and result.retryable is retryable


def test_wechat_busy_and_unsubscribed(wechat):
    wechat.errors["oUser1"] = [-1, 43004]
    channel = channels.get("wechat")
    busy = channel.send(wx())
    assert not busy.ok and busy.retryable and busy.code == "-1"
    gone = channel.send(wx())
    assert not gone.ok and not gone.retryable and "未关注" in gone.reason


def test_wechat_bad_secret(wechat, monkeypatch):
    monkeypatch.setenv("QIFU_MSG_WECHAT_SECRET", "nope")
    result = channels.get("wechat").send(wx())
    assert not result.ok and result.code == "40125"


def test_wechat_resend_with_same_reference_is_deduplicated(wechat):
    channel = channels.get("wechat")
    channel.send(wx(reference="9"))
    channel.send(wx(reference="9"))
    assert len(wechat.sent) == 1


def test_email_through_django_backend(monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setenv("QIFU_MSG_EMAIL_BACKEND", "django")
    result = channels.get("email").send(
        Outgoing(channel="email", to="a@example.com", text="正文", title="标题", reference="5")
    )
    assert result.ok
    assert mail.outbox[-1].subject == "标题" and mail.outbox[-1].to == ["a@example.com"]
    assert mail.outbox[-1].extra_headers["Message-ID"].startswith("<qifu-5@")


def test_unknown_backend_is_refused(monkeypatch):
    monkeypatch.setenv("QIFU_MSG_SMS_BACKEND", "carrier-pigeon")
    with pytest.raises(ChannelError):
        channels.get("sms")


def test_receipts_upgrade_sent_sms_to_delivered_or_failed(aliyun, cast, in_tenant):
    from qifu.core import jobs
    from qifu.messaging import delivery as engine
    from qifu.messaging import segments
    from qifu.messaging.models import Delivery, Send, Template

    template = Template.objects.create(
        code="t", name="t", channel="sms", body="{x}", variables=["x"], provider_template_id="SMS_1"
    )
    send = Send.objects.create(
        title="t", channels=["sms"], templates={"sms": template.pk}, variables={"x": "1"}, status=Send.Status.RUNNING
    )
    segments.materialise(send, [segments.Recipient(cast.staff_a.pk), segments.Recipient(cast.staff_b.pk)])
    engine.pump(send)
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    aliyun.receipts[cast.staff_b.phone] = (2, "MOBILE_NOT_ON_SERVICE")
    jobs.run_now("messaging.receipts", cast.tenant)
    states = dict(Delivery.objects.values_list("user_id", "state"))
    assert states == {cast.staff_a.pk: "delivered", cast.staff_b.pk: "failed"}
    assert Delivery.objects.get(user=cast.staff_b).provider_code == "MOBILE_NOT_ON_SERVICE"


def test_wechat_text_without_a_template_goes_as_customer_service_message(wechat, monkeypatch):
    monkeypatch.setenv("QIFU_MSG_WECHAT_LINK_BASE", "https://qifu.example.gov.cn/")
    channel = channels.get("wechat")
    message = Outgoing(channel="wechat", to="oUser1", text="您的申请已受理", link="/marketplace/applications/7")
    result = channel.send(message)
    assert result.ok and wechat.sent == []
    assert wechat.custom_sent == [
        {
            "touser": "oUser1",
            "msgtype": "text",
            "text": {"content": "您的申请已受理\nhttps://qifu.example.gov.cn/marketplace/applications/7"},
        }
    ]
    # a template message gets the absolute link too; without a link base a site path is left out
    with_link = wx()
    with_link.link = "/policies/7"
    assert channel.send(with_link).ok
    assert wechat.sent[0]["url"] == "https://qifu.example.gov.cn/policies/7"
    monkeypatch.delenv("QIFU_MSG_WECHAT_LINK_BASE")
    with_link.reference = "2"
    assert channels.get("wechat").send(with_link).ok and "url" not in wechat.sent[1]


def test_wechat_customer_service_errors(wechat):
    wechat.inactive.add("oQuiet")
    channel = channels.get("wechat")
    quiet = channel.send(Outgoing(channel="wechat", to="oQuiet", text="hi"))
    assert not quiet.ok and quiet.code == "45015" and not quiet.retryable and "48 小时" in quiet.reason
    bad = channel.send(Outgoing(channel="wechat", to="nobody", text="hi"))
    assert not bad.ok and bad.code == "40003"
    wechat.expire_tokens()
    assert channel.send(Outgoing(channel="wechat", to="oUser1", text="hi")).ok  # token refreshed once
    assert wechat.token_requests == 2


def test_free_text_send_reaches_wechat_followers(cast, api, wechat, django_capture_on_commit_callbacks):
    from qifu.core import tenancy
    from qifu.messaging.models import Delivery
    from qifu.messaging.services import set_address

    with tenancy.tenant_scope(cast.tenant):
        set_address(cast.staff_a, "wechat", "oStaffA")
        set_address(cast.staff_b, "wechat", "oStaffB")
    wechat.inactive.add("oStaffB")
    with django_capture_on_commit_callbacks(execute=True):
        response = api(cast.tenant_admin).post(
            "messaging/sends",
            {
                "title": "t",
                "channels": ["wechat"],
                "segment": {"kind": "role", "role": "district_staff"},
                "text": "{recipient_name}，明天上午开会",
            },
        )
    assert response.status_code == 201, response.json()
    assert [m["text"]["content"] for m in wechat.custom_sent] == ["A 街道经办，明天上午开会"]
    with tenancy.tenant_scope(cast.tenant):
        states = dict(Delivery.objects.values_list("address", "state"))
        assert states == {"oStaffA": "sent", "oStaffB": "failed"}
        assert "48 小时" in Delivery.objects.get(address="oStaffB").reason


def test_sms_still_needs_a_provider_template(cast, api):
    response = api(cast.tenant_admin).post(
        "messaging/sends",
        {"title": "t", "channels": ["sms"], "segment": {"kind": "all_enterprises"}, "text": "x"},
    )
    assert response.status_code == 422 and response.json()["code"] == "messaging.template_required"


def test_the_tag_segment_is_gone(cast, api):
    response = api(cast.tenant_admin).post(
        "messaging/sends",
        {"title": "t", "channels": ["inapp"], "segment": {"kind": "tag", "tags": ["专精特新"]}, "text": "x"},
    )
    assert response.status_code == 422
