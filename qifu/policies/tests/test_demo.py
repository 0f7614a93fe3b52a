"""The demo policy library seeds deterministically, with valid conditions and a review trail."""

from __future__ import annotations

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
