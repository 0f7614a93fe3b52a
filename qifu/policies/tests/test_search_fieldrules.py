"""Full-text search obeys field rules: a word found only in a field hidden or masked for the user
finds nothing, that field does not rank, its text is not cut into snippets, and type-ahead does
not offer titles when the title is withheld. Roles without the rule, anonymous visitors and
platform admins search every field. Runs on SQLite (FTS5 column filter) and PostgreSQL
(ts_filter by weight) alike."""

from __future__ import annotations

import datetime as dt

import pytest

from qifu.accounts.models import User
from qifu.core import search
from qifu.core.context import RequestContext
from qifu.core.testing.views import set_field_rules
from qifu.policies import services
from qifu.policies.models import Policy
from qifu.policies.search_index import POLICIES

MANAGE = "policies/manage/policies"
WORDS = {"title": "孵化器", "number": "QF2026007", "summary": "众创空间", "body": "独角兽企业"}


def _publish(cast, **fields) -> int:
    fields = {"level": "district", "department": "区科学技术局", "summary": "面向辖区企业。", **fields}
    policy = services.create_policy(fields)
    services.submit_policy(policy, cast.staff_a)
    services.approve_policy(policy, cast.tenant_admin)
    return policy.pk


@pytest.fixture
def policy(cast, in_tenant):
    """One published policy with a word of its own in each indexed field."""
    return _publish(
        cast,
        title="甲区孵化器认定办法",
        number="QF2026007",
        summary="面向众创空间的扶持。",
        body="<p>对独角兽企业另行奖励。</p>",
    )


def _rule(cast, rules: dict) -> None:
    set_field_rules(cast, "district_staff", {"policies.policy": rules})


def _found(client, query: str, path: str = MANAGE, **params) -> list[int]:
    response = client.get(path, {"q": query, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total"] == len(body["items"])
    return [item["id"] for item in body["items"]]


@pytest.mark.parametrize(
    ("field", "rule"), [("body", "hidden"), ("body", "masked"), ("summary", "masked"), ("number", "hidden")]
)
def test_a_word_only_in_a_withheld_field_finds_nothing(cast, api, policy, field, rule):
    _rule(cast, {field: rule})
    staff = api(cast.staff_a)
    word = WORDS[field]
    # Relevance (ranked_page), by date (filter), the public list while signed in: all the same.
    assert _found(staff, word) == []
    assert _found(staff, word, sort="date") == []
    assert _found(staff, word, path="policies") == []
    assert _found(staff, WORDS["title"]) == [policy]  # the title still matches
    # Without the rule the row is found: another role, an anonymous visitor, a platform admin.
    assert _found(api(cast.tenant_admin), word) == [policy]
    assert _found(api(None), word, path="policies") == [policy]
    assert _found(api(cast.platform_admin), word) == [policy]


def test_the_snippet_is_not_cut_from_a_hidden_body(cast, api, policy):
    _rule(cast, {"summary": "hidden"})
    [visible] = api(cast.tenant_admin).get(MANAGE, {"q": WORDS["body"]}).json()["items"]
    assert "<mark>独角兽企业</mark>" in visible["snippet"]
    _rule(cast, {"summary": "hidden", "body": "hidden"})
    [card] = api(cast.staff_a).get(MANAGE, {"q": WORDS["title"]}).json()["items"]
    assert card["snippet"] == "" and "众创空间" not in str(card) and "独角兽" not in str(card)
    assert card["title_html"] == "甲区<mark>孵化器</mark>认定办法"


@pytest.mark.parametrize("rule", ["hidden", "masked"])
def test_a_withheld_title_neither_matches_nor_suggests(cast, api, policy, rule):
    _rule(cast, {"title": rule})
    staff = api(cast.staff_a)
    assert _found(staff, WORDS["title"]) == []
    assert _found(staff, WORDS["title"], path="policies") == []
    assert _found(staff, WORDS["body"]) == [policy]
    [card] = staff.get(MANAGE, {"q": WORDS["body"]}).json()["items"]
    assert "孵化器" not in card["title"] and "<mark>" not in card["title_html"]
    assert staff.get("policies/suggest", {"q": "孵化器"}).json()["items"] == []
    assert api(None).get("policies/suggest", {"q": "孵化器"}).json()["items"] == ["甲区孵化器认定办法"]


def test_every_field_withheld_matches_nothing_but_lists_stay(cast, api, policy):
    _rule(cast, dict.fromkeys(WORDS, "hidden"))
    staff = api(cast.staff_a)
    for word in WORDS.values():
        assert _found(staff, word) == [] and _found(staff, word, sort="date") == []
    assert staff.get(MANAGE).json()["total"] == 1  # no query: nothing is matched, nothing withheld


def test_ranking_does_not_use_a_withheld_field(cast, api, in_tenant):
    # Both hold the word in the body; the older one also in its title, which ranks (A).
    in_title = _publish(cast, title="甲区孵化器管理办法", body="<p>孵化器</p>", publish_date=dt.date(2026, 1, 1))
    body_only = _publish(cast, title="甲区科技项目管理办法", body="<p>孵化器</p>", publish_date=dt.date(2026, 2, 1))
    assert _found(api(cast.tenant_admin), "孵化器") == [in_title, body_only]
    _rule(cast, {"title": "hidden"})
    staff = api(cast.staff_a)
    # The title neither matches nor ranks: the body does not rank, so newest first.
    assert _found(staff, "孵化器") == [body_only, in_title]
    ctx = _ctx(cast)
    ranks = dict(search.filter(POLICIES, Policy.objects.all(), "孵化器", ctx=ctx).values_list("pk", "search_rank"))
    assert ranks == {in_title: 0.0, body_only: 0.0}


def test_a_withheld_summary_does_not_rank(cast, in_tenant):
    in_summary = _publish(cast, title="甲区办法一", summary="众创空间", body="<p>众创空间</p>")
    plain = _publish(cast, title="甲区办法二", summary="其他", body="<p>众创空间</p>")
    ranks = dict(search.filter(POLICIES, Policy.objects.all(), "众创空间", ctx=None).values_list("pk", "search_rank"))
    assert ranks[in_summary] > ranks[plain] == 0.0
    _rule(cast, {"summary": "masked"})
    ranks = dict(
        search.filter(POLICIES, Policy.objects.all(), "众创空间", ctx=_ctx(cast)).values_list("pk", "search_rank")
    )
    assert ranks == {in_summary: 0.0, plain: 0.0}
    ids, total = search.ranked_page(POLICIES, Policy.objects.all(), "众创空间", ctx=_ctx(cast), offset=0, limit=10)
    assert (ids, total) == ([plain, in_summary], 2)


def _ctx(cast, user=None) -> RequestContext:
    ctx = RequestContext(
        request=None, user=user or cast.staff_a, tenant=cast.tenant, permission="policies.policy.manage"
    )
    ctx.__dict__["organisation"] = cast.town_a
    return ctx


def test_platform_admins_are_not_subject_to_the_rules(cast, policy):
    _rule(cast, dict.fromkeys(WORDS, "hidden"))
    assert search.restricted_fields(POLICIES, _ctx(cast)) == set(WORDS)
    admin = User.objects.get(pk=cast.staff_a.pk)
    admin.is_platform_admin = True  # in memory: holds the same role, yet platform admins have no tenant rules
    ctx = _ctx(cast, admin)
    assert search.restricted_fields(POLICIES, ctx) == set()
    found = search.filter(POLICIES, Policy.objects.all(), WORDS["body"], ctx=ctx)
    assert list(found.values_list("pk", flat=True)) == [policy]
