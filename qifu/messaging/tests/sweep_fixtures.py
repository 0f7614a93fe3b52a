"""Access-sweep rows of messages, sends and templates (see qifu.core.testing.sweep_world)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from qifu.core.testing.sweep_world import fixture
from qifu.messaging import sending
from qifu.messaging.models import Message, Send


@fixture("messaging.message")
def message(world):
    # An in-site message to the world's admin (only its recipient can read it).
    return Message.objects.create(user=world.admin, title="巡检消息", body="访问巡检用的站内信", category="notice")


@fixture("messaging.send")
def send(world):
    # A manual send scheduled for later: still cancellable, so a leaked cancel would show.
    return Send.objects.create(
        title="巡检群发",
        status=Send.Status.SCHEDULED,
        channels=["inapp"],
        texts={"inapp": "访问巡检"},
        segment={"kind": "all"},
        scheduled_at=timezone.now() + dt.timedelta(days=30),
    )


@fixture("messaging.template")
def template(world):
    return sending.create_template(code="sweep_notice", name="巡检模板", channel="inapp", title="巡检", body="访问巡检")
