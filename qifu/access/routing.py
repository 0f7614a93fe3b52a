"""The access app's one router: access operations, plus the audit log's operations tagged ``audit``.

(One router per app is what ``qifu.api`` mounts; audit operations override the tag.)
"""

from qifu.core.routers import QifuRouter

router = QifuRouter(tag="access")
AUDIT = {"tags": ["audit"]}
