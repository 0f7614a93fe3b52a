"""Data scope: a town's staff reach and see only their town; the log is searched by whole addresses."""

from __future__ import annotations

import pytest

from qifu.core import tenancy
from qifu.messaging.channels import console
from qifu.messaging.models import Send
from qifu.orgs import services as orgs


@pytest.fixture(autouse=True)
def clean_console():
    console.SENT.clear()
    yield
    console.SENT.clear()


@pytest.fixture
def member_b(cast):
    """A member of enterprise B (town B), so town B has someone to reach."""
    from qifu.accounts.models import User

    with tenancy.tenant_scope(cast.tenant):
        user = User.objects.create_user(
            username="ent-b", password=cast.password, name="李四", phone="13900000066", tenant=cast.tenant
        )
        orgs.add_member(user, cast.enterprise_b.organisation, is_default=True)
    return user


def _notice(segment, channels=("inapp",)):
    return {"title": "通知", "channels": list(channels), "segment": segment, "text": "请查收"}


def _post(client, body, capture):
    with capture(execute=True):
        return client.post("messaging/sends", body)


def test_town_staff_cannot_pick_another_town_or_its_people(cast, api, member_b, django_capture_on_commit_callbacks):
    client = api(cast.staff_a)
    town_b = _post(client, _notice({"kind": "town", "town_ids": [cast.town_b.pk]}), django_capture_on_commit_callbacks)
    assert town_b.status_code == 422 and town_b.json()["code"] == "messaging.out_of_scope"
    assert "B 镇" in town_b.json()["message"]
    person = _post(client, _notice({"kind": "users", "user_ids": [member_b.pk]}), django_capture_on_commit_callbacks)
    assert person.status_code == 422 and person.json()["code"] == "messaging.out_of_scope"
    with tenancy.tenant_scope(cast.tenant):
        assert not Send.objects.exists()


def test_town_staff_all_enterprises_means_their_town(cast, api, member_b, django_capture_on_commit_callbacks):
    from qifu.messaging.models import Message

    response = _post(api(cast.staff_a), _notice({"kind": "all_enterprises"}), django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.json()
    with tenancy.tenant_scope(cast.tenant):
        assert list(Message.objects.values_list("user_id", flat=True)) == [cast.enterprise_owner.pk]
    # the same choice by the district's administrator reaches both towns
    response = _post(api(cast.tenant_admin), _notice({"kind": "all_enterprises"}), django_capture_on_commit_callbacks)
    with tenancy.tenant_scope(cast.tenant):
        reached = set(Message.objects.filter(send_id=response.json()["id"]).values_list("user_id", flat=True))
    assert reached == {cast.enterprise_owner.pk, member_b.pk}


def test_role_and_phone_list_stay_in_reach(cast, api, member_b, django_capture_on_commit_callbacks):
    from qifu.messaging.models import Delivery

    role = _post(
        api(cast.staff_a),
        _notice({"kind": "role", "role": "enterprise_owner"}),
        django_capture_on_commit_callbacks,
    )
    with tenancy.tenant_scope(cast.tenant):
        assert list(Delivery.objects.filter(send_id=role.json()["id"]).values_list("user_id", flat=True)) == [
            cast.enterprise_owner.pk
        ]
        send = Send.objects.get(pk=role.json()["id"])
        send.segment = {"kind": "phones", "values": [cast.enterprise_owner.phone, member_b.phone, "13612345678"]}
        from qifu.messaging import segments

        # town A's staff reach town A's people; a number of town B or unknown to the platform is dropped
        assert [r.phone for r in segments.resolve(send)] == [cast.enterprise_owner.phone]


SMS_NOTICE = {
    "code": "town_notice",
    "name": "镇街通知",
    "channel": "sms",
    "category": "notice",
    "body": "{x}",
    "variables": ["x"],
    "provider_template_id": "SMS_1",
    "provider_params": {"x": "{x}"},
}


def _by_sms(segment):
    return {
        "title": "t",
        "channels": ["sms"],
        "segment": segment,
        "template_code": "town_notice",
        "variables": {"x": "1"},
    }


def test_logs_are_scoped_by_the_sends_organisation(cast, api, member_b, django_capture_on_commit_callbacks):
    created = api(cast.tenant_admin).post("messaging/templates", SMS_NOTICE)
    assert created.status_code == 201, created.json()
    body = _by_sms({"kind": "all_enterprises"})
    a = _post(api(cast.staff_a), body, django_capture_on_commit_callbacks).json()["id"]
    b = _post(api(cast.staff_b), body, django_capture_on_commit_callbacks).json()["id"]
    for who, mine, theirs in ((cast.staff_a, a, b), (cast.staff_b, b, a)):
        client = api(who)
        assert {s["id"] for s in client.get("messaging/sends").json()["items"]} == {mine}
        assert {d["send_id"] for d in client.get("messaging/deliveries").json()["items"]} == {mine}
        assert {p["send_id"] for p in client.get("messaging/pushes").json()["items"]} == {mine}
        assert client.get(f"messaging/sends/{theirs}").status_code == 404
        assert client.get("messaging/deliveries", {"send_id": theirs}).json()["total"] == 0
        assert client.get("messaging/pushes", {"send_id": theirs}).json()["total"] == 0
    admin = api(cast.tenant_admin)
    assert {d["send_id"] for d in admin.get("messaging/deliveries").json()["items"]} == {a, b}


def test_delivery_search_matches_whole_addresses_only(cast, api, django_capture_on_commit_callbacks):
    client = api(cast.tenant_admin)
    assert client.post("messaging/templates", SMS_NOTICE).status_code == 201
    body = _by_sms({"kind": "users", "user_ids": [cast.staff_a.pk]})
    response = _post(client, body, django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.json()
    phone = cast.staff_a.phone
    assert client.get("messaging/deliveries", {"q": phone[:7]}).json()["total"] == 0
    assert client.get("messaging/deliveries", {"q": phone[-4:]}).json()["total"] == 0
    assert client.get("messaging/deliveries", {"q": phone}).json()["total"] == 1


def _upload_phones(client, rows: str):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test.client import MULTIPART_CONTENT

    response = client.post(
        "messaging/sends/lists",
        {"kind": "phones", "file": SimpleUploadedFile("名单.csv", rows.encode(), content_type="text/csv")},
        content_type=MULTIPART_CONTENT,
    )
    assert response.status_code == 201, response.content
    return response.json()["upload_id"]


def test_a_recipient_list_is_usable_only_by_whoever_uploaded_it(cast, api, django_capture_on_commit_callbacks):
    """Town B's uploaded numbers are town B's: neither a town-A colleague nor the tenant admin can
    send to them by naming the list's id — the answer is that of an id naming nothing."""
    from qifu.core.audit_models import AuditEntry

    upload_id = _upload_phones(api(cast.staff_b), "手机号\n13700000001\n13700000002\n")
    body = {**_notice({"kind": "phones"}), "upload_id": upload_id}
    with tenancy.tenant_scope(cast.tenant):
        entries = AuditEntry.objects.count()
    for sender in (cast.staff_a, cast.tenant_admin):
        refused = _post(api(sender), body, django_capture_on_commit_callbacks)
        assert refused.status_code == 422 and refused.json()["code"] == "messaging.list_missing"
        missing = _post(api(sender), {**body, "upload_id": upload_id + 1000}, django_capture_on_commit_callbacks)
        assert missing.json() == refused.json()
    with tenancy.tenant_scope(cast.tenant):
        assert not Send.objects.exists() and AuditEntry.objects.count() == entries
    assert console.SENT == []
    own = _post(api(cast.staff_b), body, django_capture_on_commit_callbacks)
    assert own.status_code == 201, own.json()
