"""Policy details obey field rules like the lists: the public detail read while signed in and the
console's detail (which the editor resends) show a hidden field empty and a masked one masked,
for the role with the rule only; other roles, anonymous visitors and platform admins see it all."""

from __future__ import annotations

import pytest

from qifu.core.testing.views import set_field_rules
from qifu.policies import services

BODY = "<p>对独角兽企业另行奖励。</p>"
CONDITIONS = {"type": "compare", "fact": "staff_count", "op": "gte", "value": 10}


@pytest.fixture
def policy(cast, in_tenant):
    policy = services.create_policy(
        {
            "title": "甲区孵化器认定办法",
            "number": "QF2026007",
            "level": "district",
            "department": "区科学技术局",
            "summary": "面向众创空间的扶持。",
            "body": BODY,
            "source_name": "区科技局网站",
            "conditions": CONDITIONS,
        }
    )
    services.submit_policy(policy, cast.staff_a)
    services.approve_policy(policy, cast.tenant_admin)
    return policy.pk


def _rule(cast, rules: dict) -> None:
    set_field_rules(cast, "district_staff", {"policies.policy": rules})


def test_the_details_withhold_what_the_role_may_not_see(cast, api, policy):
    _rule(cast, {"body": "hidden", "number": "masked", "conditions": "hidden", "source_name": "hidden"})
    staff = api(cast.staff_a)
    for path in (f"policies/{policy}", f"policies/manage/policies/{policy}"):
        response = staff.get(path)
        assert response.status_code == 200, response.content
        data = response.json()
        assert data["body"] == "" and data["source_name"] == ""
        assert data["number"] != "QF2026007" and "*" in data["number"]
        assert data["conditions"] is None and data["condition_lines"] == []
        assert data["title"] == "甲区孵化器认定办法" and data["summary"] == "面向众创空间的扶持。"


@pytest.mark.parametrize("who", ["tenant_admin", "platform_admin", None])
def test_without_the_rule_the_detail_is_whole(cast, api, policy, who):
    _rule(cast, {"body": "hidden", "number": "masked", "conditions": "hidden"})
    data = api(getattr(cast, who) if who else None).get(f"policies/{policy}").json()
    assert data["body"] == BODY and data["number"] == "QF2026007"
    assert data["conditions"] == CONDITIONS and data["condition_lines"]


def test_the_editor_can_resend_what_it_was_shown(cast, api, in_tenant):
    """The console form sends back the detail it loaded: the emptied body must not count as a change."""
    from qifu.policies.models import Policy

    draft = services.create_policy(
        {"title": "乙区人才新政", "level": "district", "department": "区人社局", "summary": "引才。", "body": BODY}
    )
    _rule(cast, {"body": "hidden"})
    staff = api(cast.staff_a)
    shown = staff.get(f"policies/manage/policies/{draft.pk}").json()
    assert shown["body"] == ""
    form = {k: shown[k] for k in ("title", "number", "level", "department", "summary", "body")}
    form["title"] = "乙区人才新政（修订）"
    response = staff.put(f"policies/manage/policies/{draft.pk}", form)
    assert response.status_code == 200, response.content
    assert response.json()["body"] == ""
    draft.refresh_from_db()
    assert draft.title == "乙区人才新政（修订）" and draft.body == BODY  # the hidden body was not wiped
    # Sending a body is a write to a field the role may not change: refused, nothing changed.
    refused = staff.put(f"policies/manage/policies/{draft.pk}", {**form, "body": "<p>改写</p>"})
    assert refused.status_code == 403 and refused.json()["code"] == "access.field_read_only", refused.content
    assert Policy.objects.get(pk=draft.pk).body == BODY
