"""Background jobs: acceptance-deadline reminders and expiry of unaccepted applications."""

from huey import crontab

from qifu.core import jobs
from qifu.marketplace.services import applications


@jobs.register(
    "marketplace.remind_acceptance", retries=2, retry_delay=60, schedule=crontab(minute="15"), label="服务申请受理催办"
)
def remind_acceptance() -> str:
    return f"reminded {applications.remind_due()}"


@jobs.register(
    "marketplace.expire_unaccepted",
    retries=2,
    retry_delay=60,
    schedule=crontab(minute="45"),
    label="超时未受理申请关闭",
)
def expire_unaccepted() -> str:
    return f"expired {applications.expire_overdue()}"
