"""Kill the worker in the middle of a bulk send, restart it: every recipient gets exactly one message.

This runs the real thing: a Huey consumer (``manage.py run_huey``) in a subprocess, a
file-backed queue and database (SQLite here; PostgreSQL in the ``postgres`` variant), the
real Aliyun SMS adapter talking HTTP to a local server that answers as dysmsapi documents
(SendSms + QuerySendDetails) and counts what it accepted per phone number. The worker is
SIGKILLed once a third of the SMS have been accepted — with rows claimed, some accepted by
the provider but not yet recorded — then restarted.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qifu.messaging.tests.fakes import FakeAliyunSms

ROOT = Path(__file__).resolve().parents[3]
RECIPIENTS = 3000


def _env(tmp_path: Path, server: FakeAliyunSms, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QIFU_", "DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="qifu.messaging.tests.worker_settings",
        QIFU_ENV="development",
        QIFU_DATA_DIR=str(tmp_path),
        QIFU_DATABASE_URL=database_url,
        QIFU_MSG_TEST_HUEY_FILE=str(tmp_path / "huey.sqlite3"),
        QIFU_LOG_LEVEL="WARNING",
        QIFU_MSG_SMS_BACKEND="aliyun",
        QIFU_MSG_ALIYUN_ACCESS_KEY_ID=server.access_key_id,
        QIFU_MSG_ALIYUN_ACCESS_KEY_SECRET=server.secret,
        QIFU_MSG_ALIYUN_SIGN_NAME=server.sign_name,
        QIFU_MSG_ALIYUN_ENDPOINT=server.url + "/",
        QIFU_MSG_RATE_SMS="0",
        QIFU_MSG_LEASE_SECONDS="3",
        QIFU_MSG_CHUNK="100",
    )
    return env


def _run(env, *args) -> str:
    done = subprocess.run(  # noqa: S603 — fixed argv: this interpreter and our own modules
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _report(env, send_id) -> dict:
    return json.loads(_run(env, "-m", "qifu.messaging.tests.kill_script", "report", str(send_id)).strip())


def _consumer(env, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "2", "--worker-type", "thread"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _wait(predicate, limit: float, what: str, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"worker exited early ({proc.returncode}) while waiting for {what}")
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def kill_and_restart(tmp_path: Path, database_url: str) -> None:
    log = tmp_path / "worker.log"
    with FakeAliyunSms() as server:
        env = _env(tmp_path, server, database_url)
        _run(env, "manage.py", "migrate", "--noinput", "-v", "0")
        send_id = int(_run(env, "-m", "qifu.messaging.tests.kill_script", "setup", str(RECIPIENTS)).strip())

        # The provider accepts message #1007 and then holds its answer back: the worker is
        # killed while it waits, i.e. after the provider accepted but before we recorded it.
        server.hang_after = RECIPIENTS // 3 + 7
        worker = _consumer(env, log)
        try:
            _wait(lambda: len(server.sent) >= server.hang_after, 300, "a third of the SMS", worker)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(30)
        accepted_at_kill = len(server.sent)
        server.hang_after = None
        server.release.set()
        after_kill = _report(env, send_id)
        # killed mid-send: the send is unfinished, rows are left claimed, and at least the
        # held-back message was accepted by the provider without being recorded
        assert after_kill["status"] == "running", after_kill
        assert after_kill["by_channel"]["sms"].get("sending", 0) > 0
        in_flight = accepted_at_kill - after_kill["sms_recorded"]
        assert in_flight >= 1
        recorded_at_kill = {i for state in ("sent", "delivered") for i in after_kill["sms_ids"].get(state, [])}
        in_flight_ids = {int(s["OutId"]) for s in server.sent[:accepted_at_kill]} - recorded_at_kill
        assert len(in_flight_ids) == in_flight
        print(
            f"accepted by provider at kill: {accepted_at_kill}; recorded: {after_kill['sms_recorded']};"
            f" accepted but unrecorded: {in_flight}; states: {after_kill['by_channel']}"
        )

        worker = _consumer(env, log)
        try:
            final = _wait(
                lambda: (r := _report(env, send_id))["status"] == "completed" and r, 300, "the send to complete", worker
            )
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
        counts = server.count_by_phone()

    # every recipient: exactly one in-site message and exactly one SMS accepted by the provider
    assert final["total"] == 2 * RECIPIENTS
    assert final["by_channel"]["inapp"] == {"delivered": RECIPIENTS}, final
    sms = final["by_channel"]["sms"]
    assert set(sms) <= {"sent", "delivered"} and sum(sms.values()) == RECIPIENTS, final
    # the accepted-but-unrecorded ones were settled from the provider's QuerySendDetails
    # report (which says "delivered"), not sent again. Other rows may be "delivered" too: the
    # periodic receipts job (every 10 minutes by the wall clock) upgrades sent rows the same way.
    delivered_ids = set(final["sms_ids"].get("delivered", []))
    assert in_flight_ids <= delivered_ids, (sorted(in_flight_ids - delivered_ids), sms)
    assert final["users_with_messages"] == RECIPIENTS and final["max_messages_per_user"] == 1
    assert len(counts) == RECIPIENTS
    assert set(counts.values()) == {1}, {p: n for p, n in counts.items() if n != 1}


def test_killed_worker_resumes_and_delivers_exactly_once_sqlite(tmp_path):
    kill_and_restart(tmp_path, f"sqlite:///{tmp_path / 'kill.sqlite3'}")


@pytest.mark.postgres
def test_killed_worker_resumes_and_delivers_exactly_once_postgres(tmp_path):
    import psycopg

    base = os.environ["QIFU_TEST_DATABASE_URL"].rsplit("/", 1)[0]
    name = f"qifu_msg_kill_{os.getpid()}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        kill_and_restart(tmp_path, f"{base}/{name}")
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
