"""Access-sweep rows of articles, images and slots (see qifu.core.testing.sweep_world)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from qifu.content import services
from qifu.content.models import Slot
from qifu.core.testing.sweep_world import fixture


@fixture("content.article")
def article(world):
    # A published activity open for sign-up: every public and signed-in operation can reach it.
    starts = timezone.now() + dt.timedelta(days=10)
    created = services.create_article(
        {
            "kind": "activity",
            "title": f"{world.name} 巡检活动",
            "body": "<p>访问巡检用的活动</p>",
            "starts_at": starts,
            "ends_at": starts + dt.timedelta(hours=2),
            "signup_enabled": True,
            "signup_deadline": starts - dt.timedelta(days=1),
            "capacity": 50,
        }
    )
    return services.publish_article(created)


@fixture("content.image")
def image(world):
    return services.upload_image(world.file("png"), alt="巡检图片")


@fixture("content.slot")
def slot(world):
    return services.save_slot(
        None,
        {
            "placement": Slot.Placement.BANNER,
            "title": "巡检 Banner",
            "image_id": world.row("content.image").pk,
            "link_url": "/",
        },
    )
