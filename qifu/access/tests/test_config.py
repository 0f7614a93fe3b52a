"""Dictionaries and system parameters: admin API, typed reads for other capabilities, cache refresh."""

from __future__ import annotations

from qifu.access import selectors


def test_dictionary_round_trip(cast, api, in_tenant):
    client = api(cast.tenant_admin)
    created = client.post(
        "access/dictionaries",
        {
            "code": "appeal_type",
            "name": "诉求类型",
            "items": [{"value": "policy", "label": "政策咨询"}, {"value": "fund", "label": "资金"}],
        },
    )
    assert created.status_code == 201, created.content
    assert [i["label"] for i in selectors.dictionary("appeal_type")] == ["政策咨询", "资金"]
    updated = client.put(
        f"access/dictionaries/{created.json()['id']}",
        {
            "code": "appeal_type",
            "name": "诉求类型",
            "items": [{"value": "policy", "label": "政策咨询"}, {"value": "fund", "label": "资金", "is_active": False}],
        },
    )
    assert updated.status_code == 200
    assert [i["value"] for i in selectors.dictionary("appeal_type")] == ["policy"]
    assert api(cast.staff_a).get("access/dictionaries/appeal_type/items").json() == [
        {"value": "policy", "label": "政策咨询"}
    ]
    dup = client.post(
        "access/dictionaries",
        {"code": "dup", "name": "x", "items": [{"value": "a", "label": "1"}, {"value": "a", "label": "2"}]},
    )
    assert dup.status_code == 422


def test_parameters_are_typed_and_validated(cast, api, in_tenant):
    client = api(cast.tenant_admin)
    assert selectors.parameter("portal.page_size", 20) == 20
    created = client.post(
        "access/parameters", {"key": "portal.page_size", "name": "每页条数", "kind": "integer", "value": "30"}
    )
    assert created.status_code == 201
    assert selectors.parameter("portal.page_size", 20) == 30
    bad = client.put(
        f"access/parameters/{created.json()['id']}",
        {"key": "portal.page_size", "name": "每页条数", "kind": "integer", "value": "三十"},
    )
    assert bad.status_code == 422 and "整数" in bad.json()["message"]
    assert selectors.parameter("portal.page_size", 20) == 30
    assert api(cast.staff_a).post("access/parameters", {"key": "a.b", "name": "x"}).status_code == 403


def test_online_users_lists_open_sessions_in_scope(cast, api):
    staff_client = api(None)
    staff_client.get("auth/csrf")
    signed_in = staff_client.post("auth/login", {"username": "staff-b", "password": cast.password})
    assert signed_in.status_code == 200, signed_in.content
    rows = api(cast.tenant_admin).get("access/online-users")
    assert rows.status_code == 200
    assert "staff-b" in {r["username"] for r in rows.json()}
    # Staff of town A with user view would see only their own town's people.
    assert api(cast.no_role_user).get("access/online-users").status_code == 403
