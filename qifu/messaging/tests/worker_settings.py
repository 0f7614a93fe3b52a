"""Test-only settings for the worker-kill test: the ordinary settings with a file-backed Huey
queue, so a real ``manage.py run_huey`` consumer in a subprocess can be killed and restarted."""

import os

from qifu.settings import *  # noqa: F403

HUEY = {
    "huey_class": "huey.SqliteHuey",
    "name": "qifu-msg-kill",
    "filename": os.environ["QIFU_MSG_TEST_HUEY_FILE"],
    "immediate": False,
    "consumer": {"workers": 2, "worker_type": "thread", "check_worker_health": True, "periodic": True},
}
