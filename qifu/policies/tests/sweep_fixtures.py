"""Access-sweep rows of policies, attachments, tags and collection sources (see qifu.core.testing.sweep_world)."""

from __future__ import annotations

from qifu.core import permissions as P
from qifu.core.testing.sweep_world import fixture
from qifu.policies import services


@fixture("policies.policy")
def policy(world):
    # Drafted with an attachment, submitted by the admin and approved by a second reviewer: published.
    draft = services.create_policy(
        {
            "title": f"{world.name} 巡检扶持政策",
            "level": "district",
            "department": "区科技局",
            "summary": "访问巡检用的政策",
            "body": "<p>巡检</p>",
        }
    )
    services.add_attachment(draft, world.file("pdf", "申报指南.pdf"), title="申报指南")
    services.submit_policy(draft, world.admin)
    reviewer = world.person("policy-reviewer", "政策审核人", world.root, P.DISTRICT_STAFF, actor=False)
    return services.approve_policy(draft, reviewer)


@fixture("policies.policyattachment")
def policy_attachment(world):
    return world.row("policies.policy").attachments.get()


@fixture("policies.policytag")
def policy_tag(world):
    return services.create_tag({"name": "巡检标签", "category": "支持方式"})


@fixture("policies.collectionsource")
def collection_source(world):
    return services.save_source(
        None, {"name": "巡检采集源", "kind": "rss", "url": "https://example.com/policies.rss", "is_active": False}
    )
