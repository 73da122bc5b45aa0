from django.apps import AppConfig


class AccountsConfig(AppConfig):
    verbose_name = "Staff"
    name = "accounts"

    def ready(self) -> None:
        from accounts.sign_in import connect_sign_in_audit

        connect_sign_in_audit()
