from django.apps import AppConfig


class ObservationsConfig(AppConfig):
    name = "myotrack.web.observations"
    label = "observations"
