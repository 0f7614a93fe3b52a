from importlib import import_module, util

from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "qifu.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "框架"

    def ready(self) -> None:
        # Every capability declares its permission codes and menus in permissions.py and
        # its background jobs in tasks.py; import them all so the registries are complete
        # in every process (web, worker, tests), not only in the Huey consumer.
        for app in settings.QIFU_APPS:
            for module in ("permissions", "tasks"):
                name = f"{app}.{module}"
                if util.find_spec(name) is not None:
                    import_module(name)
