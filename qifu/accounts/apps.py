from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "qifu.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from qifu.accounts import conf

        # Refuse to start with a malformed identity setting (one line per variable).
        conf.validate()
