"""The content demo fills every slot and every kind of article."""

from __future__ import annotations

import random

from django.core.cache import cache

from qifu.content import demo, selectors
from qifu.content.models import ActivityItem, Article
from qifu.core.seeding import DemoContext


def test_seed_fills_every_slot(in_tenant, cast):
    cache.clear()
    ctx = DemoContext(tenant=cast.tenant, rng=random.Random(3), scale=0.3)
    demo.seed(ctx)
    assert set(Article.objects.values_list("kind", flat=True)) == {"news", "notice", "activity", "guide", "faq"}
    live = selectors.live_slots()
    assert all(live[placement] for placement in live), live
    assert "企业服务月活动预告" not in [s["title"] for s in live["banner"]]  # scheduled for later
    assert ActivityItem.objects.count() == 12
    assert not ActivityItem.objects.filter(actor__contains="精密机械").exists()
    cache.clear()
