from importlib import import_module, util

from django.apps import AppConfig
from django.conf import settings


class MessagingConfig(AppConfig):
    name = "qifu.messaging"
    label = "messaging"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "消息中心"

    def ready(self) -> None:
        # Every capability declares its message events in its own events.py; import them
        # all so notify() knows every event in every process (web, worker, tests).
        for app in settings.QIFU_APPS:
            name = f"{app}.events"
            if util.find_spec(name) is not None:
                import_module(name)
