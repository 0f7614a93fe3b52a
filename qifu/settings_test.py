"""Settings for pytest: the same settings module, with QIFU_ENV forced to ``test``."""

import os

os.environ["QIFU_ENV"] = "test"

from qifu.settings import *  # noqa: F403
