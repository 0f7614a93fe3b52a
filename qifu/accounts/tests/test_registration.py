"""Enterprise quick registration, phones unique per tenant, staff accounts created by admins."""

from __future__ import annotations

import pytest

from qifu.accounts.models import User
from qifu.accounts.tests.conftest import last_code, request_code
from qifu.core import tenancy
from qifu.orgs.models import Enterprise

NEW_PHONE = "13611110001"


def register(c, outbox, phone=NEW_PHONE, **extra):
    request_code(c, phone, "register")
    body = {
        "phone": phone,
        "sms_code": last_code(outbox, phone),
        "company_name": "甲区新创智能科技有限公司",
        "contact_name": "李四",
        **extra,
    }
    return c.post("auth/register", body)


def test_quick_registration_creates_owner_and_uncertified_enterprise(cast, client, outbox, clock):
    c = client()
    response = register(c, outbox)
    assert response.status_code == 200
    me = response.json()
    assert me["organisation"]["name"] == "甲区新创智能科技有限公司"
    assert "identity.certification.apply" in me["permissions"]
    assert c.get("auth/me").status_code == 200  # signed in
    with tenancy.tenant_scope(cast.tenant):
        enterprise = Enterprise.objects.get(name="甲区新创智能科技有限公司")
        assert enterprise.certification == "none" and enterprise.contact_phone == NEW_PHONE
    user = User.objects.get(phone=NEW_PHONE)
    assert user.tenant == cast.tenant and not user.has_usable_password()


def test_registration_with_a_password_checks_the_policy(cast, client, outbox, clock):
    weak = register(client(), outbox, password="13611110001Aa#")
    assert weak.status_code == 422  # contains the phone
    assert not User.objects.filter(phone=NEW_PHONE).exists()
    clock.advance(seconds=61)
    ok = register(client(), outbox, password="Strong#Passw0rd")
    assert ok.status_code == 200
    assert (
        client(ip="10.0.0.2").post("auth/login", {"username": NEW_PHONE, "password": "Strong#Passw0rd"}).status_code
        == 200
    )


def test_wrong_code_registers_nothing(cast, client, outbox, clock):
    c = client()
    request_code(c, NEW_PHONE, "register")
    code = last_code(outbox, NEW_PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = c.post(
        "auth/register",
        {"phone": NEW_PHONE, "sms_code": wrong, "company_name": "某某科技有限公司", "contact_name": "李四"},
    )
    assert response.status_code == 400
    assert not User.objects.filter(phone=NEW_PHONE).exists()


def test_duplicate_phone_is_told_to_log_in_or_reset(cast, client, outbox, clock):
    response = register(client(), outbox, phone="13900000006")
    assert response.status_code == 409
    assert "直接登录" in response.json()["message"] and "找回密码" in response.json()["message"]
    with tenancy.tenant_scope(cast.tenant):
        assert not Enterprise.objects.filter(name="甲区新创智能科技有限公司").exists()


def test_the_same_phone_may_register_in_another_tenant(cast, client, outbox, clock):
    # The outsider's phone belongs to tenant beta; tenant alpha accepts it.
    assert register(client(), outbox, phone="13900009999").status_code == 200
    assert User.objects.filter(phone="13900009999").count() == 2


def test_admin_creates_staff_who_must_change_password(cast, api, client, clock):
    admin = api(cast.tenant_admin)
    created = admin.post(
        "auth/staff",
        {"name": "王五", "phone": "13622220001", "organisation_id": cast.town_a.id, "role": "district_staff"},
    )
    assert created.status_code == 200
    body = created.json()
    initial = body["initial_password"]
    c = client()
    me = c.post("auth/login", {"username": "13622220001", "password": initial}).json()
    assert me["must_change_password"] is True and me["roles"] == ["district_staff"]
    assert c.get("access/enterprises").status_code == 403
    assert c.post("auth/password", {"old_password": initial, "new_password": "Wang#Wu-Passw0rd"}).status_code == 200
    assert c.get("access/enterprises").status_code == 200


def test_staff_creation_limits(cast, api, clock):
    admin = api(cast.tenant_admin)
    bad_role = admin.post(
        "auth/staff",
        {"name": "王五", "phone": "13622220002", "organisation_id": cast.town_a.id, "role": "enterprise_owner"},
    )
    assert bad_role.status_code == 422
    into_enterprise = admin.post(
        "auth/staff",
        {
            "name": "王五",
            "phone": "13622220002",
            "organisation_id": cast.enterprise_a.organisation_id,
            "role": "district_staff",
        },
    )
    assert into_enterprise.status_code == 422
    other_tenant_org = admin.post(
        "auth/staff",
        {
            "name": "王五",
            "phone": "13622220002",
            "organisation_id": cast.other_enterprise.organisation_id,
            "role": "district_staff",
        },
    )
    assert other_tenant_org.status_code == 422
    assert (
        api(cast.staff_a)
        .post("auth/staff", {"name": "王五", "phone": "13622220002", "organisation_id": cast.town_a.id})
        .status_code
        == 403
    )
    assert not User.objects.filter(phone="13622220002").exists()


def test_switching_between_organisations(cast, api, in_tenant, clock):
    from qifu.orgs.services import add_member

    add_member(cast.enterprise_owner, cast.institution.organisation)
    c = api(cast.enterprise_owner)
    me = c.get("auth/me").json()
    assert {o["id"] for o in me["organisations"]} == {
        cast.enterprise_a.organisation_id,
        cast.institution.organisation_id,
    }
    switched = c.post("auth/organisation", {"organisation_id": cast.institution.organisation_id}).json()
    assert switched["organisation"]["id"] == cast.institution.organisation_id
    assert c.post("auth/organisation", {"organisation_id": cast.other_enterprise.organisation_id}).status_code == 404


def test_audit_entries_name_the_current_organisation(cast, client, clock):
    from qifu.core.audit_models import AuditEntry
    from qifu.orgs.services import add_member

    with tenancy.tenant_scope(cast.tenant):
        add_member(cast.enterprise_owner, cast.institution.organisation)
    c = client()
    c.post("auth/login", {"username": "ent-owner", "password": cast.password})
    assert (
        AuditEntry.objects.filter(action="identity.login").latest("id").organisation_id
        == cast.enterprise_a.organisation_id
    )
    c.post("auth/organisation", {"organisation_id": cast.institution.organisation_id})
    c.post("auth/logout")
    assert (
        AuditEntry.objects.filter(action="identity.logout").latest("id").organisation_id
        == cast.institution.organisation_id
    )


def test_a_registration_racing_another_for_the_same_phone_gets_the_duplicate_message(
    cast, client, outbox, clock, monkeypatch
):
    from qifu.accounts import registration

    # The first registration commits between the second's duplicate check and its insert.
    assert register(client(ip="10.0.0.1"), outbox).status_code == 200
    monkeypatch.setattr(registration, "phone_taken", lambda tenant, phone: False)
    clock.advance(seconds=61)
    second = register(client(ip="10.0.0.2"), outbox)
    assert second.status_code == 409 and second.json()["code"] == "identity.phone_registered"
    assert User.objects.filter(phone=NEW_PHONE).count() == 1


# --- who may create which staff where (audit of issue 3) -----------------------------------------------


@pytest.fixture
def staff_officer(cast, in_tenant):
    """A town A personnel officer: district staff's powers plus identity.staff.manage, town A and below."""
    from qifu.access.models import Role
    from qifu.access.services import assign_role
    from qifu.core import permissions as P
    from qifu.orgs.services import add_member

    role = Role.objects.create(
        code="staff_officer",
        name="人事专员",
        permissions=sorted({*cast.roles[P.DISTRICT_STAFF].permissions, "identity.staff.manage"}),
        data_scope=Role.DataScope.ORG_AND_BELOW,
    )
    officer = User.objects.create_user(
        username="officer-a", password=cast.password, name="人事专员", phone="13622229999", tenant=cast.tenant
    )
    add_member(officer, cast.town_a, is_default=True)
    assign_role(officer, cast.town_a, role)
    return officer


def _staff(api_client, org, role, phone="13622220005"):
    return api_client.post("auth/staff", {"name": "王五", "phone": phone, "organisation_id": org.id, "role": role})


def test_a_staff_manager_cannot_create_a_tenant_admin(cast, api, staff_officer, clock):
    response = _staff(api(staff_officer), cast.town_a, "tenant_admin")
    assert response.status_code == 403 and response.json()["code"] == "access.escalation"
    assert not User.objects.filter(phone="13622220005").exists()


def test_a_staff_manager_creates_staff_only_within_their_scope(cast, api, staff_officer, clock):
    officer = api(staff_officer)
    outside = _staff(officer, cast.town_b, "district_staff")
    assert outside.status_code == 422 and outside.json()["code"] == "identity.bad_organisation"
    above = _staff(officer, cast.root, "district_staff")
    assert above.status_code == 422
    assert not User.objects.filter(phone="13622220005").exists()
    inside = _staff(officer, cast.town_a, "district_staff")
    assert inside.status_code == 200 and inside.json()["user"]["roles"] == ["district_staff"]


def test_the_tenant_admin_still_creates_a_tenant_admin(cast, api, clock):
    response = _staff(api(cast.tenant_admin), cast.root, "tenant_admin")
    assert response.status_code == 200 and response.json()["user"]["roles"] == ["tenant_admin"]
