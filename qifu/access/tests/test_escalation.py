"""No privilege escalation through role editing, field rules, mixed roles or security profiles.

The role manager here is staff A: a town-level manager (codes below, data scope "org and below"
in town A) who also holds the built-in district staff role there. Each refusal is 403
``access.escalation``, changes nothing and leaves a ``denied`` entry in the operation log.
"""

from __future__ import annotations

import pytest

from qifu.access.models import Role, RoleAssignment, SecurityProfile
from qifu.access.services import assign_role
from qifu.accounts.models import User
from qifu.core.audit_models import AuditEntry
from qifu.orgs import services as org_services

MANAGER_CODES = [
    "access.role.view",
    "access.role.manage",
    "access.user.view",
    "access.user.manage",
    "orgs.enterprise.view",
]
ID_MASKED = {"orgs.enterprise": {"legal_rep_id_number": "masked"}}


@pytest.fixture
def manager(cast, in_tenant):
    role = Role.objects.create(
        code="town_manager",
        name="镇街管理员",
        permissions=MANAGER_CODES,
        data_scope="org_and_below",
        field_rules=ID_MASKED,
    )
    assign_role(cast.staff_a, cast.town_a, role)
    return cast.staff_a


def _refused(response, *words):
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == "access.escalation"
    for word in words:
        assert word in body["message"], body["message"]
    return body


def _denied(action, object_id=None):
    qs = AuditEntry.objects.filter(action=action, outcome="denied")
    if object_id is not None:
        qs = qs.filter(object_id=str(object_id))
    return list(qs)


# -- (a) a role holding more than the editor --------------------------------------------------------
def test_manager_cannot_narrow_or_hide_fields_of_the_tenant_admin_role(cast, api, manager):
    admin_role = cast.roles["tenant_admin"]
    client = api(manager)
    _refused(client.put(f"access/roles/{admin_role.id}", {"data_scope": "self"}), "租户管理员", "修改")
    hide = {"orgs.enterprise": {"name": "hidden", "credit_code": "hidden"}}
    _refused(client.put(f"access/roles/{admin_role.id}", {"field_rules": hide}))
    admin_role.refresh_from_db()
    assert admin_role.data_scope == "all" and admin_role.field_rules == {}
    # The tenant admin is not locked out.
    rows = api(cast.tenant_admin).get("access/enterprises").json()["items"]
    assert {r["credit_code"] for r in rows} == {cast.enterprise_a.credit_code, cast.enterprise_b.credit_code}
    entries = _denied("access.role.update", admin_role.id)
    assert len(entries) == 2  # one per refused attempt
    assert all(e.actor_id == manager.id and "超出您自己的权限" in e.changes["reason"] for e in entries)


def test_manager_cannot_delete_a_role_holding_codes_they_lack(cast, api, manager):
    strong = Role.objects.create(code="strong", name="强角色", permissions=["audit.log.view"], data_scope="org")
    _refused(api(manager).delete(f"access/roles/{strong.id}"), "查询操作日志")
    assert Role.objects.filter(pk=strong.pk).exists()
    assert _denied("access.role.delete", strong.id)


def test_manager_cannot_edit_a_role_held_outside_their_reach(cast, api, manager):
    """A role within the manager's codes, but held in town B: editing it acts on people they do not manage."""
    role = Role.objects.create(code="b_viewer", name="B 镇查看", permissions=["orgs.enterprise.view"], data_scope="org")
    role.field_rules = ID_MASKED
    role.save()
    assign_role(cast.staff_b, cast.town_b, role)
    _refused(api(manager).put(f"access/roles/{role.id}", {"data_scope": "self"}), "B 镇")
    role.refresh_from_db()
    assert role.data_scope == "org"


def test_manager_cannot_revoke_an_unmasked_role(cast, api, manager):
    """Revoking hands nothing out, but it is acting on a role that shows what the manager may not see."""
    colleague = User.objects.create_user(username="colleague", password=cast.password, name="同事", tenant=cast.tenant)
    org_services.add_member(colleague, cast.town_a, is_default=True)
    open_role = Role.objects.create(
        code="open", name="明文查看", permissions=["orgs.enterprise.view"], data_scope="org"
    )
    assignment = assign_role(colleague, cast.town_a, open_role)
    _refused(api(manager).delete(f"access/assignments/{assignment.id}"), "法定代表人身份证号")
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


# -- (b) unmasking -----------------------------------------------------------------------------------
def test_a_new_role_without_rules_cannot_unmask(cast, api, manager):
    response = api(manager).post(
        "access/roles",
        {"code": "plain", "name": "无规则", "permissions": ["orgs.enterprise.view"], "data_scope": "org"},
    )
    _refused(response, "法定代表人身份证号")
    assert not Role.objects.filter(code="plain").exists()
    assert _denied("access.role.create")


def test_a_role_without_codes_cannot_unmask_authenticated_operations(cast, api, manager):
    response = api(manager).post("access/roles", {"code": "empty", "name": "空角色", "data_scope": "self"})
    _refused(response, "法定代表人身份证号")


def test_assigning_an_unmasked_role_to_oneself_is_refused(cast, api, manager):
    open_role = Role.objects.create(
        code="open", name="明文查看", permissions=["orgs.enterprise.view"], data_scope="org"
    )
    response = api(manager).post(
        f"access/users/{manager.id}/assignments", {"organisation_id": cast.town_a.id, "role_id": open_role.id}
    )
    _refused(response, "法定代表人身份证号")
    assert not RoleAssignment.objects.filter(user=manager, role=open_role).exists()
    [row] = api(manager).get("access/enterprises").json()["items"]
    assert row["legal_rep_id_number"] == "110***********002X"
    assert _denied("access.role.assign", open_role.id)


def test_manager_may_grant_what_they_hold(cast, api, manager):
    client = api(manager)
    created = client.post(
        "access/roles",
        {
            "code": "helper",
            "name": "助理",
            "permissions": ["orgs.enterprise.view"],
            "data_scope": "org",
            "field_rules": {"orgs.enterprise": {"legal_rep_id_number": "hidden"}},
        },
    )
    assert created.status_code == 201, created.content
    assigned = client.post(
        f"access/users/{manager.id}/assignments", {"organisation_id": cast.town_a.id, "role_id": created.json()["id"]}
    )
    assert assigned.status_code == 200, assigned.content


# -- (c) scope per code -----------------------------------------------------------------------------
def test_a_wide_scope_for_one_code_does_not_widen_another(cast, api, in_tenant):
    """Scope 'all' held for role management, only 'org' for enterprises: no 'all' for enterprises."""
    admin_of_roles = Role.objects.create(
        code="role_admin", name="角色管理", permissions=["access.role.view", "access.role.manage"], data_scope="all"
    )
    town_viewer = Role.objects.create(
        code="town_viewer", name="本街道企业", permissions=["orgs.enterprise.view"], data_scope="org"
    )
    RoleAssignment.objects.filter(user=cast.staff_a).delete()
    assign_role(cast.staff_a, cast.town_a, admin_of_roles)
    assign_role(cast.staff_a, cast.town_a, town_viewer)
    client = api(cast.staff_a)
    response = client.post(
        "access/roles",
        {"code": "wide", "name": "全区企业", "permissions": ["orgs.enterprise.view"], "data_scope": "all"},
    )
    _refused(response, "查看企业")
    assert not Role.objects.filter(code="wide").exists()
    narrow = client.post(
        "access/roles",
        {"code": "narrow", "name": "本部门企业", "permissions": ["orgs.enterprise.view"], "data_scope": "org"},
    )
    assert narrow.status_code == 201, narrow.content


# -- (d) security profiles --------------------------------------------------------------------------------
def test_manager_cannot_remove_organisations_outside_their_reach_from_a_profile(cast, api, manager):
    profile = SecurityProfile.objects.create(name="两街镇")
    profile.organisations.set([cast.town_a, cast.town_b])
    response = api(manager).put(
        f"access/profiles/{profile.id}", {"name": "两街镇", "organisation_ids": [cast.town_a.id]}
    )
    _refused(response, "B 镇")
    assert set(profile.organisations.values_list("id", flat=True)) == {cast.town_a.id, cast.town_b.id}


def test_profile_organisations_are_measured_against_the_actual_scope(cast, api, in_tenant):
    """Home organisation town A, but role management only over town B (custom scope): B yes, A no."""
    b_only = SecurityProfile.objects.create(name="仅 B 镇")
    b_only.organisations.set([cast.town_b])
    manager_b = Role.objects.create(
        code="b_manager",
        name="B 镇角色管理",
        permissions=["access.role.view", "access.role.manage"],
        data_scope="custom",
        security_profile=b_only,
    )
    RoleAssignment.objects.filter(user=cast.staff_a).delete()
    assign_role(cast.staff_a, cast.town_a, manager_b)
    client = api(cast.staff_a)
    _refused(client.post("access/profiles", {"name": "A 街道", "organisation_ids": [cast.town_a.id]}), "A 街道")
    allowed = client.post("access/profiles", {"name": "B 镇片区", "organisation_ids": [cast.town_b.id]})
    assert allowed.status_code == 201, allowed.content


def test_a_profile_cannot_name_an_organisation_the_manager_cannot_see(cast, api, manager):
    """Town B lies outside the town-A manager's reach and is not theirs: naming its id answers as an
    id naming nothing — no name in the answer (the guard's refusal would name it), nothing written."""
    client = api(manager)
    profile = SecurityProfile.objects.create(name="A 镇片区")
    profile.organisations.set([cast.town_a])
    entries = AuditEntry.objects.count()
    unseen = client.post("access/profiles", {"name": "探测", "organisation_ids": [cast.town_a.id, cast.town_b.id]})
    nothing = client.post("access/profiles", {"name": "探测", "organisation_ids": [cast.town_a.id, 987654]})
    assert unseen.status_code == 404 and unseen.json() == nothing.json()
    assert unseen.json()["code"] == "access.organisation_missing" and "B 镇" not in unseen.json()["message"]
    changed = client.put(f"access/profiles/{profile.id}", {"name": "A 镇片区", "organisation_ids": [cast.town_b.id]})
    assert changed.status_code == 404 and "B 镇" not in changed.json()["message"]
    assert not SecurityProfile.objects.filter(name="探测").exists()
    assert list(profile.organisations.values_list("id", flat=True)) == [cast.town_a.id]
    assert AuditEntry.objects.count() == entries
    # Within reach it works, and an organisation already on a profile may stay on it.
    ok = client.post("access/profiles", {"name": "A 镇", "organisation_ids": [cast.town_a.id]})
    assert ok.status_code == 201, ok.content
    both = SecurityProfile.objects.create(name="两镇")
    both.organisations.set([cast.town_a, cast.town_b])
    kept = client.put(
        f"access/profiles/{both.id}", {"name": "两镇（改名）", "organisation_ids": [cast.town_a.id, cast.town_b.id]}
    )
    assert kept.status_code == 200, kept.content


def test_attaching_a_profile_the_user_manager_cannot_see_answers_as_nothing(cast, api, in_tenant):
    """A user manager without access.role.view cannot list profiles: a profile naming an organisation
    they may not see answers exactly as an unknown id (404, no name, nothing written, no log entry),
    so trying ids reveals no organisation's name. A profile they can see but that reaches wider than
    they do is still refused by the guard, which names only what they see."""
    role = Role.objects.create(
        code="user_keeper",
        name="账号管理员",
        permissions=["access.user.view", "access.user.manage"],
        data_scope="org_and_below",
    )
    keeper = User.objects.create_user(
        username="keeper", password=cast.password, name="账号管理员", phone="13900000031", tenant=cast.tenant
    )
    org_services.add_member(keeper, cast.town_a, is_default=True)
    org_services.add_member(keeper, cast.root)  # their own organisation, outside their reach
    assign_role(keeper, cast.town_a, role)
    beyond = SecurityProfile.objects.create(name="B 镇片区")
    beyond.organisations.set([cast.town_b])
    mixed = SecurityProfile.objects.create(name="两镇")
    mixed.organisations.set([cast.town_a, cast.town_b])
    district = SecurityProfile.objects.create(name="全区")
    district.organisations.set([cast.root])
    mine = SecurityProfile.objects.create(name="A 街道片区")
    mine.organisations.set([cast.town_a])
    client = api(keeper)
    url = f"access/users/{cast.staff_a.id}/profiles"
    entries = AuditEntry.objects.count()
    nothing = client.post(url, {"profile_id": 987654})
    assert nothing.status_code == 404 and nothing.json()["code"] == "access.profile_missing"
    for profile in (beyond, mixed):
        unseen = client.post(url, {"profile_id": profile.id})
        assert unseen.status_code == 404 and unseen.json() == nothing.json()
        assert "B 镇" not in unseen.content.decode()
    assert not cast.staff_a.security_profiles.exists()
    assert AuditEntry.objects.count() == entries
    # Visible (their own organisation) but wider than their reach: the guard refuses, naming it.
    body = _refused(client.post(url, {"profile_id": district.id}), "甲区")
    assert "B 镇" not in body["message"]
    assert _denied("access.profile.attach", cast.staff_a.id)
    # Within reach it is attached.
    attached = client.post(url, {"profile_id": mine.id})
    assert attached.status_code == 200, attached.content
    assert [p["name"] for p in attached.json()["security_profiles"]] == ["A 街道片区"]
