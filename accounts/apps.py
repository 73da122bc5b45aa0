from django.apps import AppConfig


class AccountsConfig(AppConfig):
    verbose_name = "Staff"
    name = "accounts"
