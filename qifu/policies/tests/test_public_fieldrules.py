"""The public policy list is not data-scoped, so it runs the visitor's filters through
``fieldrules.restrict_filters`` itself: filtering by a department hidden for a signed-in user matches
nothing, and the filter menu does not list the departments either. Anonymous visitors, roles without
the rule and platform admins filter as before."""

from __future__ import annotations

import pytest

from qifu.core.testing.views import set_field_rules
from qifu.policies import services


@pytest.fixture
def policy(cast, in_tenant):
    policy = services.create_policy(
        {"title": "甲区孵化器认定办法", "level": "district", "department": "区科学技术局", "summary": "扶持。"}
    )
    services.submit_policy(policy, cast.staff_a)
    services.approve_policy(policy, cast.tenant_admin)
    return policy.pk


def test_a_filter_on_a_withheld_department_matches_nothing(cast, api, policy):
    set_field_rules(cast, "enterprise_owner", {"policies.policy": {"department": "masked"}})
    owner = api(cast.enterprise_owner)
    assert owner.get("policies", {"department": "区科学技术局"}).json()["total"] == 0
    assert owner.get("policies", {"level": "district"}).json()["total"] == 1  # other filters still work
    assert owner.get("policies/options").json()["departments"] == []
    for who in (None, cast.tenant_admin, cast.platform_admin):
        client = api(who)
        assert client.get("policies", {"department": "区科学技术局"}).json()["total"] == 1
        assert client.get("policies/options").json()["departments"] == ["区科学技术局"]


def test_a_hidden_status_does_not_empty_the_public_list(cast, api, policy, in_tenant):
    draft = services.create_policy({"title": "乙区草稿", "level": "district", "department": "区人社局"})
    set_field_rules(cast, "enterprise_owner", {"policies.policy": {"status": "hidden"}})
    items = api(cast.enterprise_owner).get("policies").json()["items"]
    assert [p["id"] for p in items] == [policy] and draft.pk != policy


def test_the_eligibility_check_treats_a_withheld_fact_as_unknown(cast, api, in_tenant):
    """The answer names actual values and gaps: a registered capital hidden for the role counts as
    unknown there (possibly eligible, missing it) instead of showing up in a gap."""
    policy = services.create_policy(
        {
            "title": "注册资本门槛",
            "level": "district",
            "department": "区科学技术局",
            "summary": "注册资本一百万元以上。",
            "conditions": {"type": "range", "fact": "registered_capital", "min": 100},
        }
    )
    services.submit_policy(policy, cast.staff_a)
    services.approve_policy(policy, cast.tenant_admin)
    cast.enterprise_a.registered_capital = 50
    cast.enterprise_a.save()
    owner = api(cast.enterprise_owner)
    shown = owner.get(f"policies/{policy.pk}/eligibility").json()
    assert shown["status"] == "ineligible" and shown["failed"][0]["gap"] == 50
    set_field_rules(cast, "enterprise_owner", {"orgs.enterprise": {"registered_capital": "hidden", "name": "hidden"}})
    withheld = owner.get(f"policies/{policy.pk}/eligibility").json()
    assert withheld["status"] == "possibly" and withheld["failed"] == [] and withheld["enterprise"] == ""
    assert [m["fact"] for m in withheld["missing"]] == ["registered_capital"]


def test_the_public_order_does_not_leak_a_withheld_publish_date(cast, api, in_tenant):
    """Newest-first ranks by the publish date: with it hidden (or masked) for the role the list comes
    in the model's order without it (newest entered first), so the order tells nothing about the dates."""
    import datetime as dt

    ids = []
    for title, published in (("较早录入、较晚发布", dt.date(2026, 3, 1)), ("较晚录入、较早发布", dt.date(2025, 1, 1))):
        policy = services.create_policy(
            {
                "title": title,
                "level": "district",
                "department": "区科学技术局",
                "summary": "扶持。",
                "publish_date": published,
            }
        )
        services.submit_policy(policy, cast.staff_a)
        services.approve_policy(policy, cast.tenant_admin)
        ids.append(policy.pk)
    by_date, by_entry = ids, ids[::-1]
    owner = api(cast.enterprise_owner)

    def order(client, **params):
        return [p["id"] for p in client.get("policies", {"sort": "date", **params}).json()["items"]]

    assert order(owner) == by_date
    for rule in ("hidden", "masked"):
        set_field_rules(cast, "enterprise_owner", {"policies.policy": {"publish_date": rule}})
        assert order(owner) == by_entry
        assert order(owner, q="发布") == by_entry  # words given, sorted by date: the same
        for who in (None, cast.tenant_admin, cast.platform_admin):
            assert order(api(who)) == by_date
