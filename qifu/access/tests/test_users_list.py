"""The access user list shows phone numbers masked, and obeys field rules on accounts.user."""

from __future__ import annotations

from qifu.core import tenancy


def _row(client, user, **params):
    response = client.get("access/users", params)
    assert response.status_code == 200, response.content
    return next((r for r in response.json()["items"] if r["id"] == user.id), None)


def test_phones_are_masked_in_list_and_detail(cast, api):
    client = api(cast.tenant_admin)
    assert _row(client, cast.staff_a)["phone"] == "139****0002"
    detail = client.get(f"access/users/{cast.staff_a.id}").json()
    assert detail["phone"] == "139****0002" and detail["name"] == "A 街道经办"
    assert b"13900000002" not in client.get("access/users", {"size": 100}).content
    # The whole number still finds the person.
    assert _row(client, cast.staff_a, q="13900000002")["username"] == "staff-a"


def test_a_role_may_hide_the_phone_and_then_it_cannot_be_searched(cast, api):
    with tenancy.tenant_scope(cast.tenant):
        role = cast.roles["tenant_admin"]
        role.field_rules = {"accounts.user": {"phone": "hidden"}}
        role.save()
    client = api(cast.tenant_admin)
    assert _row(client, cast.staff_a)["phone"] == ""
    assert _row(client, cast.staff_a, q="13900000002") is None
    assert _row(client, cast.staff_a, q="staff-a")["phone"] == ""


def test_the_role_editor_offers_name_and_phone_of_users(cast, api):
    fields = api(cast.tenant_admin).get("access/catalogue").json()["field_models"]["accounts.user"]["fields"]
    assert set(fields) == {"name", "phone", "email"}
