from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "myotrack.web.patients"
    label = "patients"
