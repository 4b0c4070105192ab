from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "myotrack.web.transfer"
    label = "transfer"
