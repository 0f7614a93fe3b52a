from django.apps import AppConfig
from django.core import checks


class PoliciesConfig(AppConfig):
    name = "qifu.policies"
    label = "policies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        checks.register(check_collection_settings)


def check_collection_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """QIFU_COLLECT_MAX_SECONDS is read when a run starts; say at start-up if it is unusable."""
    from django.core.exceptions import ImproperlyConfigured

    from qifu.policies.collection import run_limit_seconds

    try:
        run_limit_seconds()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="policies.E001")]
    return []
