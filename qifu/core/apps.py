from importlib import import_module, util

from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "qifu.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "框架"

    def ready(self) -> None:
        # Every capability declares its permission codes and menus in permissions.py;
        # import them all so the registries are complete before any request or test.
        for app in settings.QIFU_APPS:
            name = f"{app}.permissions"
            if util.find_spec(name) is not None:
                import_module(name)
