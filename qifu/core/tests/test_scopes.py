"""For every data-scope kind, staff of town A see only A's enterprises — list, detail, search,
filters, counts and export — and get 404 on B's by id."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from qifu.access.models import Role, SecurityProfile, UserSecurityProfile
from qifu.core import context, tenancy

KINDS = [
    context.SCOPE_ORG_AND_BELOW,
    context.SCOPE_ORG,
    context.SCOPE_SELF,
    context.SCOPE_ORG_AND_BELOW_OR_SELF,
    context.SCOPE_CUSTOM,
    "custom_user_profile",
]


def _configure(cast, kind: str) -> None:
    """Give staff A's role the scope ``kind`` (and whatever makes A's enterprise theirs)."""
    with tenancy.tenant_scope(cast.tenant):
        role = Role.objects.get(code="district_staff")
        profile = None
        if kind == context.SCOPE_CUSTOM:
            profile = SecurityProfile.objects.create(name="A 街道")
            profile.organisations.set([cast.town_a])
        if kind == "custom_user_profile":
            # The role's own profile points at town B; the user-level profile (town A) wins.
            role_profile = SecurityProfile.objects.create(name="B 镇")
            role_profile.organisations.set([cast.town_b])
            profile = role_profile
            mine = SecurityProfile.objects.create(name="A 街道（个人）")
            mine.organisations.set([cast.town_a])
            UserSecurityProfile.objects.create(user=cast.staff_a, profile=mine)
            kind = context.SCOPE_CUSTOM
        if kind in (context.SCOPE_SELF, context.SCOPE_ORG_AND_BELOW_OR_SELF):
            ent = cast.enterprise_a
            ent.created_by = cast.staff_a
            ent.save(update_fields=["created_by"])
        Role.objects.filter(pk=role.pk).update(data_scope=kind, security_profile=profile)


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["items"]]


@pytest.mark.parametrize("kind", KINDS)
def test_staff_of_town_a_see_only_town_a(cast, api, kind):
    _configure(cast, kind)
    client = api(cast.staff_a)
    a, b = cast.enterprise_a, cast.enterprise_b

    listed = client.get("access/enterprises")
    assert _names(listed) == [a.name]
    assert listed.json()["total"] == 1  # the count obeys the scope too

    assert client.get(f"access/enterprises/{a.id}").status_code == 200
    denied = client.get(f"access/enterprises/{b.id}")
    assert denied.status_code == 404
    assert denied.json()["code"] == "common.not_found"

    # Searching or filtering for B's enterprise finds nothing, and the count says so.
    assert _names(client.get("access/enterprises", {"q": b.name[:6]})) == []
    assert client.get("access/enterprises", {"q": b.name[:6]}).json()["total"] == 0
    assert _names(client.get("access/enterprises", {"town_id": cast.town_b.id})) == []
    assert _names(client.get("access/enterprises", {"certification": "certified"})) == [a.name]

    sheet = load_workbook(io.BytesIO(client.get("access/enterprises/export").content)).active
    exported = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert exported == [a.name]


def test_scope_all_sees_both(cast, api):
    with tenancy.tenant_scope(cast.tenant):
        Role.objects.filter(code="district_staff").update(data_scope=context.SCOPE_ALL)
    names = _names(api(cast.staff_a).get("access/enterprises"))
    assert set(names) == {cast.enterprise_a.name, cast.enterprise_b.name}


def test_self_scope_without_own_rows_sees_nothing(cast, api):
    with tenancy.tenant_scope(cast.tenant):
        Role.objects.filter(code="district_staff").update(data_scope=context.SCOPE_SELF)
    response = api(cast.staff_a).get("access/enterprises")
    assert _names(response) == [] and response.json()["total"] == 0


def test_custom_scope_without_profile_sees_nothing(cast, api):
    with tenancy.tenant_scope(cast.tenant):
        Role.objects.filter(code="district_staff").update(data_scope=context.SCOPE_CUSTOM, security_profile=None)
    assert _names(api(cast.staff_a).get("access/enterprises")) == []


def test_org_and_below_reaches_sub_organisations(cast, api, in_tenant):
    from qifu.orgs import services

    # A community under town A is "below": an organisation-scoped row there is visible.
    community = services.create_organisation(name="A 街道一社区", kind="department", parent=cast.town_a)
    ctx = context.RequestContext(
        request=None, user=cast.staff_a, tenant=cast.tenant, permission="orgs.organisation.view"
    )
    ctx.__dict__["organisation"] = cast.town_a
    from qifu.orgs.models import Organisation

    visible = set(ctx.scoped(Organisation.objects.all()).values_list("id", flat=True))
    assert {cast.town_a.id, community.id} <= visible
    assert cast.town_b.id not in visible and cast.root.id not in visible


def test_switching_organisation_switches_scope(cast, api, in_tenant):
    from qifu.access.services import assign_role
    from qifu.orgs import services

    services.add_member(cast.staff_a, cast.town_b)
    assign_role(cast.staff_a, cast.town_b, cast.roles["district_staff"])
    client = api(cast.staff_a)
    assert _names(client.get("access/enterprises")) == [cast.enterprise_a.name]
    assert client.post("auth/organisation", {"organisation_id": cast.town_b.id}).status_code == 200
    assert _names(client.get("access/enterprises")) == [cast.enterprise_b.name]
