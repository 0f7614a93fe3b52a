"""The demo policy library seeds deterministically, with valid conditions and a review trail."""

from __future__ import annotations

import datetime as dt
import random

from qifu.core.seeding import DemoContext
from qifu.policies import demo
from qifu.policies.models import Policy, PolicyTag
from qifu.policies.rules import validate_rule


def test_every_template_condition_is_valid():
    for template in demo.TEMPLATES:
        assert validate_rule(template[6]) is not None


def test_seed_creates_policies_at_every_level(in_tenant, cast):
    from qifu.accounts.models import User
    from qifu.orgs.industries import ensure_industries

    ensure_industries()
    # the demo reviewers are the district staff of the orgs demo
    User.objects.filter(pk=cast.staff_a.pk).update(username="staff-a")
    User.objects.filter(pk=cast.staff_b.pk).update(username="staff-b")
    ctx = DemoContext(tenant=cast.tenant, rng=random.Random(7), scale=0.2)
    ctx.tenant.code = "demo"
    ctx.shared["enterprise"] = cast.enterprise_a
    demo.seed(ctx)
    policies = Policy.objects.all()
    assert policies.count() == 48
    assert set(policies.values_list("level", flat=True)) == {"national", "provincial", "city", "district"}
    published = policies.filter(status="published")
    assert published.exists() and all(p.reviewed_by_id != p.submitted_by_id for p in published)
    assert PolicyTag.objects.filter(kind="advanced").exists()
    demo.seed(ctx)  # idempotent
    assert Policy.objects.count() == 48


def test_bodies_are_composed_per_policy_and_deterministic(in_tenant, cast):
    from qifu.accounts.models import User
    from qifu.core import richtext
    from qifu.orgs.industries import ensure_industries

    ensure_industries()
    User.objects.filter(pk=cast.staff_a.pk).update(username="staff-a")
    User.objects.filter(pk=cast.staff_b.pk).update(username="staff-b")
    ctx = DemoContext(tenant=cast.tenant, rng=random.Random(7), scale=0.2)
    ctx.tenant.code = "demo"
    demo.seed(ctx)
    bodies = list(Policy.objects.values_list("body", flat=True))
    assert len(set(bodies)) == len(bodies)  # no two policies share a body
    # Two policies of the 专精特新 template: their own conditions, different wording.
    special = [p for p in Policy.objects.order_by("id") if "专精特新中小企业" in p.title]
    assert len(special) >= 2
    text = richtext.to_text(special[0].body)
    assert "成立年限 ≥ 2 年" in text and "近三年无严重违法失信记录" in text and "<script" not in special[0].body
    assert special[0].body != special[1].body

    def compose(seed: int) -> str:
        return demo.compose_body(
            demo.TEMPLATES[1],
            level="district",
            department="区工业和信息化局",
            published=dt.date(2026, 3, 1),
            apply_start=dt.date(2026, 3, 8),
            apply_end=dt.date(2026, 6, 8),
            condition_lines=["成立年限 ≥ 2 年"],
            rng=random.Random(seed),
        )

    assert compose(1) == compose(1) and compose(1) != compose(2)
    assert "申报时间为2026年3月8日至2026年6月8日" in compose(1)
