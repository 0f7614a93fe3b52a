"""Role administration: create, edit, copy, delete when unused, assign — and no privilege escalation."""

from __future__ import annotations

import pytest

from qifu.access.models import Role, RoleAssignment
from qifu.access.services import assign_role, create_role
from qifu.core import tenancy

MANAGER_CODES = [
    "access.role.view",
    "access.role.manage",
    "access.user.view",
    "access.user.manage",
    "orgs.enterprise.view",
]


@pytest.fixture
def manager(cast, in_tenant):
    """A town-level role manager: may manage roles but holds only a few codes, scope org_and_below."""
    role = Role.objects.create(
        code="town_manager", name="镇街管理员", permissions=MANAGER_CODES, data_scope="org_and_below"
    )
    assign_role(cast.staff_a, cast.town_a, role)
    return cast.staff_a


def test_admin_creates_edits_copies_and_deletes_a_role(cast, api):
    client = api(cast.tenant_admin)
    created = client.post(
        "access/roles",
        {
            "code": "reviewer",
            "name": "审核员",
            "permissions": ["orgs.enterprise.view"],
            "data_scope": "org",
            "field_rules": {"orgs.enterprise": {"contact_phone": "masked"}},
        },
    )
    assert created.status_code == 201, created.content
    role_id = created.json()["id"]
    edited = client.put(f"access/roles/{role_id}", {"name": "企业审核员", "data_scope": "org_and_below"})
    assert edited.json()["name"] == "企业审核员" and edited.json()["data_scope"] == "org_and_below"
    copy = client.post(f"access/roles/{role_id}/copy", {"code": "reviewer2", "name": "审核员副本"})
    assert copy.status_code == 201 and copy.json()["field_rules"] == {"orgs.enterprise": {"contact_phone": "masked"}}
    assign = client.post(
        f"access/users/{cast.staff_b.id}/assignments", {"organisation_id": cast.town_b.id, "role_id": role_id}
    )
    assert assign.status_code == 200, assign.content
    in_use = client.delete(f"access/roles/{role_id}")
    assert in_use.status_code == 409 and "收回" in in_use.json()["message"]
    assert client.delete(f"access/roles/{copy.json()['id']}").status_code == 204


def test_builtin_roles_cannot_be_deleted_nor_their_codes_changed(cast, api):
    client = api(cast.tenant_admin)
    staff = cast.roles["district_staff"]
    assert client.delete(f"access/roles/{staff.id}").status_code == 422
    assert client.put(f"access/roles/{staff.id}", {"permissions": ["orgs.enterprise.view"]}).status_code == 422


def test_manager_cannot_grant_a_code_they_do_not_hold(cast, api, manager):
    client = api(manager)
    response = client.post("access/roles", {"code": "sneaky", "name": "越权", "permissions": ["audit.log.view"]})
    assert response.status_code == 403
    assert response.json()["code"] == "access.escalation" and "查询操作日志" in response.json()["message"]
    with tenancy.tenant_scope(cast.tenant):
        assert not Role.objects.filter(code="sneaky").exists()


def test_manager_cannot_escalate_their_own_role(cast, api, manager):
    with tenancy.tenant_scope(cast.tenant):
        own = Role.objects.get(code="town_manager")
    client = api(manager)
    assert (
        client.put(f"access/roles/{own.id}", {"permissions": [*MANAGER_CODES, "access.config.manage"]}).status_code
        == 403
    )
    assert client.put(f"access/roles/{own.id}", {"data_scope": "all"}).status_code == 403
    with tenancy.tenant_scope(cast.tenant):
        own.refresh_from_db()
    assert own.data_scope == "org_and_below" and "access.config.manage" not in own.permissions


def test_manager_cannot_assign_a_stronger_role(cast, api, manager):
    client = api(manager)
    response = client.post(
        f"access/users/{manager.id}/assignments",
        {"organisation_id": cast.town_a.id, "role_id": cast.roles["tenant_admin"].id},
    )
    assert response.status_code == 403
    with tenancy.tenant_scope(cast.tenant):
        assert not RoleAssignment.objects.filter(user=manager, role=cast.roles["tenant_admin"]).exists()


def test_manager_cannot_unmask_a_field_they_see_masked(cast, api, manager):
    with tenancy.tenant_scope(cast.tenant):
        Role.objects.filter(code="town_manager").update(
            field_rules={"orgs.enterprise": {"legal_rep_id_number": "masked"}}
        )
        mine = Role.objects.create(
            code="helper",
            name="助理",
            permissions=["orgs.enterprise.view"],
            data_scope="org",
            field_rules={"orgs.enterprise": {"legal_rep_id_number": "hidden"}},
        )
    response = api(manager).put(f"access/roles/{mine.id}", {"field_rules": {}})
    assert response.status_code == 403 and "法定代表人身份证号" in response.json()["message"]


def test_manager_cannot_assign_outside_their_organisation(cast, api, manager):
    response = api(manager).post(
        f"access/users/{cast.staff_b.id}/assignments",
        {"organisation_id": cast.town_b.id, "role_id": cast.roles["enterprise_member"].id},
    )
    assert response.status_code == 404


def test_unknown_codes_and_bad_rules_are_refused(cast, api):
    client = api(cast.tenant_admin)
    assert client.post("access/roles", {"code": "x1", "name": "x", "permissions": ["no.such.code"]}).status_code == 422
    bad = client.post(
        "access/roles", {"code": "x2", "name": "x", "field_rules": {"orgs.enterprise": {"name": "shout"}}}
    )
    assert bad.status_code == 422
    custom = client.post("access/roles", {"code": "x3", "name": "x", "data_scope": "custom"})
    assert custom.status_code == 422 and "安全配置文件" in custom.json()["message"]


def test_security_profile_attached_to_a_user(cast, api):
    client = api(cast.tenant_admin)
    profile = client.post("access/profiles", {"name": "A 街道", "organisation_ids": [cast.town_a.id]})
    assert profile.status_code == 201
    linked = client.post(f"access/users/{cast.staff_b.id}/profiles", {"profile_id": profile.json()["id"]})
    assert linked.status_code == 200 and linked.json()["security_profiles"][0]["name"] == "A 街道"
    assert client.delete(f"access/profiles/{profile.json()['id']}").status_code == 409


def test_catalogue_lists_pages_buttons_scopes_and_fields(cast, api):
    body = api(cast.tenant_admin).get("access/catalogue").json()
    pages = [p for g in body["menu"] for p in g["children"] if p["type"] == "page"]
    enterprise = next(p for p in pages if p["permission"] == "orgs.enterprise.view")
    assert "orgs.enterprise.export" in [b["permission"] for b in enterprise["children"]]
    buttons = [b["permission"] for g in body["menu"] for p in g["children"] for b in p.get("children", [])]
    buttons += [p["permission"] for g in body["menu"] for p in g["children"] if p["type"] == "button"]
    assert len(buttons) == len(set(buttons)), "a permission is offered twice as a button"
    assert {s["value"] for s in body["scopes"]} >= {"all", "custom"}
    assert "legal_rep_id_number" in body["field_models"]["orgs.enterprise"]["fields"]


def test_role_changes_are_audited(cast, in_tenant):
    from qifu.core.audit_models import AuditEntry
    from qifu.core.context import RequestContext

    ctx = RequestContext(request=None, user=cast.platform_admin, tenant=cast.tenant)
    role = create_role(ctx, code="audited", name="留痕", permissions_=["orgs.enterprise.view"], data_scope="org")
    entry = AuditEntry.objects.filter(action="access.role.create", object_id=str(role.id)).get()
    assert entry.changes["code"]["after"] == "audited"


def test_admin_disables_and_resets_a_user(cast, api):
    client = api(cast.tenant_admin)
    off = client.post(f"access/users/{cast.staff_b.id}/active", {"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert api(cast.staff_b).get("access/enterprises").status_code == 401  # signed out everywhere
    reset = client.post(f"access/users/{cast.staff_a.id}/reset-password")
    assert reset.status_code == 200
    temporary = reset.json()["temporary_password"]
    cast.staff_a.refresh_from_db()
    assert cast.staff_a.check_password(temporary) and cast.staff_a.must_change_password


def test_nobody_resets_a_stronger_account(cast, api, manager):
    response = api(manager).post(f"access/users/{cast.tenant_admin.id}/reset-password")
    assert response.status_code in (403, 404)
    cast.tenant_admin.refresh_from_db()
    assert cast.tenant_admin.check_password(cast.password)


def test_the_last_tenant_admin_stays(cast, api, in_tenant):
    assignment = RoleAssignment.objects.get(user=cast.tenant_admin, role__code="tenant_admin")
    response = api(cast.platform_admin, host="alpha.test").delete(f"access/assignments/{assignment.id}")
    assert response.status_code == 409
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()
