"""Bulk-send throughput to the console channel: one send to 100,000 recipients (PostgreSQL).

A send to an uploaded list of 100,000 phone numbers over the SMS channel (console backend),
executed the way a worker executes it (``messaging.run_send``): resolving the list into
delivery rows, then claiming, "sending" and recording every row with its push-log entry.
Prints the time of each phase and messages per second. Runs in this process with
Huey in immediate mode so the figures are the delivery engine's, not the queue's.

    .venv/bin/python bench/messaging_bulk.py [--recipients 100000] [--chunk 200] [--rate 0]

``--rate`` above what the engine reaches (e.g. 100000) measures what counting every message in
the shared rate limit (Redis) costs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import ensure_database, manage, production_env, reachable


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=200, help="rows claimed per batch (QIFU_MSG_CHUNK)")
    parser.add_argument("--flush", type=int, default=100, help="results per database write (QIFU_MSG_FLUSH)")
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="SMS per second shared through Redis (QIFU_MSG_RATE_SMS); 0 = unlimited, no counting",
    )
    args = parser.parse_args()
    problem = reachable()
    if problem:
        print(f"messaging_bulk: skipped — {problem}")
        return 0
    data_dir = tempfile.mkdtemp(prefix="qifu-msg-bench-")
    env = production_env(ensure_database("qifu_msg_bench", fresh=True), data_dir)
    env.update(
        QIFU_REDIS_URL=os.environ.get("QIFU_BENCH_MSG_REDIS", "redis://127.0.0.1:6379/11"),
        QIFU_HUEY_IMMEDIATE="true",
        QIFU_MSG_SMS_BACKEND="console",
        QIFU_MSG_CHUNK=str(args.chunk),
        QIFU_MSG_FLUSH=str(args.flush),
        QIFU_MSG_RATE_SMS=f"{args.rate:g}",
        QIFU_MAX_UPLOAD_BYTES=str(64 * 1024 * 1024),
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    os.environ.update(env)

    import django

    django.setup()
    import logging

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from qifu.core import requestinfo, tenancy
    from qifu.core.models import Tenant
    from qifu.messaging import sending
    from qifu.messaging.channels import console
    from qifu.messaging.models import Delivery, PushAttempt, Send

    logging.getLogger("qifu.messaging.console").setLevel(logging.WARNING)
    n = args.recipients
    tenant = Tenant.objects.create(code="msgbench", name="消息压测区")
    phones = "\n".join(f"13{i:09d}" for i in range(n)).encode()
    with tenancy.tenant_scope(tenant), requestinfo.acting(request_id="bench"):
        sending.create_template(
            code="bench",
            name="压测模板",
            channel="sms",
            body="您好，{topic}。",
            variables=["topic"],
            provider_template_id="SMS_BENCH",
            provider_params={"topic": "{topic}"},
        )
        upload, valid, _ = sending.upload_list(SimpleUploadedFile("phones.csv", phones), kind="phones")
        assert len(valid) == n, len(valid)
        console.SENT.clear()
        started = time.perf_counter()
        with transaction.atomic():
            send = sending.create_send(
                title="十万级群发压测",
                channels=["sms"],
                segment={"kind": "phones"},
                upload=upload,
                template_code="bench",
                variables={"topic": "政策申报已开始"},
            )
        # leaving the block commits; immediate mode then runs messaging.run_send here
        elapsed = time.perf_counter() - started
        send = Send.objects.get(pk=send.pk)
        delivered = Delivery.objects.filter(send=send, state="delivered").count()
        pushes = PushAttempt.objects.filter(send=send).count()
    prepare = (send.prepared_at - send.started_at).total_seconds()
    deliver = (send.finished_at - send.prepared_at).total_seconds()
    print(f"recipients: {n}   status: {send.status}   delivered: {delivered}   push log rows: {pushes}")
    print(f"resolve list → delivery rows: {prepare:8.1f} s   ({n / prepare:9.0f} rows/s)")
    print(f"claim, send, record:          {deliver:8.1f} s   ({n / deliver:9.0f} messages/s)")
    print(f"end to end (commit → done):   {elapsed:8.1f} s   ({n / elapsed:9.0f} messages/s)")
    return 0 if send.status == "completed" and delivered == n else 1


if __name__ == "__main__":
    raise SystemExit(main())
