"""Institution onboarding and sub-accounts: apply, review, the admin's operators and the
limits of what an institution admin may grant or touch."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT

from qifu.accounts.models import InstitutionApplication, User
from qifu.accounts.tests.conftest import last_code, request_code, solve_captcha
from qifu.core import tenancy
from qifu.orgs.codes import make_credit_code
from qifu.orgs.models import Institution

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CODE = make_credit_code("3", "1", "320505", "MA9KQ7TL")
PHONE = "13655550001"


WRONG_CODE = object()  # ``sms_code=WRONG_CODE``: a code that is certainly not the one sent


def apply(client, outbox, phone=PHONE, **changes):
    c = client()
    request_code(c, phone, "institution")
    if changes.get("sms_code") is WRONG_CODE:
        changes["sms_code"] = f"{(int(last_code(outbox, phone)) + 1) % 10**6:06d}"
    data = {
        "name": "甲区知识产权代理有限公司",
        "kind": "ip",
        "credit_code": CODE,
        "contact_name": "赵六",
        "phone": phone,
        "sms_code": last_code(outbox, phone),
        "introduction": "专利、商标代理",
        "licence": SimpleUploadedFile("licence.png", PNG, content_type="image/png"),
    }
    data.update(changes)
    return c.post("auth/institution-applications", data, content_type=MULTIPART_CONTENT)


def test_apply_and_approve_creates_institution_and_admin(cast, client, api, outbox, clock):
    applied = apply(client, outbox)
    assert applied.status_code == 200 and applied.json()["status"] == "pending"
    staff = api(cast.staff_a)
    queue = staff.get("auth/institution-applications", {"status": "pending"}).json()
    assert queue["total"] == 1 and queue["items"][0]["kind_label"] == "知识产权"
    app_id = queue["items"][0]["id"]
    approved = staff.post(f"auth/institution-applications/{app_id}/approve", {})
    assert approved.status_code == 200 and approved.json()["institution_id"]
    with tenancy.tenant_scope(cast.tenant):
        institution = Institution.objects.get(credit_code=CODE)
        assert institution.status == "approved"
    admin = User.objects.get(phone=PHONE)
    from qifu.messaging.models import Message

    with tenancy.tenant_scope(cast.tenant):
        assert Message.objects.get(user=admin).event == "identity.institution.approved"
    # The new admin signs in by SMS and holds the admin role in the new institution.
    c = client(ip="10.0.0.5")
    clock.advance(seconds=61)
    request_code(c, PHONE, "login")
    me = c.post("auth/login/sms", {"phone": PHONE, "code": last_code(outbox, PHONE)}).json()
    assert me["id"] == admin.id and me["roles"] == ["institution_admin"]
    assert "identity.subaccount.manage" in me["permissions"]


def test_existing_account_joins_the_new_institution(cast, client, api, outbox, clock):
    # The enterprise owner applies for their law firm with their own phone: one person, two organisations.
    assert apply(client, outbox, phone="13900000006").status_code == 200
    with tenancy.tenant_scope(cast.tenant):
        app = InstitutionApplication.objects.get()
    api(cast.tenant_admin).post(f"auth/institution-applications/{app.id}/approve", {})
    me = api(cast.enterprise_owner).get("auth/me").json()
    assert {o["kind"] for o in me["organisations"]} == {"enterprise", "institution"}
    assert me["organisation"]["kind"] == "enterprise"  # the default stays the enterprise


def test_reject_needs_a_reason(cast, client, api, outbox, clock):
    apply(client, outbox)
    with tenancy.tenant_scope(cast.tenant):
        app = InstitutionApplication.objects.get()
    staff = api(cast.staff_a)
    assert staff.post(f"auth/institution-applications/{app.id}/reject", {"reason": " "}).status_code == 422
    rejected = staff.post(f"auth/institution-applications/{app.id}/reject", {"reason": "执照已过期"})
    assert rejected.json()["status"] == "rejected" and rejected.json()["reason"] == "执照已过期"
    assert staff.post(f"auth/institution-applications/{app.id}/approve", {}).status_code == 422
    assert not User.objects.filter(phone=PHONE).exists()


@pytest.mark.parametrize(
    "changes, status",
    [
        ({"kind": "casino"}, 422),
        ({"credit_code": CODE[:-1] + ("1" if CODE[-1] != "1" else "2")}, 422),
        ({"sms_code": WRONG_CODE}, 400),
        ({"licence": SimpleUploadedFile("x.png", b"GIF89a....", content_type="image/png")}, 415),
    ],
)
def test_bad_applications_change_nothing(cast, client, outbox, clock, changes, status):
    response = apply(client, outbox, **changes)
    assert response.status_code == status
    with tenancy.tenant_scope(cast.tenant):
        assert not InstitutionApplication.objects.exists()


def test_an_onboarded_code_cannot_apply_again(cast, client, api, outbox, clock):
    apply(client, outbox)
    clock.advance(seconds=61)
    assert apply(client, outbox).status_code == 409  # pending already
    with tenancy.tenant_scope(cast.tenant):
        app = InstitutionApplication.objects.get()
    api(cast.staff_a).post(f"auth/institution-applications/{app.id}/approve", {})
    clock.advance(seconds=61)
    assert apply(client, outbox).status_code == 409  # onboarded


def test_review_is_refused_to_others(cast, client, api, outbox, clock):
    apply(client, outbox)
    with tenancy.tenant_scope(cast.tenant):
        app = InstitutionApplication.objects.get()
    assert api(cast.enterprise_owner).get("auth/institution-applications").status_code == 403
    assert api(cast.institution_admin).post(f"auth/institution-applications/{app.id}/approve", {}).status_code == 403
    assert api(cast.outsider).post(f"auth/institution-applications/{app.id}/approve", {}).status_code == 404
    with tenancy.tenant_scope(cast.tenant):
        assert InstitutionApplication.objects.get().status == "pending"


# --- sub-accounts -----------------------------------------------------------------------------------


def test_admin_creates_an_operator_who_must_change_password(cast, api, client, clock):
    admin = api(cast.institution_admin)
    created = admin.post("auth/subaccounts", {"name": "钱七", "phone": "13677770001", "role": "institution_operator"})
    assert created.status_code == 200
    body = created.json()
    assert body["user"]["roles"] == ["institution_operator"] and body["user"]["phone"] == "136****0001"
    c = client()
    me = c.post("auth/login", {"username": "13677770001", "password": body["initial_password"]}).json()
    assert me["must_change_password"] is True and me["organisation"]["id"] == cast.institution.organisation_id
    listed = admin.get("auth/subaccounts").json()
    assert {u["name"] for u in listed["items"]} == {"律所经办人", "钱七"}  # admins are not listed


@pytest.mark.parametrize("role", ["institution_admin", "tenant_admin", "district_staff", "enterprise_owner", "nope"])
def test_admin_may_grant_only_grantable_roles(cast, api, role, clock):
    response = api(cast.institution_admin).post(
        "auth/subaccounts", {"name": "钱七", "phone": "13677770002", "role": role}
    )
    assert response.status_code == 403
    assert not User.objects.filter(phone="13677770002").exists()


def test_disable_enable_and_reset_an_operator(cast, api, client, clock):
    operator = cast.institution_operator
    session = client()
    session.post("auth/login", {"username": "inst-operator", "password": cast.password})
    admin = api(cast.institution_admin)
    assert admin.post(f"auth/subaccounts/{operator.id}/disable").json()["is_active"] is False
    assert session.get("auth/me").status_code == 401  # signed out at once
    assert (
        client(ip="10.0.0.2").post("auth/login", {"username": "inst-operator", "password": cast.password}).status_code
        == 400
    )
    assert admin.post(f"auth/subaccounts/{operator.id}/enable").json()["is_active"] is True
    initial = admin.post(f"auth/subaccounts/{operator.id}/reset-password").json()["initial_password"]
    fresh = client(ip="10.0.0.3")  # the failed attempt above makes the captcha due for this account
    me = fresh.post("auth/login", {"username": "inst-operator", "password": initial, **solve_captcha(fresh)}).json()
    assert me["must_change_password"] is True


def test_admin_cannot_touch_people_outside_the_institution(cast, api, clock):
    admin = api(cast.institution_admin)
    for victim in (cast.staff_a, cast.enterprise_owner, cast.institution_admin, cast.outsider):
        assert admin.post(f"auth/subaccounts/{victim.id}/disable").status_code == 404
        assert admin.post(f"auth/subaccounts/{victim.id}/reset-password").status_code == 404
    for user in (cast.staff_a, cast.enterprise_owner, cast.institution_admin):
        user.refresh_from_db()
        assert user.is_active


def test_operators_cannot_manage_sub_accounts(cast, api, clock):
    operator = api(cast.institution_operator)
    assert operator.get("auth/subaccounts").status_code == 403
    assert operator.post("auth/subaccounts", {"name": "钱七", "phone": "13677770003"}).status_code == 403
    assert operator.post(f"auth/subaccounts/{cast.institution_operator.id}/disable").status_code == 403


def test_another_institutions_admin_cannot_reach_our_operators(cast, api, in_tenant, clock):
    from qifu.access.services import assign_role
    from qifu.core import permissions as P
    from qifu.orgs.services import add_member, create_institution

    other = create_institution(name="甲区另一家律所", kind="legal", parent=cast.root, status="approved")
    rival = User.objects.create_user(
        username="rival-admin", password=cast.password, name="对手", phone="13688880001", tenant=cast.tenant
    )
    add_member(rival, other.organisation, is_default=True)
    assign_role(rival, other.organisation, cast.roles[P.INSTITUTION_ADMIN])
    assert api(rival).post(f"auth/subaccounts/{cast.institution_operator.id}/disable").status_code == 404
    assert api(rival).get("auth/subaccounts").json()["total"] == 0


def test_a_shared_account_is_not_disabled_by_one_institution(cast, api, in_tenant, clock):
    from qifu.orgs.services import add_member

    add_member(cast.institution_operator, cast.enterprise_a.organisation)
    response = api(cast.institution_admin).post(f"auth/subaccounts/{cast.institution_operator.id}/disable")
    assert response.status_code == 422
    cast.institution_operator.refresh_from_db()
    assert cast.institution_operator.is_active


# --- who is a sub-account (audit of issue 3: escalation through membership) ------------------------


def _join_institution(cast, user, role=None):
    from qifu.access.services import assign_role
    from qifu.orgs.services import add_member

    add_member(user, cast.institution.organisation)
    if role is not None:
        assign_role(user, cast.institution.organisation, cast.roles[role])


@pytest.mark.parametrize("who", ["tenant_admin", "enterprise_owner", "staff_a"])
@pytest.mark.parametrize("with_operator_role", [False, True])
def test_members_holding_more_than_the_institution_grants_are_not_sub_accounts(
    cast, api, in_tenant, clock, who, with_operator_role
):
    from qifu.core import permissions as P

    victim = getattr(cast, who)
    _join_institution(cast, victim, P.INSTITUTION_OPERATOR if with_operator_role else None)
    admin = api(cast.institution_admin)
    assert victim.id not in {u["id"] for u in admin.get("auth/subaccounts").json()["items"]}
    for action in ("reset-password", "disable", "enable"):
        assert admin.post(f"auth/subaccounts/{victim.id}/{action}").status_code == 404
    victim.refresh_from_db()
    # Nothing was reset or switched off: the victim's own password still works.
    assert victim.is_active and not victim.must_change_password and victim.check_password(cast.password)


def test_a_plain_member_without_the_operator_role_is_not_a_sub_account(cast, api, in_tenant, clock):
    newcomer = User.objects.create_user(
        username="inst-member", password=cast.password, name="普通成员", phone="13688880002", tenant=cast.tenant
    )
    _join_institution(cast, newcomer)
    admin = api(cast.institution_admin)
    assert admin.post(f"auth/subaccounts/{newcomer.id}/reset-password").status_code == 404
    assert {u["name"] for u in admin.get("auth/subaccounts").json()["items"]} == {"律所经办人"}


def test_the_service_itself_refuses_a_tenant_admin(cast, in_tenant):
    from qifu.accounts import institutions
    from qifu.core import permissions as P
    from qifu.core.errors import NotFound

    _join_institution(cast, cast.tenant_admin, P.INSTITUTION_OPERATOR)
    with pytest.raises(NotFound):
        institutions.reset_operator_password(cast.institution, cast.tenant_admin)
    with pytest.raises(NotFound):
        institutions.set_operator_active(cast.institution, cast.tenant_admin, False)


def test_a_shared_operator_is_listed_but_its_password_is_not_reset(cast, api, in_tenant, clock):
    from qifu.orgs.services import add_member

    add_member(cast.institution_operator, cast.enterprise_a.organisation)  # a member there, no role
    admin = api(cast.institution_admin)
    assert cast.institution_operator.id in {u["id"] for u in admin.get("auth/subaccounts").json()["items"]}
    response = admin.post(f"auth/subaccounts/{cast.institution_operator.id}/reset-password")
    assert response.status_code == 422 and response.json()["code"] == "identity.shared_account"
    cast.institution_operator.refresh_from_db()
    assert cast.institution_operator.check_password(cast.password)


# --- the rejected applicant hears of it and can look it up (audit of issue 3) -------------------------


def test_a_rejected_applicant_with_an_account_is_told_why(cast, client, api, outbox, clock):
    from qifu.messaging.models import Message

    assert apply(client, outbox, phone="13900000006").status_code == 200  # the enterprise owner's phone
    with tenancy.tenant_scope(cast.tenant):
        app = InstitutionApplication.objects.get()
    api(cast.staff_a).post(f"auth/institution-applications/{app.id}/reject", {"reason": "执照已过期"})
    with tenancy.tenant_scope(cast.tenant):
        message = Message.objects.get(user=cast.enterprise_owner)
    assert message.event == "identity.institution.rejected" and "执照已过期" in message.body


def test_an_applicant_looks_up_the_progress_with_their_phone(cast, client, api, outbox, clock):
    apply(client, outbox)
    with tenancy.tenant_scope(cast.tenant):
        app = InstitutionApplication.objects.get()
    api(cast.staff_a).post(f"auth/institution-applications/{app.id}/reject", {"reason": "执照已过期"})
    c = client(ip="10.0.0.7")
    clock.advance(seconds=61)
    wrong = c.post("auth/institution-applications/status", {"phone": PHONE, "sms_code": "000000"})
    assert wrong.status_code == 400
    request_code(c, PHONE, "institution")
    found = c.post("auth/institution-applications/status", {"phone": PHONE, "sms_code": last_code(outbox, PHONE)})
    assert found.status_code == 200
    [row] = found.json()
    assert row["status"] == "rejected" and row["reason"] == "执照已过期" and row["name"] == "甲区知识产权代理有限公司"
    assert "contact_phone" not in row
    # Another phone, with its own valid code, sees nothing of this application.
    clock.advance(seconds=61)
    request_code(c, "13655550009", "institution")
    other = c.post(
        "auth/institution-applications/status", {"phone": "13655550009", "sms_code": last_code(outbox, "13655550009")}
    )
    assert other.status_code == 200 and other.json() == []


def test_a_rejected_applicant_without_an_account_gets_an_sms(
    cast, client, api, outbox, clock, django_capture_on_commit_callbacks
):
    from qifu.messaging.models import Delivery, Message

    assert apply(client, outbox).status_code == 200  # PHONE has no account of the tenant
    with tenancy.tenant_scope(cast.tenant):
        app = InstitutionApplication.objects.get()
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        rejected = api(cast.staff_a).post(f"auth/institution-applications/{app.id}/reject", {"reason": "执照已过期"})
    assert rejected.status_code == 200
    [sms] = [m for m in outbox if m["to"] == PHONE]
    assert "执照已过期" in sms["text"] and "甲区知识产权代理有限公司" in sms["text"]
    with tenancy.tenant_scope(cast.tenant):
        row = Delivery.objects.get(send__event="identity.institution.rejected")
        assert (row.channel, row.recipient_key, row.state) == ("sms", f"p:{PHONE}", Delivery.State.DELIVERED)
        assert not Message.objects.filter(event="identity.institution.rejected").exists()
    assert not User.objects.filter(phone=PHONE).exists()  # telling them makes no account


def test_an_approved_applicant_without_an_account_gets_an_sms_at_the_contact_phone(
    cast, client, api, outbox, clock, django_capture_on_commit_callbacks
):
    assert apply(client, outbox).status_code == 200
    with tenancy.tenant_scope(cast.tenant):
        app = InstitutionApplication.objects.get()
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        api(cast.staff_a).post(f"auth/institution-applications/{app.id}/approve", {})
    # the new admin account carries the contact phone: one SMS there, through the account
    assert [m["to"] for m in outbox] == [PHONE] and "已通过入驻审核" in outbox[0]["text"]
