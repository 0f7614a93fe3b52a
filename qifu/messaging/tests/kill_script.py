"""Driver for the worker-kill test, run in a subprocess against the test's own database.

python -m qifu.messaging.tests.kill_script setup <n>   → creates users and a bulk send, prints its id
python -m qifu.messaging.tests.kill_script report <id> → prints the send's state as JSON
"""

from __future__ import annotations

import json
import os
import sys

import django


def setup(n: int) -> None:
    from django.db import transaction

    from qifu.accounts.models import User
    from qifu.core import tenancy
    from qifu.core.models import Tenant
    from qifu.messaging import sending

    tenant = Tenant.objects.create(code="kill", name="进程中断测试区")
    with tenancy.tenant_scope(tenant):
        users = User.objects.bulk_create(
            [
                User(username=f"kill-{i}", name=f"用户{i}", phone=f"139{i:08d}", tenant=tenant, password="!")
                for i in range(n)
            ]
        )
        ids = list(User.objects.filter(tenant=tenant).values_list("pk", flat=True))
        assert len(ids) == len(users)
        sending.create_template(
            code="kill_notice",
            name="中断测试",
            channel="sms",
            body="{recipient_name}：{topic}",
            variables=["topic"],
            provider_template_id="SMS_KILL",
            provider_params={"topic": "{topic}"},
        )
        sending.create_template(
            code="kill_notice", name="中断测试", channel="inapp", title="{topic}", body="{topic}", variables=["topic"]
        )
        with transaction.atomic():
            send = sending.create_send(
                title="中断测试群发",
                channels=["inapp", "sms"],
                segment={"kind": "users", "user_ids": ids},
                template_code="kill_notice",
                variables={"topic": "年报提醒"},
            )
    print(send.pk)


def report(send_id: int) -> None:
    from django.db.models import Count

    from qifu.core import tenancy
    from qifu.messaging.models import Delivery, Message, Send

    with tenancy.all_tenants():
        send = Send.objects.get(pk=send_id)
        states = dict(
            Delivery.objects.filter(send=send)
            .values_list("channel", "state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
            .order_by()
        )
        by_channel: dict[str, dict[str, int]] = {}
        for channel, state, n in (
            Delivery.objects.filter(send=send).values_list("channel", "state").annotate(n=Count("id")).order_by()
        ):
            by_channel.setdefault(channel, {})[state] = n
        per_user = list(
            Message.objects.filter(send=send).values("user_id").annotate(n=Count("id")).values_list("n", flat=True)
        )
        sms_recorded = Delivery.objects.filter(send=send, channel="sms", state__in=["sent", "delivered"]).count()
        sms_ids: dict[str, list[int]] = {}
        for pk, state in Delivery.objects.filter(send=send, channel="sms").values_list("pk", "state").order_by("pk"):
            sms_ids.setdefault(state, []).append(pk)
        print(
            json.dumps(
                {
                    "status": send.status,
                    "total": send.total,
                    "states": states,
                    "by_channel": by_channel,
                    "users_with_messages": len(per_user),
                    "max_messages_per_user": max(per_user or [0]),
                    "sms_recorded": sms_recorded,
                    "sms_ids": sms_ids,  # state -> delivery ids (our OutId at the provider)
                    "users": send.total // 2,
                }
            )
        )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qifu.messaging.tests.worker_settings")
    django.setup()
    command, arg = sys.argv[1], int(sys.argv[2])
    {"setup": setup, "report": report}[command](arg)
