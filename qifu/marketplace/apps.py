from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "qifu.marketplace"
    label = "marketplace"
    default_auto_field = "django.db.models.BigAutoField"
