from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "myotrack.web.accounts"
    label = "accounts"
    verbose_name = "Accounts, roles and sites"
